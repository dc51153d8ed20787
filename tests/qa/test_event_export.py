"""The whole event's export for the organisers (issue 15): JSON, CSV and an Excel workbook
read back with openpyxl cell by cell, Vietnamese intact, formulas never; organisers only."""

import io
import json

import pytest
from openpyxl import load_workbook

from qa import services
from tests import factories
from tests.api_clients import anonymous, as_participant, as_user

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def summit():
    """Two halls, two sessions: a named question with a vote, an anonymous one, a formula."""
    event = factories.event(slug="smart-city")
    hall_a = factories.hall(event, name_vi="Hội trường Sen", name_en="Lotus Hall")
    hall_b = factories.hall(event, name_vi="Hội trường Đào", name_en="Peach Hall")
    first = factories.session(hall_a, title_vi="Giao thông thông minh", title_en="Smart mobility")
    second = factories.session(hall_b, title_vi="Chuyển đổi số: [Hà Nội] / TP.HCM?")
    ha = factories.speaker(event, name="Nguyễn Thị Hà")
    first.speakers.add(ha)
    lan, _ = factories.participant(event, display_name="Nguyễn Thị Lan")
    voter, _ = factories.participant(event)
    named, _ = services.question_submit(
        session=first, participant=lan, text="Khi nào có vé điện tử liên thông?", addressed_to=ha.pk
    )
    services.question_submit(
        session=first, participant=lan, text="Xe buýt điện chạy tuyến nào?", anonymous=True
    )
    services.question_submit(session=second, participant=lan, text='=HYPERLINK("x")')
    services.question_approve(question_id=named.pk, actor=None)
    services.vote_cast(question_id=named.pk, participant=voter)
    organiser = factories.moderator(event, role="organiser")
    return event, first, second, organiser


def test_json_has_every_session_its_counts_questions_and_history(summit):
    event, first, second, organiser = summit
    response = as_user(organiser).get("/api/v1/events/smart-city/export/", {"format": "json"})
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["event"] == {
        "slug": "smart-city",
        "name": {"vi": event.name_vi, "en": event.name_en},
    }
    sessions = {s["session_id"]: s for s in body["sessions"]}
    assert set(sessions) == {first.pk, second.pk}
    one = sessions[first.pk]
    assert one["hall"] == {"vi": "Hội trường Sen", "en": "Lotus Hall"}
    assert one["counts"] == {"questions": 2, "approved": 1, "answered": 0, "votes": 1}
    authors = [
        (q["text"], q["author_name"], q["anonymous"], q["addressed_to"]) for q in one["questions"]
    ]
    ha = first.speakers.get()
    assert authors == [
        (
            "Khi nào có vé điện tử liên thông?",
            "Nguyễn Thị Lan",
            False,
            {"id": ha.pk, "name": "Nguyễn Thị Hà"},
        ),
        ("Xe buýt điện chạy tuyến nào?", "", True, None),
    ]
    assert [h["action"] for h in one["questions"][0]["history"]] == ["approve"]


def test_csv_is_one_table_excel_reads_with_vietnamese_and_no_formula(summit):
    _event, _first, second, organiser = summit
    response = as_user(organiser).get("/api/v1/events/smart-city/export/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="smart-city-questions.csv"' in response["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0].startswith("session_id,hall,session,session_starts_at,id,status")
    assert "Hội trường Sen" in text and "Khi nào có vé điện tử liên thông?" in text
    assert "'=HYPERLINK" in text
    header = lines[0].split(",")
    named = next(line for line in lines if "Khi nào có vé điện tử liên thông?" in line)
    assert named.split(",")[header.index("addressed_to")] == "Nguyễn Thị Hà"
    assert len([line for line in lines[1:] if line.strip()]) >= 3


def test_xlsx_summary_and_one_sheet_per_session_cell_by_cell(summit):
    _event, first, second, organiser = summit
    response = as_user(organiser).get("/api/v1/events/smart-city/export/", {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert 'filename="smart-city-questions.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))

    assert book.sheetnames[0] == "Summary"
    assert book.sheetnames[1] == "1. Giao thông thông minh"
    # Excel's rules for a sheet name: none of []:*?/\ and at most 31 characters.
    name = book.sheetnames[2]
    assert name.startswith("2. Chuyển đổi số") and "Hà Nội" in name
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
    summary = [[cell.value for cell in row] for row in book["Summary"].iter_rows()]
    assert summary[0] == [
        "session_id", "hall", "title_vi", "title_en", "speakers", "starts_at", "ends_at",
        "status", "questions", "approved", "answered", "votes",
    ]  # fmt: skip
    assert summary[1][:4] == [first.pk, "Hội trường Sen", "Giao thông thông minh", "Smart mobility"]
    assert summary[1][8:] == [2, 1, 0, 1]
    assert summary[2][0] == second.pk and summary[2][8:] == [1, 0, 0, 0]

    sheet = book[book.sheetnames[1]]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    assert [
        (r["text"], r["author_name"], r["addressed_to"], r["votes"], r["status"]) for r in rows
    ] == [
        ("Khi nào có vé điện tử liên thông?", "Nguyễn Thị Lan", "Nguyễn Thị Hà", 1, "approved"),
        ("Xe buýt điện chạy tuyến nào?", None, None, 0, "pending"),
    ]
    assert "approve" in rows[0]["history"]
    formula = book[book.sheetnames[2]]["H2"]
    assert (formula.value, formula.data_type) == ('=HYPERLINK("x")', "s")


def test_query_count_does_not_grow_with_sessions(summit, django_assert_max_num_queries):
    event, _first, _second, organiser = summit
    for _ in range(5):
        session = factories.session(factories.hall(event))
        factories.question(session)
    client = as_user(organiser)
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/events/smart-city/export/").status_code == 200


def test_only_organisers_of_the_event(summit):
    event, first, _second, _organiser = summit
    url = "/api/v1/events/smart-city/export/"
    assert anonymous().get(url).status_code == 401
    phone, _ = as_participant(event)
    assert phone.get(url).status_code == 403
    moderator = as_user(factories.moderator(event))
    refused = moderator.get(url, {"format": "xlsx"})
    assert (refused.status_code, refused.json()["code"]) == (403, "organiser.forbidden")
    other = as_user(factories.moderator(factories.event(), role="organiser"))
    assert other.get(url).status_code == 403
    assert as_user(factories.superuser()).get(url).status_code == 200
    missing = as_user(factories.superuser()).get("/api/v1/events/nope/export/")
    assert (missing.status_code, missing.json()["code"]) == (404, "event.not_found")

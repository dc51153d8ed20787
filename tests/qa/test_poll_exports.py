"""Polls in the organisers' records (issue 16): the session's JSON export, the event's JSON
and Excel workbook (a Polls sheet), and the event report, each with the results counted
from the ballots; a fixed number of queries however many polls."""

import io

import pytest
from openpyxl import load_workbook

from qa import services
from qa.report import event_report
from tests import factories
from tests.api_clients import as_user
from tests.qa.test_polls import make_poll, option_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def voted():
    """A session with a closed single-choice poll voted 3-1-0 by four phones, and a draft."""
    event = factories.event(slug="summit")
    session = factories.session(factories.hall(event), title_vi="Chính phủ số")
    poll = make_poll(session, state="open")
    a, b, _ = option_ids(poll)
    for option in (a, a, a, b):
        services.ballot_cast(
            poll_id=poll.pk, participant=factories.participant(event)[0], options=[option]
        )
    services.poll_close(poll_id=poll.pk, actor=None)
    draft = make_poll(session)
    organiser = factories.moderator(event, role="organiser")
    return event, session, poll, draft, organiser


def test_session_export_has_every_poll_with_its_results(voted):
    event, session, poll, draft, organiser = voted

    data = as_user(organiser).get(f"/api/v1/sessions/{session.pk}/export/").json()

    assert [(p["id"], p["state"], p["voters"]) for p in data["polls"]] == [
        (poll.pk, "closed", 4),
        (draft.pk, "draft", 0),
    ]
    first = data["polls"][0]
    assert first["question"] == {
        "vi": "Dịch vụ nào nên số hoá trước?",
        "en": "Which service should go digital first?",
    }
    assert [(o["position"], o["text"]["vi"], o["votes"]) for o in first["options"]] == [
        (1, "Lựa chọn 1", 3),
        (2, "Lựa chọn 2", 1),
        (3, "Lựa chọn 3", 0),
    ]
    assert first["closed_at"].endswith("+07:00")  # the event's time zone


def test_event_workbook_has_a_polls_sheet_one_row_per_option(voted):
    event, session, poll, _, organiser = voted

    response = as_user(organiser).get("/api/v1/events/summit/export/", {"format": "xlsx"})

    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["Polls"].iter_rows(values_only=True))
    assert rows[0][:3] == ("session_id", "session", "poll_id")
    ours = [r for r in rows[1:] if r[2] == poll.pk]
    assert [(r[6], r[7], r[9], r[11], r[12]) for r in ours] == [
        ("closed", 4, "Lựa chọn 1", 3, 75),
        ("closed", 4, "Lựa chọn 2", 1, 25),
        ("closed", 4, "Lựa chọn 3", 0, 0),
    ]
    json_data = as_user(organiser).get("/api/v1/events/summit/export/").json()
    assert [p["voters"] for p in json_data["sessions"][0]["polls"]] == [4, 0]


@pytest.mark.parametrize("n", [1, 6])
def test_session_export_query_count_with_polls_is_fixed(voted, django_assert_num_queries, n):
    event, session, _, _, organiser = voted
    factories.question(session)
    for _ in range(n):
        make_poll(session, state="open")
    client = as_user(organiser)
    client.get(f"/api/v1/sessions/{session.pk}/export/")

    # token, session, membership, questions, history, polls, options, voters, votes
    with django_assert_num_queries(9):
        response = client.get(f"/api/v1/sessions/{session.pk}/export/")

    assert len(response.json()["polls"]) == n + 2


def test_event_report_lists_the_polls_voted_on_with_shares(voted, django_assert_max_num_queries):
    event, session, poll, _, organiser = voted

    with django_assert_max_num_queries(14):
        report = event_report(event)

    (result,) = report["polls"]  # not the draft
    assert (result["poll"].pk, result["voters"]) == (poll.pk, 4)
    assert [(o["text"], o["votes"], o["percent"], o["top"]) for o in result["options"]] == [
        ("Lựa chọn 1", 3, 75, True),
        ("Lựa chọn 2", 1, 25, False),
        ("Lựa chọn 3", 0, 0, False),
    ]
    client = as_user(organiser)
    client.force_login(organiser)
    page = client.get(f"/moderate/events/{event.slug}/report/").content.decode()
    assert "Dịch vụ nào nên số hoá trước?" in page and "75%" in page

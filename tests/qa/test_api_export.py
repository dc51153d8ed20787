"""GET /api/v1/sessions/<id>/export/: the organisers' records as JSON or Excel-ready CSV."""

import datetime as dt

import pytest

from qa import services
from qa.models import ModerationAction, Question
from tests import factories
from tests.api_clients import anonymous, as_user

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2023, 11, 29, 3, 0, tzinfo=dt.UTC)  # 10:00 in Hanoi


@pytest.fixture
def exported():
    """A session with a Vietnamese question (approved by a moderator, addressed to a
    speaker), an anonymous one and one that looks like a spreadsheet formula, at fixed times;
    and an organiser, who exports."""
    session = factories.session(moderation="pre")
    moderator = factories.moderator(session.event, username="mod-lan")
    speaker = factories.speaker(session.event, name="Nguyễn Thị Hà")
    session.speakers.add(speaker)
    vietnamese = factories.question(
        session,
        text="Thành phố thông minh có an toàn không?",
        author_name="Nguyễn Thị Lan",
        addressed_to=speaker,
    )
    services.question_approve(question_id=vietnamese.pk, actor=moderator)
    services.question_translate(
        question_id=vietnamese.pk, actor=moderator, translation="Is the smart city safe?"
    )
    anonymous_q = factories.question(session, text="Giá vé xe buýt?", anonymous=True)
    formula = factories.question(session, text="=1+1", author_name="@bob")
    for i, q in enumerate([vietnamese, anonymous_q, formula]):
        Question.objects.filter(pk=q.pk).update(
            created_at=T0 + dt.timedelta(minutes=i), vote_count=3 - i
        )
    ModerationAction.objects.filter(question=vietnamese).update(
        created_at=T0 + dt.timedelta(minutes=5)
    )
    return session, factories.organiser(session.event), vietnamese, anonymous_q, formula


def test_export_csv_bytes(exported):
    session, organiser, vietnamese, anonymous_q, formula = exported
    response = as_user(organiser).get(f"/api/v1/sessions/{session.pk}/export/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="session-{session.pk}-questions.csv"'
    )
    expected = (
        "\ufeff"
        "id,status,pinned,votes,author_name,anonymous,addressed_to,text,original_text,language,"
        "translation,translation_language,created_at,answered_at,merged_into,history\r\n"
        f"{vietnamese.pk},approved,no,3,Nguyễn Thị Lan,no,Nguyễn Thị Hà,"
        "Thành phố thông minh có an toàn không?,,vi,Is the smart city safe?,en,"
        '2023-11-29T10:00:00+07:00,,,"2023-11-29T10:05:00+07:00 approve mod-lan: '
        "pending -> approved\n2023-11-29T10:05:00+07:00 translate mod-lan: "
        'approved -> approved"\r\n'
        f"{anonymous_q.pk},pending,no,2,,yes,,Giá vé xe buýt?,,vi,,,2023-11-29T10:01:00+07:00,,,\r\n"
        f"{formula.pk},pending,no,1,'@bob,no,,'=1+1,,vi,,,2023-11-29T10:02:00+07:00,,,\r\n"
    )
    assert response.content == expected.encode("utf-8")
    assert response.content.startswith(b"\xef\xbb\xbf")


def test_export_json(exported):
    session, organiser, vietnamese, anonymous_q, _formula = exported
    response = as_user(organiser).get(f"/api/v1/sessions/{session.pk}/export/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["session_id"] == session.pk
    assert body["title"] == {"vi": session.title_vi, "en": session.title_en}
    assert [q["id"] for q in body["questions"]] == [vietnamese.pk, anonymous_q.pk, _formula.pk]
    first = body["questions"][0]
    assert first["text"] == "Thành phố thông minh có an toàn không?"
    assert first["author_name"] == "Nguyễn Thị Lan"
    assert (first["language"], first["translation"], first["translation_language"]) == (
        "vi",
        "Is the smart city safe?",
        "en",
    )
    assert first["created_at"] == "2023-11-29T10:00:00+07:00"
    assert first["history"] == [
        {
            "action": "approve",
            "by": "mod-lan",
            "from": "pending",
            "to": "approved",
            "at": "2023-11-29T10:05:00+07:00",
        },
        {
            "action": "translate",
            "by": "mod-lan",
            "from": "approved",
            "to": "approved",
            "at": "2023-11-29T10:05:00+07:00",
        },
    ]
    assert body["questions"][1]["author_name"] == ""
    assert body["questions"][1]["anonymous"] is True


def test_export_defaults_to_json(exported):
    session, organiser, *_ = exported
    response = as_user(organiser).get(f"/api/v1/sessions/{session.pk}/export/")
    assert response["Content-Type"] == "application/json"
    assert len(response.json()["questions"]) == 3


def test_export_unknown_format_is_404(exported):
    session, organiser, *_ = exported
    response = as_user(organiser).get(f"/api/v1/sessions/{session.pk}/export/?format=xlsx")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_export_csv_error_is_json(exported):
    session, *_ = exported
    response = anonymous().get(f"/api/v1/sessions/{session.pk}/export/?format=csv")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "auth.required"


def test_export_unknown_session_is_404(exported):
    _session, organiser, *_ = exported
    response = as_user(organiser).get("/api/v1/sessions/999999/export/")
    assert response.status_code == 404
    assert response.json()["code"] == "session.not_found"


@pytest.mark.parametrize("count", [1, 12])
def test_export_query_count(django_assert_num_queries, count):
    session = factories.session()
    moderator = factories.moderator(session.event)
    speakers = [factories.speaker(session.event) for _ in range(2)]
    session.speakers.add(*speakers)
    for i in range(count):
        q = factories.question(session, addressed_to=speakers[i % 2])
        services.question_approve(question_id=q.pk, actor=moderator)
    client = as_user(factories.organiser(session.event))
    # token, session with event, membership, questions, their history with actors, polls
    with django_assert_num_queries(6):
        response = client.get(f"/api/v1/sessions/{session.pk}/export/?format=csv")
    assert response.content.count(b"\r\n") == count + 1

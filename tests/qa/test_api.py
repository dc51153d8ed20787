"""The audience and moderation API for questions and votes (qa/api.py)."""

import pytest

from qa import services
from qa.models import ModerationAction, Participant, Question, Vote, hash_token
from tests import factories
from tests.api_clients import ROLES, anonymous, as_participant, as_user, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return factories.session()


@pytest.fixture
def moderator(session):
    return factories.moderator(session.event)


def q_url(question, action=""):
    return f"/api/v1/questions/{question.pk}/" + (f"{action}/" if action else "")


def s_url(session, rest=""):
    return f"/api/v1/sessions/{session.pk}/" + rest


# ---- join -----------------------------------------------------------------------------------------


def test_join_returns_token_and_participant(session):
    response = anonymous().post(
        f"/api/v1/events/{session.event.slug}/join/", {"display_name": " Lan  Anh "}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    participant = Participant.objects.get()
    assert body == {
        "participant_token": body["participant_token"],
        "participant": {"id": participant.pk, "display_name": "Lan Anh"},
    }
    assert participant.token_hash == hash_token(body["participant_token"])
    assert participant.event_id == session.event_id


def test_join_without_name_is_anonymous(session):
    response = anonymous().post(f"/api/v1/events/{session.event.slug}/join/")
    assert response.status_code == 201
    assert response.json()["participant"]["display_name"] == ""


def test_join_name_too_long_is_400(session):
    response = anonymous().post(
        f"/api/v1/events/{session.event.slug}/join/", {"display_name": "x" * 81}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "participant.name_too_long"
    assert Participant.objects.count() == 0


def test_join_unknown_event_is_404():
    response = anonymous().post("/api/v1/events/no-such-event/join/")
    assert response.status_code == 404
    assert response.json() == {"code": "event.not_found", "detail": "No such event."}


def test_join_ignores_a_stale_participant_token(session):
    client = anonymous()
    client.credentials(HTTP_X_PARTICIPANT_TOKEN="stale")
    response = client.post(f"/api/v1/events/{session.event.slug}/join/")
    assert response.status_code == 201


# ---- listing --------------------------------------------------------------------------------------


def test_questions_public_list_only_public_in_screen_order(session):
    low = factories.question(session, status="approved", vote_count=1)
    high = factories.question(session, status="approved", vote_count=5)
    pinned = factories.question(session, status="approved", pinned=True)
    answered = factories.question(session, status="answered", vote_count=9)
    for status in ("pending", "rejected", "archived"):
        factories.question(session, status=status)
    response = anonymous().get(s_url(session, "questions/"))
    assert response.status_code == 200
    assert [q["id"] for q in response.json()] == [pinned.pk, high.pk, low.pk, answered.pk]
    first = response.json()[0]
    assert set(first) == {
        "id",
        "session_id",
        "text",
        "author_name",
        "anonymous",
        "addressed_to",
        "status",
        "pinned",
        "queue_position",
        "votes",
        "version",
        "created_at",
        "answered_at",
        "language",
        "translation",
        "translation_language",
    }


def test_questions_public_list_hides_anonymous_author(session):
    factories.question(session, status="approved", author_name="Lan", anonymous=True)
    response = anonymous().get(s_url(session, "questions/"))
    assert response.json()[0]["author_name"] == ""


def test_questions_public_status_filter_never_shows_pending(session):
    factories.question(session, status="pending")
    answered = factories.question(session, status="answered")
    client = anonymous()
    assert client.get(s_url(session, "questions/?status=pending")).json() == []
    assert [q["id"] for q in client.get(s_url(session, "questions/?status=answered")).json()] == [
        answered.pk
    ]


def test_questions_moderator_sees_every_status_with_last_action(session, moderator):
    pending = factories.question(session, status="pending")
    approved = factories.question(session, status="pending")
    services.question_approve(question_id=approved.pk, actor=moderator)
    response = as_user(moderator).get(s_url(session, "questions/"))
    assert response.status_code == 200
    body = response.json()
    assert [q["id"] for q in body] == [pending.pk, approved.pk]
    assert body[0]["last_action"] is None
    assert body[1]["last_action"]["action"] == "approve"
    assert body[1]["last_action"]["by"] == moderator.username
    assert body[1]["last_action"]["from"] == "pending"
    assert body[1]["last_action"]["to"] == "approved"
    assert body[1]["participant_id"] == approved.participant_id


def test_questions_moderator_status_filter(session, moderator):
    factories.question(session, status="pending")
    rejected = factories.question(session, status="rejected")
    response = as_user(moderator).get(s_url(session, "questions/?status=rejected"))
    assert [q["id"] for q in response.json()] == [rejected.pk]


def test_questions_other_event_moderator_gets_public_view(session):
    factories.question(session, status="pending")
    public = factories.question(session, status="approved")
    response = client_for("other_moderator", session.event).get(s_url(session, "questions/"))
    assert [q["id"] for q in response.json()] == [public.pk]
    assert "last_action" not in response.json()[0]


def test_questions_mine_lists_own_in_every_status(session):
    client, participant = as_participant(session.event)
    rejected = factories.question(session, participant=participant, status="rejected")
    pending = factories.question(session, participant=participant, status="pending")
    factories.question(session, status="approved")
    response = client.get(s_url(session, "questions/?mine=1"))
    assert response.status_code == 200
    assert [q["id"] for q in response.json()] == [pending.pk, rejected.pk]


def test_questions_mine_without_token_is_401(session):
    response = anonymous().get(s_url(session, "questions/?mine=1"))
    assert response.status_code == 401
    assert response.json()["code"] == "auth.required"


def test_questions_mine_as_moderator_is_403(session, moderator):
    response = as_user(moderator).get(s_url(session, "questions/?mine=1"))
    assert response.status_code == 403
    assert response.json()["code"] == "participant.required"


def test_questions_unknown_participant_token_is_401(session):
    client = anonymous()
    client.credentials(HTTP_X_PARTICIPANT_TOKEN="not-a-token")
    response = client.get(s_url(session, "questions/"))
    assert response.status_code == 401
    assert response.json() == {
        "code": "participant.invalid_token",
        "detail": "This phone's identity is unknown; join the event again.",
    }


def test_questions_invalid_status_is_400(session):
    response = anonymous().get(s_url(session, "questions/?status=bogus"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["status"]


def test_questions_unknown_session_is_404():
    response = anonymous().get("/api/v1/sessions/999999/questions/")
    assert response.status_code == 404
    assert response.json()["code"] == "session.not_found"


def _speakers(session, n: int = 2) -> list:
    """Speakers of the session, for questions addressed to them (so a list costs the same)."""
    speakers = [factories.speaker(session.event) for _ in range(n)]
    session.speakers.add(*speakers)
    return speakers


@pytest.mark.parametrize("count", [1, 12])
def test_questions_public_list_query_count(session, django_assert_num_queries, count):
    speakers = _speakers(session)
    for i in range(count):
        factories.question(session, status="approved", addressed_to=speakers[i % 2])
    client = anonymous()
    with django_assert_num_queries(2):  # session, questions
        response = client.get(s_url(session, "questions/"))
    assert len(response.json()) == count


@pytest.mark.parametrize("count", [1, 12])
def test_questions_moderation_list_query_count(
    session, moderator, django_assert_num_queries, count
):
    speakers = _speakers(session)
    for i in range(count):
        question = factories.question(session, status="pending", addressed_to=speakers[i % 2])
        services.question_approve(question_id=question.pk, actor=moderator)
    client = as_user(moderator)
    # token, session, membership, questions, latest action ids, latest actions with actors
    with django_assert_num_queries(6):
        response = client.get(s_url(session, "questions/"))
    assert len(response.json()) == count
    assert {q["last_action"]["by"] for q in response.json()} == {moderator.username}


@pytest.mark.parametrize("count", [1, 12])
def test_questions_mine_list_query_count(session, django_assert_num_queries, count):
    client, participant = as_participant(session.event)
    speakers = _speakers(session)
    for i in range(count):
        factories.question(session, participant=participant, addressed_to=speakers[i % 2])
    with django_assert_num_queries(3):  # participant, session, questions
        response = client.get(s_url(session, "questions/?mine=1"))
    assert len(response.json()) == count


# ---- submitting -------------------------------------------------------------------------------------


def test_submit_pre_moderation_creates_pending(session):
    client, participant = as_participant(session.event, display_name="Minh")
    response = client.post(
        s_url(session, "questions/"),
        {"text": "  Khi nào có tàu điện?  ", "client_id": "c-1"},
        format="json",
    )
    assert response.status_code == 201
    question = Question.objects.get()
    assert response.json() == {
        "id": question.pk,
        "session_id": session.pk,
        "text": "Khi nào có tàu điện?",
        "author_name": "Minh",
        "anonymous": False,
        "addressed_to": None,
        "status": "pending",
        "pinned": False,
        "queue_position": None,
        "votes": 0,
        "version": 1,
        "created_at": question.created_at.isoformat(),
        "answered_at": None,
        "language": "vi",
        "translation": "",
        "translation_language": "",
    }
    assert question.participant_id == participant.pk


def test_submit_post_moderation_creates_approved():
    session = factories.session(moderation="post")
    client, _ = as_participant(session.event)
    response = client.post(s_url(session, "questions/"), {"text": "Xin chào"}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "approved"


def test_submit_anonymous_drops_author(session):
    client, _ = as_participant(session.event, display_name="Minh")
    response = client.post(
        s_url(session, "questions/"),
        {"text": "Câu hỏi", "author_name": "Minh", "anonymous": True},
        format="json",
    )
    assert response.json()["author_name"] == ""
    assert Question.objects.get().author_name == ""


def test_submit_same_client_id_returns_first_with_200(session):
    client, _ = as_participant(session.event)
    first = client.post(
        s_url(session, "questions/"), {"text": "Một", "client_id": "abc"}, format="json"
    )
    again = client.post(
        s_url(session, "questions/"), {"text": "Hai", "client_id": "abc"}, format="json"
    )
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Question.objects.count() == 1


def test_submit_when_qa_closed_is_409():
    session = factories.session(qa_open=False)
    client, _ = as_participant(session.event)
    response = client.post(s_url(session, "questions/"), {"text": "Muộn rồi"}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "qa.closed",
        "detail": "Questions are closed for this session.",
    }


def test_submit_blank_text_is_400(session):
    client, _ = as_participant(session.event)
    response = client.post(s_url(session, "questions/"), {"text": " \u200b "}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "question.empty"


def test_submit_too_long_is_400(session):
    client, _ = as_participant(session.event)
    response = client.post(s_url(session, "questions/"), {"text": "a" * 501}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "question.too_long"


def test_submit_missing_text_is_400_with_fields(session):
    client, _ = as_participant(session.event)
    response = client.post(s_url(session, "questions/"), {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Some fields are not valid.",
        "fields": {"text": ["This field is required."]},
    }


def test_submit_client_id_too_long_is_400(session):
    client, _ = as_participant(session.event)
    response = client.post(
        s_url(session, "questions/"), {"text": "x", "client_id": "c" * 65}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["client_id"]


def test_submit_participant_of_other_event_is_400(session):
    client, _ = as_participant(factories.event())
    response = client.post(s_url(session, "questions/"), {"text": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "participant.wrong_event"


def test_submit_anonymous_is_401(session):
    response = anonymous().post(s_url(session, "questions/"), {"text": "x"}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "X-Participant-Token"  # what a phone must send


def test_submit_moderator_is_403(session, moderator):
    response = as_user(moderator).post(s_url(session, "questions/"), {"text": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "participant.required"


def test_submit_unknown_session_is_404(session):
    client, _ = as_participant(session.event)
    response = client.post("/api/v1/sessions/999999/questions/", {"text": "x"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "session.not_found"


def test_submit_addressed_to_a_speaker_of_the_session(session):
    ha = factories.speaker(session.event, name="Nguyễn Thị Hà")
    session.speakers.add(ha)
    client, _ = as_participant(session.event)
    response = client.post(
        s_url(session, "questions/"),
        {"text": "Chị nghĩ sao?", "addressed_to": ha.pk},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["addressed_to"] == {"id": ha.pk, "name": "Nguyễn Thị Hà"}
    assert Question.objects.get().addressed_to_id == ha.pk


def test_submit_addressed_to_null_is_everyone(session):
    session.speakers.add(factories.speaker(session.event))
    client, _ = as_participant(session.event)
    response = client.post(
        s_url(session, "questions/"),
        {"text": "Cho mọi người?", "addressed_to": None},
        format="json",
    )
    assert (response.status_code, response.json()["addressed_to"]) == (201, None)


@pytest.mark.parametrize("whose", ["other_session", "other_event", "unknown"])
def test_submit_addressed_to_someone_else_is_400_and_stores_nothing(session, whose):
    session.speakers.add(factories.speaker(session.event))
    other = factories.session(factories.hall(session.event))
    other.speakers.add(speaker := factories.speaker(session.event))
    speaker_id = {
        "other_session": speaker.pk,
        "other_event": factories.speaker(factories.event()).pk,
        "unknown": 987654,
    }[whose]
    client, _ = as_participant(session.event)
    response = client.post(
        s_url(session, "questions/"),
        {"text": "Câu hỏi?", "addressed_to": speaker_id},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "question.addressed_to_invalid"
    assert body["fields"] == {"addressed_to": [body["detail"]]}
    assert Question.objects.count() == 0


@pytest.mark.parametrize("value", ["Hà", True, 0, -3, 2**63, [1], {"id": 1}, 1.5])
def test_submit_addressed_to_not_a_speaker_id_is_400_and_stores_nothing(session, value):
    session.speakers.add(factories.speaker(session.event))
    client, _ = as_participant(session.event)
    response = client.post(
        s_url(session, "questions/"), {"text": "Câu hỏi?", "addressed_to": value}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["addressed_to"]
    assert Question.objects.count() == 0


# ---- votes --------------------------------------------------------------------------------------------


def test_vote_cast_is_idempotent(session):
    question = factories.question(session, status="approved")
    client, participant = as_participant(session.event)
    assert client.post(q_url(question, "vote")).json() == {"votes": 1}
    assert client.post(q_url(question, "vote")).json() == {"votes": 1}
    assert Vote.objects.filter(question=question, participant=participant).count() == 1


def test_vote_withdraw_is_idempotent(session):
    question = factories.question(session, status="approved")
    client, _ = as_participant(session.event)
    client.post(q_url(question, "vote"))
    assert client.delete(q_url(question, "vote")).json() == {"votes": 0}
    assert client.delete(q_url(question, "vote")).json() == {"votes": 0}
    assert Vote.objects.count() == 0


def test_vote_on_pending_is_409(session):
    question = factories.question(session, status="pending")
    client, _ = as_participant(session.event)
    response = client.post(q_url(question, "vote"))
    assert response.status_code == 409
    assert response.json()["code"] == "vote.not_public"


def test_vote_unknown_question_is_404(session):
    client, _ = as_participant(session.event)
    response = client.post("/api/v1/questions/999999/vote/")
    assert response.status_code == 404
    assert response.json()["code"] == "question.not_found"


def test_vote_question_of_other_event_is_404(session):
    question = factories.question(session, status="approved")
    client, _ = as_participant(factories.event())
    assert client.post(q_url(question, "vote")).status_code == 404


def test_vote_anonymous_is_401(session):
    question = factories.question(session, status="approved")
    assert anonymous().post(q_url(question, "vote")).status_code == 401


def test_vote_moderator_is_403(session, moderator):
    question = factories.question(session, status="approved")
    response = as_user(moderator).delete(q_url(question, "vote"))
    assert response.status_code == 403
    assert response.json()["code"] == "participant.required"


# ---- moderation actions ---------------------------------------------------------------------------------

ACTION_CASES = [
    # action, status before, pinned before, status after, pinned after
    ("approve", "pending", False, "approved", False),
    ("reject", "pending", False, "rejected", False),
    ("pin", "approved", False, "approved", True),
    ("unpin", "approved", True, "approved", False),
    ("answer", "approved", False, "answered", False),
    ("archive", "approved", False, "archived", False),
    ("restore", "rejected", False, "pending", False),
]


@pytest.mark.parametrize(("action", "before", "pinned", "after", "pinned_after"), ACTION_CASES)
def test_action_changes_question_and_writes_audit_row(
    session, moderator, action, before, pinned, after, pinned_after
):
    question = factories.question(session, status=before, pinned=pinned)
    response = as_user(moderator).post(q_url(question, action), {"version": 1}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["pinned"], body["version"]) == (after, pinned_after, 2)
    assert body["last_action"]["action"] == action
    assert body["last_action"]["by"] == moderator.username
    row = ModerationAction.objects.get(question=question)
    assert (row.actor, row.action, row.from_state, row.to_state) == (
        moderator,
        action,
        before,
        after,
    )
    question.refresh_from_db()
    assert (question.status, question.pinned) == (after, pinned_after)


def test_action_pin_unpins_the_previous_one(session, moderator):
    previous = factories.question(session, status="approved", pinned=True)
    question = factories.question(session, status="approved")
    response = as_user(moderator).post(q_url(question, "pin"))
    assert response.json()["pinned"] is True
    previous.refresh_from_db()
    assert previous.pinned is False


@pytest.mark.parametrize(
    ("action", "before"),
    [("approve", "approved"), ("answer", "pending"), ("pin", "pending"), ("restore", "pending")],
)
def test_action_illegal_transition_is_409(session, moderator, action, before):
    question = factories.question(session, status=before)
    response = as_user(moderator).post(q_url(question, action))
    assert response.status_code == 409
    assert response.json()["code"] == f"question.cannot_{action}"
    assert ModerationAction.objects.count() == 0


def test_action_stale_version_is_409_with_current_question(session, moderator):
    question = factories.question(session, status="pending")
    other = factories.moderator(session.event)
    services.question_approve(question_id=question.pk, actor=other, version=1)
    response = as_user(moderator).post(q_url(question, "reject"), {"version": 1}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "question.version_conflict"
    assert body["detail"] == "Another moderator changed this question first."
    assert body["question"]["id"] == question.pk
    assert body["question"]["status"] == "approved"
    assert body["question"]["version"] == 2
    assert body["question"]["last_action"]["by"] == other.username
    question.refresh_from_db()
    assert question.status == "approved"


def test_action_invalid_version_is_400(session, moderator):
    question = factories.question(session)
    response = as_user(moderator).post(q_url(question, "approve"), {"version": "x"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["version"]


def test_action_unknown_question_is_404(moderator):
    response = as_user(moderator).post("/api/v1/questions/999999/approve/")
    assert response.status_code == 404
    assert response.json()["code"] == "question.not_found"


def test_edit_keeps_original(session, moderator):
    question = factories.question(session, text="Cau hoi khong dau")
    response = as_user(moderator).patch(
        q_url(question), {"text": "Câu hỏi có dấu", "version": 1}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["text"], body["original_text"], body["edited"]) == (
        "Câu hỏi có dấu",
        "Cau hoi khong dau",
        True,
    )
    row = ModerationAction.objects.get(question=question)
    assert row.detail == {"old_text": "Cau hoi khong dau", "new_text": "Câu hỏi có dấu"}


def test_edit_changes_the_speaker_only(session, moderator):
    ha = factories.speaker(session.event, name="Nguyễn Thị Hà")
    session.speakers.add(ha)
    question = factories.question(session, text="Gốc?")
    response = as_user(moderator).patch(
        q_url(question), {"addressed_to": ha.pk, "version": 1}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["addressed_to"], body["text"], body["edited"], body["version"]) == (
        {"id": ha.pk, "name": "Nguyễn Thị Hà"},
        "Gốc?",
        False,
        2,
    )
    assert body["last_action"]["action"] == "edit"
    cleared = as_user(moderator).patch(q_url(question), {"addressed_to": None}, format="json")
    assert (cleared.json()["addressed_to"], cleared.json()["version"]) == (None, 3)


def test_edit_speaker_of_another_session_is_400(session, moderator):
    question = factories.question(session, text="Gốc?")
    stranger = factories.speaker(session.event)
    response = as_user(moderator).patch(
        q_url(question), {"text": "Mới?", "addressed_to": stranger.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "question.addressed_to_invalid"
    assert list(response.json()["fields"]) == ["addressed_to"]
    question.refresh_from_db()
    assert (question.text, question.addressed_to_id, question.version) == ("Gốc?", None, 1)


def test_edit_without_text_or_speaker_is_400(session, moderator):
    question = factories.question(session)
    response = as_user(moderator).patch(q_url(question), {"version": 1}, format="json")
    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["fields"])) == ("invalid", ["text"])


def test_edit_empty_text_is_400(session, moderator):
    question = factories.question(session)
    response = as_user(moderator).patch(q_url(question), {"text": ""}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "question.empty"


def test_edit_archived_is_409(session, moderator):
    question = factories.question(session, status="archived")
    response = as_user(moderator).patch(q_url(question), {"text": "Mới"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "question.cannot_edit"


def test_merge_moves_votes_without_double_counting(session, moderator):
    target = factories.question(session, status="approved")
    duplicate = factories.question(session, status="approved")
    both, _ = as_participant(session.event)
    only_dup, _ = as_participant(session.event)
    both.post(q_url(target, "vote"))
    both.post(q_url(duplicate, "vote"))
    only_dup.post(q_url(duplicate, "vote"))
    response = as_user(moderator).post(
        q_url(duplicate, "merge"), {"into": target.pk, "version": 1}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["merged_into"], body["votes"]) == ("archived", target.pk, 0)
    target.refresh_from_db()
    assert target.vote_count == 2
    assert Vote.objects.filter(question=target).count() == 2
    assert [q["id"] for q in anonymous().get(s_url(session, "questions/")).json()] == [target.pk]


def test_merge_into_itself_is_400(session, moderator):
    question = factories.question(session, status="approved")
    response = as_user(moderator).post(
        q_url(question, "merge"), {"into": question.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "question.merge_self"


def test_merge_into_other_session_is_400(session, moderator):
    question = factories.question(session, status="approved")
    other = factories.question(factories.session(factories.hall(session.event)), status="approved")
    response = as_user(moderator).post(q_url(question, "merge"), {"into": other.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "question.merge_other_session"


def test_merge_into_unknown_is_404(session, moderator):
    question = factories.question(session, status="approved")
    response = as_user(moderator).post(q_url(question, "merge"), {"into": 999999}, format="json")
    assert response.status_code == 404


def test_merge_into_rejected_is_409(session, moderator):
    question = factories.question(session, status="approved")
    target = factories.question(session, status="rejected")
    response = as_user(moderator).post(q_url(question, "merge"), {"into": target.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "question.merge_target_closed"


def test_merge_without_into_is_400(session, moderator):
    question = factories.question(session, status="approved")
    response = as_user(moderator).post(q_url(question, "merge"), {}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"into": ["This field is required."]}


def test_merge_stale_version_is_409(session, moderator):
    question = factories.question(session, status="approved", version=3)
    target = factories.question(session, status="approved")
    response = as_user(moderator).post(
        q_url(question, "merge"), {"into": target.pk, "version": 2}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["question"]["version"] == 3


# ---- bulk ------------------------------------------------------------------------------------------------


def test_bulk_approves_all(session, moderator):
    questions = [factories.question(session) for _ in range(3)]
    ids = [q.pk for q in questions]
    response = as_user(moderator).post(
        s_url(session, "questions/bulk/"), {"action": "approve", "ids": ids}, format="json"
    )
    assert response.status_code == 200
    assert [(q["id"], q["status"]) for q in response.json()] == [(i, "approved") for i in ids]
    assert ModerationAction.objects.filter(action="approve", actor=moderator).count() == 3


def test_bulk_is_all_or_nothing(session, moderator):
    pending = factories.question(session)
    answered = factories.question(session, status="answered")
    response = as_user(moderator).post(
        s_url(session, "questions/bulk/"),
        {"action": "approve", "ids": [pending.pk, answered.pk]},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "question.cannot_approve"
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert ModerationAction.objects.count() == 0


def test_bulk_question_of_other_session_is_404(session, moderator):
    other = factories.question(factories.session(factories.hall(session.event)))
    response = as_user(moderator).post(
        s_url(session, "questions/bulk/"), {"action": "reject", "ids": [other.pk]}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "bulk.unknown_questions"


@pytest.mark.parametrize(
    "payload",
    [{"action": "pin", "ids": [1]}, {"action": "approve", "ids": []}, {"action": "approve"}],
)
def test_bulk_invalid_payload_is_400(session, moderator, payload):
    response = as_user(moderator).post(s_url(session, "questions/bulk/"), payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# ---- audit -----------------------------------------------------------------------------------------------


def test_audit_lists_actions_newest_first(session, moderator):
    question = factories.question(session)
    services.question_approve(question_id=question.pk, actor=moderator)
    services.question_answer(question_id=question.pk, actor=moderator)
    response = as_user(moderator).get(s_url(session, "audit/"))
    assert response.status_code == 200
    body = response.json()
    assert [(a["action"], a["from"], a["to"], a["by"], a["question_id"]) for a in body] == [
        ("answer", "approved", "answered", moderator.username, question.pk),
        ("approve", "pending", "approved", moderator.username, question.pk),
    ]
    assert body[0]["detail"] == {}


@pytest.mark.parametrize("count", [1, 12])
def test_audit_query_count(session, moderator, django_assert_num_queries, count):
    for _ in range(count):
        question = factories.question(session)
        services.question_approve(question_id=question.pk, actor=moderator)
    client = as_user(moderator)
    with django_assert_num_queries(4):  # token, session, membership, actions with actors
        response = client.get(s_url(session, "audit/"))
    assert len(response.json()) == count


# ---- who may moderate --------------------------------------------------------------------------------------


def _moderation_request(name, session):
    """(method, url, data) of one moderation endpoint, with a question in a state it accepts."""
    q = factories.question
    if name in ("approve", "reject", "archive"):
        return "post", q_url(q(session, status="pending"), name), {}
    if name in ("pin", "answer"):
        return "post", q_url(q(session, status="approved"), name), {}
    if name == "unpin":
        return "post", q_url(q(session, status="approved", pinned=True), name), {}
    if name == "restore":
        return "post", q_url(q(session, status="rejected"), name), {}
    if name == "edit":
        return "patch", q_url(q(session)), {"text": "Đã sửa"}
    if name == "merge":
        target = q(session, status="approved")
        return "post", q_url(q(session, status="approved"), "merge"), {"into": target.pk}
    if name == "bulk":
        return (
            "post",
            s_url(session, "questions/bulk/"),
            {"action": "approve", "ids": [q(session).pk]},
        )
    if name == "session_update":
        return "patch", s_url(session), {"qa_open": False}
    if name == "audit":
        return "get", s_url(session, "audit/"), None
    raise ValueError(name)


MODERATION_ENDPOINTS = [
    "approve",
    "reject",
    "pin",
    "unpin",
    "answer",
    "archive",
    "restore",
    "edit",
    "merge",
    "bulk",
    "session_update",
    "audit",
]
EXPECTED = {
    "anonymous": (401, "auth.required"),
    "participant": (403, "moderation.forbidden"),
    "other_moderator": (403, "moderation.forbidden"),
    "moderator": (200, None),
    "superuser": (200, None),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", MODERATION_ENDPOINTS)
def test_moderation_endpoint_authorisation(session, endpoint, role):
    method, url, data = _moderation_request(endpoint, session)
    client = client_for(role, session.event)
    response = (
        getattr(client, method)(url, data, format="json")
        if data is not None
        else getattr(client, method)(url)
    )
    status, code = EXPECTED[role]
    assert response.status_code == status
    if code is not None:
        assert response.json()["code"] == code
        assert ModerationAction.objects.count() == 0
    elif method != "get":
        assert ModerationAction.objects.count() >= 1


def test_validation_error_in_vietnamese_by_default(session):
    client, _ = as_participant(session.event)
    client.defaults.pop("HTTP_ACCEPT_LANGUAGE")
    response = client.post(s_url(session, "questions/"), {}, format="json")
    assert response.json()["fields"] == {"text": ["Trường này là bắt buộc."]}


@pytest.mark.django_db
def test_signed_in_moderator_can_ask_from_the_phone_page_with_a_participant_token():
    """The phone page sends X-Participant-Token; a moderator's session cookie in the same
    browser must not turn the request into a (non-participant) user request."""
    from rest_framework.test import APIClient

    session = factories.session()
    moderator = factories.moderator(session.event)
    participant, token = factories.participant(session.event)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(moderator)

    response = client.post(
        f"/api/v1/sessions/{session.pk}/questions/",
        {"text": "Câu hỏi từ điện thoại của người điều phối"},
        format="json",
        HTTP_X_PARTICIPANT_TOKEN=token,
    )

    assert response.status_code == 201, response.json()
    assert response.json()["text"] == "Câu hỏi từ điện thoại của người điều phối"
    assert session.questions.get().participant_id == participant.pk


# ---- while Redis is down ------------------------------------------------------------------------


def test_public_questions_read_while_redis_is_down(session, redis_down):
    question = factories.question(session, status="approved")

    response = anonymous().get(s_url(session, "questions/"))

    assert response.status_code == 200
    assert [q["id"] for q in response.json()] == [question.pk]


def test_phone_writes_while_redis_is_down_are_503_with_retry_after_and_change_nothing(
    session, redis_down
):
    """Join, ask and vote count against throttles kept in Redis: without it they fail fast,
    saying so, rather than a 500, or a 200 whose change no screen would hear of."""
    question = factories.question(session, status="approved")
    phone, _ = as_participant(session.event)
    before = Participant.objects.count(), Question.objects.count()

    answers = [
        anonymous().post(f"/api/v1/events/{session.event.slug}/join/", {}, format="json"),
        phone.post(s_url(session, "questions/"), {"text": "Khi nào?"}, format="json"),
        phone.post(q_url(question, "vote")),
        phone.delete(q_url(question, "vote")),
    ]

    assert [a.status_code for a in answers] == [503, 503, 503, 503]
    assert {a.json()["code"] for a in answers} == {"service.unavailable"}
    assert all(int(a["Retry-After"]) >= 1 for a in answers)
    assert (Participant.objects.count(), Question.objects.count()) == before
    assert Vote.objects.count() == 0

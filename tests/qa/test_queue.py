"""The stage queue: qa/services.question_queue and question_unqueue (order, shifting, refusals,
audit, versions, what goes out on the streams), a queued question leaving the queue when it is
pinned, answered, rejected, archived or merged, and POST /api/v1/questions/<id>/queue/ and
.../unqueue/ (every answer: 200, 400 with the field, 401, 403, 404, 409)."""

import pytest

from live.errors import DomainError
from live.realtime import streams
from qa import services
from qa.models import ModerationAction, Question
from tests import factories
from tests.api_clients import anonymous, as_participant, as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def venue():
    """A live session (its hall's display and stage show it), a moderator, and four approved
    questions."""
    session = factories.session()
    moderator = factories.moderator(session.event)
    questions = [factories.question(session, status="approved") for _ in range(4)]
    return session, moderator, questions


def queue_of(session) -> list[int]:
    rows = Question.objects.filter(session=session, queue_position__isnull=False)
    return list(rows.order_by("queue_position").values_list("pk", flat=True))


def positions(session) -> list[int]:
    rows = Question.objects.filter(session=session, queue_position__isnull=False)
    return sorted(rows.values_list("queue_position", flat=True))


def enqueue(moderator, *questions) -> None:
    for q in questions:
        services.question_queue(question_id=q.pk, actor=moderator)


# ---- order and shifting ----------------------------------------------------------------------


def test_queue_appends_in_order(venue):
    session, moderator, (a, b, c, _) = venue

    enqueue(moderator, a, b, c)

    assert queue_of(session) == [a.pk, b.pk, c.pk]
    assert positions(session) == [1, 2, 3]


def test_queue_at_position_shifts_the_others_and_bumps_their_versions(venue):
    session, moderator, (a, b, c, d) = venue
    enqueue(moderator, a, b, c)
    versions = dict(Question.objects.values_list("pk", "version"))

    services.question_queue(question_id=d.pk, actor=moderator, position=2)

    assert queue_of(session) == [a.pk, d.pk, b.pk, c.pk]
    after = dict(Question.objects.values_list("pk", "version"))
    assert {q: after[q] - versions[q] for q in after} == {a.pk: 0, b.pk: 1, c.pk: 1, d.pk: 1}


def test_queue_position_past_the_end_means_the_end(venue):
    session, moderator, (a, b, _, _) = venue
    enqueue(moderator, a)

    question = services.question_queue(question_id=b.pk, actor=moderator, position=99)

    assert (queue_of(session), question.queue_position) == ([a.pk, b.pk], 2)


def test_queue_moves_a_queued_question(venue):
    session, moderator, (a, b, c, _) = venue
    enqueue(moderator, a, b, c)

    services.question_queue(question_id=c.pk, actor=moderator, position=1)
    assert queue_of(session) == [c.pk, a.pk, b.pk]
    services.question_queue(question_id=c.pk, actor=moderator, position=3)
    assert queue_of(session) == [a.pk, b.pk, c.pk]


def test_queue_again_without_position_or_at_same_place_changes_nothing(venue):
    session, moderator, (a, b, _, _) = venue
    enqueue(moderator, a, b)

    same = services.question_queue(question_id=a.pk, actor=moderator)
    again = services.question_queue(question_id=b.pk, actor=moderator, position=2)

    assert (same.version, again.version) == (2, 2)
    assert queue_of(session) == [a.pk, b.pk]
    assert ModerationAction.objects.filter(action="queue").count() == 2


def test_unqueue_closes_up_the_queue(venue):
    session, moderator, (a, b, c, _) = venue
    enqueue(moderator, a, b, c)

    question = services.question_unqueue(question_id=a.pk, actor=moderator)

    assert question.queue_position is None
    assert queue_of(session) == [b.pk, c.pk]
    assert positions(session) == [1, 2]


def test_unqueue_a_question_not_queued_changes_nothing(venue):
    _, moderator, (a, _, _, _) = venue

    question = services.question_unqueue(question_id=a.pk, actor=moderator)

    assert (question.queue_position, question.version) == (None, 1)
    assert not ModerationAction.objects.filter(action="unqueue").exists()


def test_queues_of_two_sessions_are_separate(venue):
    session, moderator, (a, _, _, _) = venue
    other = factories.session(session.hall)
    x = factories.question(other, status="approved")

    enqueue(moderator, a, x)

    assert (queue_of(session), queue_of(other)) == ([a.pk], [x.pk])
    assert Question.objects.get(pk=x.pk).queue_position == 1


# ---- leaving the queue with another change ---------------------------------------------------


@pytest.mark.parametrize(
    "leave",
    [
        lambda q, m: services.question_pin(question_id=q.pk, actor=m),
        lambda q, m: services.question_answer(question_id=q.pk, actor=m),
        lambda q, m: services.question_reject(question_id=q.pk, actor=m),
        lambda q, m: services.question_archive(question_id=q.pk, actor=m),
        lambda q, m: services.question_merge(
            question_id=q.pk, into_id=Question.objects.exclude(pk=q.pk).first().pk, actor=m
        ),
        lambda q, m: services.question_bulk(
            session_id=q.session_id, action="answer", ids=[q.pk], actor=m
        ),
    ],
    ids=["pin", "answer", "reject", "archive", "merge", "bulk-answer"],
)
def test_question_leaves_the_queue_and_the_others_close_up(venue, leave, published):
    session, moderator, (a, b, c, _) = venue
    enqueue(moderator, a, b, c)

    leave(b, moderator)

    b.refresh_from_db()
    assert b.queue_position is None
    assert queue_of(session) == [a.pk, c.pk]
    assert positions(session) == [1, 2]


def test_restore_and_approve_do_not_queue(venue):
    session, moderator, (a, _, _, _) = venue
    enqueue(moderator, a)
    services.question_answer(question_id=a.pk, actor=moderator)

    services.question_restore(question_id=a.pk, actor=moderator)

    assert Question.objects.get(pk=a.pk).status == "approved"
    assert queue_of(session) == []


def test_pin_of_another_question_keeps_the_queue(venue):
    session, moderator, (a, b, c, _) = venue
    enqueue(moderator, a, b)

    services.question_pin(question_id=c.pk, actor=moderator)

    assert queue_of(session) == [a.pk, b.pk]


# ---- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "answered", "rejected", "archived"])
def test_queue_refuses_questions_not_approved(status):
    session = factories.session()
    question = factories.question(session, status=status)

    with pytest.raises(DomainError) as error:
        services.question_queue(question_id=question.pk, actor=None)

    assert (error.value.code, error.value.status) == ("question.cannot_queue", 409)
    assert Question.objects.get(pk=question.pk).queue_position is None


def test_queue_refuses_the_pinned_question(venue):
    _, moderator, (a, _, _, _) = venue
    services.question_pin(question_id=a.pk, actor=moderator)

    with pytest.raises(DomainError) as error:
        services.question_queue(question_id=a.pk, actor=moderator)

    assert (error.value.code, error.value.status) == ("question.queue_pinned", 409)


def test_queue_refuses_stale_version_and_bad_position(venue):
    _, moderator, (a, _, _, _) = venue

    with pytest.raises(services.VersionConflict):
        services.question_queue(question_id=a.pk, actor=moderator, version=7)
    with pytest.raises(services.VersionConflict):
        services.question_unqueue(question_id=a.pk, actor=moderator, version=7)
    with pytest.raises(DomainError) as error:
        services.question_queue(question_id=a.pk, actor=moderator, position=0)

    assert error.value.code == "question.queue_position"
    assert Question.objects.get(pk=a.pk).version == 1
    assert not ModerationAction.objects.exists()


def test_unknown_question_is_not_found():
    with pytest.raises(DomainError) as error:
        services.question_queue(question_id=987654, actor=None)

    assert (error.value.code, error.value.status) == ("question.not_found", 404)


# ---- audit and streams -------------------------------------------------------------------------


def test_queue_and_unqueue_are_audited(venue):
    _, moderator, (a, b, _, _) = venue
    enqueue(moderator, a)
    services.question_queue(question_id=b.pk, actor=moderator, position=1)
    services.question_unqueue(question_id=b.pk, actor=moderator)

    rows = ModerationAction.objects.order_by("id")
    assert list(rows.values_list("question_id", "actor_id", "action", "to_state", "detail")) == [
        (a.pk, moderator.pk, "queue", "approved", {"from": None, "to": 1}),
        (b.pk, moderator.pk, "queue", "approved", {"from": None, "to": 1}),
        (b.pk, moderator.pk, "unqueue", "approved", {"from": 1}),
    ]


def test_queue_publishes_each_moved_question_after_commit(
    venue, published, django_capture_on_commit_callbacks
):
    session, moderator, (a, b, _, _) = venue
    enqueue(moderator, a)

    with django_capture_on_commit_callbacks(execute=True):
        services.question_queue(question_id=b.pk, actor=moderator, position=1)

    for stream in (
        streams.moderation_stream(session.pk),
        streams.session_stream(session.pk),
        streams.display_stream(session.hall_id),
        streams.stage_stream(session.hall_id),
    ):
        sent = [(d["id"], d["queue_position"], d["version"]) for _, d in published(stream)]
        assert sent == [(b.pk, 1, 2), (a.pk, 2, 3)], stream
    moderation = published(streams.moderation_stream(session.pk))
    assert [d["last_action"]["action"] for _, d in moderation] == ["queue", "queue"]


def test_answer_publishes_the_questions_moving_up(
    venue, published, django_capture_on_commit_callbacks
):
    session, moderator, (a, b, _, _) = venue
    enqueue(moderator, a, b)

    with django_capture_on_commit_callbacks(execute=True):
        services.question_answer(question_id=a.pk, actor=moderator)

    sent = published(streams.stage_stream(session.hall_id))
    assert [(d["id"], d["status"], d["queue_position"]) for _, d in sent] == [
        (a.pk, "answered", None),
        (b.pk, "approved", 1),
    ]


def test_nothing_published_when_rolled_back(venue, published):
    session, moderator, (a, _, _, _) = venue
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.question_queue(question_id=a.pk, actor=moderator)
        raise RuntimeError

    assert published(streams.stage_stream(session.hall_id)) == []
    assert queue_of(session) == []


# ---- the API -----------------------------------------------------------------------------------


def url(question, action: str) -> str:
    return f"/api/v1/questions/{question.pk}/{action}/"


def test_api_queue_and_unqueue(venue):
    session, moderator, (a, b, _, _) = venue
    client = as_user(moderator)

    first = client.post(url(a, "queue"), {}, format="json")
    second = client.post(url(b, "queue"), {"position": 1, "version": 1}, format="json")
    out = client.post(url(b, "unqueue"), {"version": 2}, format="json")

    assert (first.status_code, second.status_code, out.status_code) == (200, 200, 200)
    assert (first.json()["queue_position"], second.json()["queue_position"]) == (1, 1)
    assert (out.json()["queue_position"], out.json()["version"]) == (None, 3)
    assert out.json()["last_action"]["action"] == "unqueue"
    assert queue_of(session) == [a.pk]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"position": 0}, "position"),
        ({"position": "first"}, "position"),
        ({"version": 0}, "version"),
    ],
)
def test_api_queue_bad_field_is_400(venue, body, field):
    _, moderator, (a, _, _, _) = venue

    response = as_user(moderator).post(url(a, "queue"), body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert Question.objects.get(pk=a.pk).queue_position is None


@pytest.mark.parametrize("action", ["queue", "unqueue"])
def test_api_who_may_queue(venue, action):
    session, _, (a, _, _, _) = venue
    participant_client, _ = as_participant(session.event)
    other_moderator = as_user(factories.moderator(factories.event()))

    assert anonymous().post(url(a, action)).status_code == 401
    assert participant_client.post(url(a, action)).status_code == 403
    assert other_moderator.post(url(a, action)).status_code == 403
    assert Question.objects.get(pk=a.pk).version == 1
    assert as_user(factories.superuser()).post(url(a, action)).status_code == 200


@pytest.mark.parametrize("action", ["queue", "unqueue"])
def test_api_unknown_question_is_404(venue, action):
    _, moderator, _ = venue

    response = as_user(moderator).post(f"/api/v1/questions/987654/{action}/")

    assert (response.status_code, response.json()["code"]) == (404, "question.not_found")


def test_api_conflicts_are_409(venue):
    session, moderator, (a, b, _, _) = venue
    pending = factories.question(session)
    client = as_user(moderator)
    services.question_pin(question_id=b.pk, actor=moderator)

    stale = client.post(url(a, "queue"), {"version": 5}, format="json")
    stale_out = client.post(url(a, "unqueue"), {"version": 5}, format="json")
    not_approved = client.post(url(pending, "queue"))
    pinned = client.post(url(b, "queue"))

    assert stale.status_code == stale_out.status_code == 409
    assert (stale.json()["code"], stale.json()["question"]["version"]) == (
        "question.version_conflict",
        1,
    )
    assert (not_approved.status_code, not_approved.json()["code"]) == (409, "question.cannot_queue")
    assert (pinned.status_code, pinned.json()["code"]) == (409, "question.queue_pinned")
    assert queue_of(session) == []


# ---- concurrency (PostgreSQL: real row locks) --------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_queue_changes_and_votes_neither_deadlock_nor_leave_gaps():
    """Two moderators reordering and answering while phones vote on the same questions: every
    change goes through (no deadlock: one lock order, `_lock`), and the places stay 1..n."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    session = factories.session()
    moderator = factories.moderator(session.event)
    questions = [factories.question(session, status="approved") for _ in range(8)]
    phones = [factories.participant(session.event)[0] for _ in range(4)]
    ids = [q.pk for q in questions]
    errors: list[BaseException] = []

    def moderate(offset: int) -> None:
        try:
            for i in range(24):
                qid = ids[(i * 3 + offset) % len(ids)]
                if i % 4 == 3:
                    services.question_unqueue(question_id=qid, actor=moderator)
                else:
                    services.question_queue(question_id=qid, actor=moderator, position=1 + i % 3)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def vote() -> None:
        try:
            for i in range(24):
                services.votes_apply(
                    [
                        services.VoteChange(p.pk, p.event_id, qid, voted=i % 2 == 0)
                        for p in phones
                        for qid in reversed(ids)
                    ]
                )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=moderate, args=(n,)) for n in (0, 1)]
    threads.append(threading.Thread(target=vote))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert positions(session) == list(range(1, len(queue_of(session)) + 1))

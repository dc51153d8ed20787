"""Every service of qa/services.py called directly: its exact effects (fields, version, the
audit row, the messages published after commit on each stream), every move the transition
table refuses, and nothing published when the transaction rolls back.

Messages are read back from the realtime backend's history (the `published` fixture), so what
is checked is what a client would receive."""

import datetime as dt
import time

import pytest
from django.db import transaction

from live.errors import DomainError
from live.realtime import streams
from qa import services
from qa.models import ModerationAction, Participant, Question, Vote
from qa.representations import question_moderation, question_public
from qa.selectors import participant_for_token
from tests import factories
from tests.qa.test_enums import EXPECTED_QUESTION_MOVES, ILLEGAL_QUESTION_CASES

pytestmark = pytest.mark.django_db

PUBLIC = {"approved", "answered"}
TRANSITION_SERVICES = {
    "approve": services.question_approve,
    "reject": services.question_reject,
    "answer": services.question_answer,
    "archive": services.question_archive,
    "restore": services.question_restore,
}
TRANSITION_CASES = [
    (action, before, after)
    for action in TRANSITION_SERVICES
    for before, after in EXPECTED_QUESTION_MOVES[action].items()
]
EVERY_ACTION = [*TRANSITION_SERVICES, "pin", "unpin", "edit", "merge"]


@pytest.fixture
def hall_session():
    """A live session (its hall's display shows it) and a moderator of its event."""
    session = factories.session()
    return session, factories.moderator(session.event)


def streams_of(session) -> tuple[str, str, str]:
    return (
        streams.moderation_stream(session.pk),
        streams.session_stream(session.pk),
        streams.display_stream(session.hall_id),
    )


def audit_rows(question) -> list[tuple]:
    rows = ModerationAction.objects.filter(question=question).order_by("id")
    return list(rows.values_list("actor_id", "action", "from_state", "to_state", "detail"))


def act(action: str, question: Question, actor, **kw) -> Question:
    """The service of `action` on `question`, with what else that service needs."""
    if action == "edit":
        return services.question_edit(
            question_id=question.pk, actor=actor, text="Câu hỏi đã được sửa?", **kw
        )
    if action == "translate":
        return services.question_translate(
            question_id=question.pk, actor=actor, translation="When is it?", **kw
        )
    if action == "merge":
        target = factories.question(question.session, status="approved")
        return services.question_merge(
            question_id=question.pk, into_id=target.pk, actor=actor, **kw
        )
    flags = {"pin": services.question_pin, "unpin": services.question_unpin}
    return {**TRANSITION_SERVICES, **flags}[action](question_id=question.pk, actor=actor, **kw)


def wait_for(published, stream: str, type: str, seconds: float = 10.0) -> list[dict]:
    """The data of each `type` message on `stream`, waiting for the coalescing window (votes
    go out from a timer thread) on a loaded machine."""
    deadline = time.monotonic() + seconds
    while True:
        found = [data for kind, data in published(stream) if kind == type]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


# ---- participant_join -------------------------------------------------------------------------


def test_participant_join_creates_identity_with_clean_name():
    event = factories.event()

    participant, token = services.participant_join(event=event, display_name="  Lan \u200b ")

    assert (participant.event_id, participant.display_name) == (event.pk, "Lan")
    assert participant_for_token(token=token) == participant


def test_participant_join_name_too_long_refused():
    event = factories.event()

    with pytest.raises(DomainError) as error:
        services.participant_join(event=event, display_name="x" * 81)

    assert (error.value.code, error.value.status) == ("participant.name_too_long", 400)
    assert Participant.objects.filter(event=event).count() == 0


# ---- validate_question_text -------------------------------------------------------------------


def test_validate_question_text_cleans():
    assert services.validate_question_text("  Vé điện tử?\u202e\r\n\n\n\nKhi nào? ") == (
        "Vé điện tử?\n\nKhi nào?"
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "question.empty"), (" \u200b\n ", "question.empty"), ("x" * 501, "question.too_long")],
)
def test_validate_question_text_refused(text, code):
    with pytest.raises(DomainError) as error:
        services.validate_question_text(text)

    assert error.value.code == code


# ---- question_submit --------------------------------------------------------------------------


@pytest.mark.parametrize(("moderation", "status"), [("pre", "pending"), ("post", "approved")])
def test_question_submit_stores_and_publishes(
    moderation, status, django_capture_on_commit_callbacks, published
):
    session = factories.session(moderation=moderation)
    participant, _ = factories.participant(session.event, display_name="Lan")

    with django_capture_on_commit_callbacks(execute=True):
        question, created = services.question_submit(
            session=session, participant=participant, text=" Khi nào có metro số 3? "
        )

    question.refresh_from_db()
    assert created is True
    assert (question.text, question.author_name, question.status, question.version) == (
        "Khi nào có metro số 3?",
        "Lan",
        status,
        1,
    )
    moderation_stream, session_stream, display_stream = streams_of(session)
    assert published(moderation_stream) == [("question.created", question_moderation(question))]
    public = [("question.updated", question_public(question))] if status in PUBLIC else []
    assert published(session_stream) == public
    assert published(display_stream) == public


def test_question_submit_anonymous_has_no_author():
    session = factories.session()
    participant, _ = factories.participant(session.event, display_name="Lan")

    question, _ = services.question_submit(
        session=session,
        participant=participant,
        text="Hỏi ẩn danh?",
        author_name="Lan",
        anonymous=True,
    )

    assert (question.author_name, question.anonymous) == ("", True)


def test_question_submit_same_client_id_returns_first_question_unpublished(
    django_capture_on_commit_callbacks, published
):
    session = factories.session()
    participant, _ = factories.participant(session.event)
    first, _ = services.question_submit(
        session=session, participant=participant, text="Lần một?", client_id="c-1"
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again, created = services.question_submit(
            session=session, participant=participant, text="Lần hai?", client_id="c-1"
        )

    assert (again.pk, again.text, created) == (first.pk, "Lần một?", False)
    assert callbacks == []
    assert Question.objects.filter(session=session).count() == 1


@pytest.mark.parametrize(
    ("session_kw", "kw", "code", "status"),
    [
        ({"qa_open": False}, {}, "qa.closed", 409),
        ({"status": "ended"}, {}, "qa.closed", 409),
        ({}, {"text": "   "}, "question.empty", 400),
        ({}, {"author_name": "x" * 81}, "question.author_too_long", 400),
        ({}, {"other_event": True}, "participant.wrong_event", 400),
    ],
)
def test_question_submit_refused(session_kw, kw, code, status, published):
    session = factories.session(**session_kw)
    event = factories.event() if kw.pop("other_event", False) else session.event
    participant, _ = factories.participant(event)

    with pytest.raises(DomainError) as error:
        services.question_submit(
            session=session, participant=participant, **{"text": "Câu hỏi?", **kw}
        )

    assert (error.value.code, error.value.status) == (code, status)
    assert Question.objects.filter(session=session).count() == 0
    assert published(streams.moderation_stream(session.pk)) == []


def test_question_submit_addressed_to_a_speaker_of_the_session(
    django_capture_on_commit_callbacks, published
):
    session = factories.session(moderation="post")
    ha = factories.speaker(session.event, name="Nguyễn Thị Hà")
    session.speakers.add(ha, factories.speaker(session.event))
    participant, _ = factories.participant(session.event)

    with django_capture_on_commit_callbacks(execute=True):
        question, _ = services.question_submit(
            session=session, participant=participant, text="Chị nghĩ sao?", addressed_to=ha.pk
        )

    question.refresh_from_db()
    assert question.addressed_to_id == ha.pk
    assert question_public(question)["addressed_to"] == {"id": ha.pk, "name": "Nguyễn Thị Hà"}
    ((_kind, sent),) = published(streams.display_stream(session.hall_id))
    assert sent["addressed_to"] == {"id": ha.pk, "name": "Nguyễn Thị Hà"}


def test_question_submit_addressed_to_nobody_is_everyone():
    session = factories.session()
    session.speakers.add(factories.speaker(session.event))
    participant, _ = factories.participant(session.event)

    question, _ = services.question_submit(
        session=session, participant=participant, text="Cho mọi người?", addressed_to=None
    )

    assert (question.addressed_to_id, question_public(question)["addressed_to"]) == (None, None)


@pytest.mark.parametrize("whose", ["other_session", "other_event", "unknown"])
def test_question_submit_addressed_to_someone_else_refused(whose, published):
    session = factories.session()
    session.speakers.add(factories.speaker(session.event))
    other = factories.session(factories.hall(session.event))
    other.speakers.add(speaker := factories.speaker(session.event))
    speaker_id = {
        "other_session": speaker.pk,  # the same event, another session's speaker
        "other_event": factories.speaker(factories.event()).pk,
        "unknown": 987654,
    }[whose]
    participant, _ = factories.participant(session.event)

    with pytest.raises(DomainError) as error:
        services.question_submit(
            session=session, participant=participant, text="Câu hỏi?", addressed_to=speaker_id
        )

    assert (error.value.code, error.value.status, error.value.field) == (
        "question.addressed_to_invalid",
        400,
        "addressed_to",
    )
    assert Question.objects.count() == 0
    assert published(streams.moderation_stream(session.pk)) == []


# ---- question transitions ---------------------------------------------------------------------


@pytest.mark.parametrize(("action", "before", "after"), TRANSITION_CASES)
def test_question_transition_applied_audited_published(
    action, before, after, hall_session, django_capture_on_commit_callbacks, published
):
    session, moderator = hall_session
    question = factories.question(session, status=before)

    with django_capture_on_commit_callbacks(execute=True):
        returned = TRANSITION_SERVICES[action](question_id=question.pk, actor=moderator)

    question.refresh_from_db()
    assert (returned.status, returned.version) == (after, 2)
    assert (question.status, question.version) == (after, 2)
    assert (question.answered_at is not None) == (after == "answered")
    assert audit_rows(question) == [(moderator.pk, action, before, after, {})]
    record = ModerationAction.objects.get(question=question)
    moderation_stream, session_stream, display_stream = streams_of(session)
    assert published(moderation_stream) == [
        ("question.updated", question_moderation(question, record))
    ]
    if after in PUBLIC:
        public = [("question.updated", question_public(question))]
    elif before in PUBLIC:
        public = [("question.removed", {"id": question.pk, "reason": after})]
    else:
        public = []
    assert published(session_stream) == public
    assert published(display_stream) == public


@pytest.mark.parametrize("action", ["reject", "answer", "archive"])
def test_question_transition_off_screen_clears_pin(action, hall_session):
    session, moderator = hall_session
    question = factories.question(session, status="approved", pinned=True)

    TRANSITION_SERVICES[action](question_id=question.pk, actor=moderator)

    question.refresh_from_db()
    assert question.pinned is False


def test_question_transition_anonymous_actor_audited_without_actor(hall_session):
    session, _ = hall_session
    question = factories.question(session)

    services.question_approve(question_id=question.pk, actor=None)

    assert audit_rows(question) == [(None, "approve", "pending", "approved", {})]


@pytest.mark.parametrize(("action", "status"), ILLEGAL_QUESTION_CASES)
def test_question_service_illegal_move_changes_nothing(
    action, status, hall_session, django_capture_on_commit_callbacks, published
):
    session, moderator = hall_session
    question = factories.question(session, status=status)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as error:
        act(action, question, moderator)

    question.refresh_from_db()
    assert (error.value.code, error.value.status) == (f"question.cannot_{action}", 409)
    assert (question.status, question.version, question.pinned) == (status, 1, False)
    assert ModerationAction.objects.count() == 0
    assert [published(stream) for stream in streams_of(session)] == [[], [], []]


@pytest.mark.parametrize("action", EVERY_ACTION)
def test_question_service_stale_version_conflict(action, hall_session, published):
    session, moderator = hall_session
    status = "pending" if action in ("approve", "reject", "archive") else "approved"
    status = {"restore": "archived", "unpin": "approved"}.get(action, status)
    question = factories.question(session, status=status, pinned=action == "unpin")

    with pytest.raises(services.VersionConflict) as error:
        act(action, question, moderator, version=7)

    question.refresh_from_db()
    assert (error.value.code, error.value.status) == ("question.version_conflict", 409)
    assert (error.value.question.pk, error.value.question.version) == (question.pk, 1)
    assert (question.status, question.version) == (status, 1)
    assert ModerationAction.objects.count() == 0


@pytest.mark.parametrize("action", EVERY_ACTION)
def test_question_service_unknown_question_not_found(action, hall_session):
    session, moderator = hall_session
    missing = Question(pk=987654, session=session)

    with pytest.raises(DomainError) as error:
        act(action, missing, moderator)

    assert (error.value.code, error.value.status) == ("question.not_found", 404)


@pytest.mark.parametrize("action", ["approve", "pin", "edit", "merge"])
def test_question_service_rolled_back_publishes_nothing(
    action, hall_session, django_capture_on_commit_callbacks, published
):
    session, moderator = hall_session
    question = factories.question(session, status="pending" if action == "approve" else "approved")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        act(action, question, moderator)
        raise RuntimeError("the caller's transaction fails after the service")

    question.refresh_from_db()
    assert callbacks == []
    assert (question.version, ModerationAction.objects.count()) == (1, 0)
    assert [published(stream) for stream in streams_of(session)] == [[], [], []]


# ---- pin / unpin ------------------------------------------------------------------------------


def test_question_pin_unpins_the_previous_one(
    hall_session, django_capture_on_commit_callbacks, published
):
    session, moderator = hall_session
    previous = factories.question(session, status="approved", pinned=True)
    question = factories.question(session, status="approved")

    with django_capture_on_commit_callbacks(execute=True):
        services.question_pin(question_id=question.pk, actor=moderator)

    previous.refresh_from_db()
    question.refresh_from_db()
    assert (previous.pinned, previous.version, question.pinned, question.version) == (
        False,
        2,
        True,
        2,
    )
    assert audit_rows(previous) == [(moderator.pk, "unpin", "approved", "approved", {})]
    assert audit_rows(question) == [(moderator.pk, "pin", "approved", "approved", {})]
    unpinned, pinned = ModerationAction.objects.order_by("id")
    moderation_stream, session_stream, _ = streams_of(session)
    assert published(moderation_stream) == [
        ("question.updated", question_moderation(previous, unpinned)),
        ("question.updated", question_moderation(question, pinned)),
    ]
    assert published(session_stream) == [
        ("question.updated", question_public(previous)),
        ("question.updated", question_public(question)),
    ]


@pytest.mark.parametrize(("action", "pinned"), [("pin", True), ("unpin", False)])
def test_question_pin_unpin_already_so_changes_nothing(
    action, pinned, hall_session, django_capture_on_commit_callbacks
):
    session, moderator = hall_session
    question = factories.question(session, status="approved", pinned=pinned)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        act(action, question, moderator)

    question.refresh_from_db()
    assert (question.pinned, question.version, callbacks) == (pinned, 1, [])
    assert audit_rows(question) == []


def test_question_unpin_applied_audited_published(
    hall_session, django_capture_on_commit_callbacks, published
):
    session, moderator = hall_session
    question = factories.question(session, status="approved", pinned=True)

    with django_capture_on_commit_callbacks(execute=True):
        services.question_unpin(question_id=question.pk, actor=moderator)

    question.refresh_from_db()
    assert (question.pinned, question.version) == (False, 2)
    assert audit_rows(question) == [(moderator.pk, "unpin", "approved", "approved", {})]
    assert published(streams.session_stream(session.pk)) == [
        ("question.updated", question_public(question))
    ]


# ---- edit -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "approved", "rejected", "answered"])
def test_question_edit_keeps_original_and_audits(
    status, hall_session, django_capture_on_commit_callbacks, published
):
    session, moderator = hall_session
    question = factories.question(session, status=status, text="Câu hỏi gốc?")

    with django_capture_on_commit_callbacks(execute=True):
        services.question_edit(question_id=question.pk, actor=moderator, text=" Câu đã sửa? ")

    question.refresh_from_db()
    assert (question.text, question.original_text, question.version) == (
        "Câu đã sửa?",
        "Câu hỏi gốc?",
        2,
    )
    detail = {"old_text": "Câu hỏi gốc?", "new_text": "Câu đã sửa?"}
    assert audit_rows(question) == [(moderator.pk, "edit", status, status, detail)]
    record = ModerationAction.objects.get(question=question)
    assert published(streams.moderation_stream(session.pk)) == [
        ("question.updated", question_moderation(question, record))
    ]
    public = [("question.updated", question_public(question))] if status in PUBLIC else []
    assert published(streams.session_stream(session.pk)) == public


def test_question_edit_twice_keeps_first_original(hall_session):
    session, moderator = hall_session
    question = factories.question(session, text="Gốc?")
    services.question_edit(question_id=question.pk, actor=moderator, text="Sửa một?")

    services.question_edit(question_id=question.pk, actor=moderator, text="Sửa hai?")

    question.refresh_from_db()
    assert (question.text, question.original_text, question.version) == ("Sửa hai?", "Gốc?", 3)


def test_question_edit_same_text_changes_nothing(hall_session, django_capture_on_commit_callbacks):
    session, moderator = hall_session
    question = factories.question(session, text="Như cũ?")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.question_edit(question_id=question.pk, actor=moderator, text=" Như cũ? ")

    question.refresh_from_db()
    assert (question.version, question.original_text, callbacks) == (1, "", [])


def test_question_edit_empty_text_refused(hall_session):
    session, moderator = hall_session
    question = factories.question(session, text="Gốc?")

    with pytest.raises(DomainError) as error:
        services.question_edit(question_id=question.pk, actor=moderator, text=" ")

    question.refresh_from_db()
    assert (error.value.code, question.text, question.version) == ("question.empty", "Gốc?", 1)


@pytest.fixture
def addressed(hall_session):
    """An approved question of the hall session, addressed to Hà; Minh speaks there too."""
    session, moderator = hall_session
    ha = factories.speaker(session.event, name="Nguyễn Thị Hà")
    minh = factories.speaker(session.event, name="Trần Văn Minh")
    session.speakers.add(ha, minh)
    question = factories.question(session, status="approved", text="Gốc?", addressed_to=ha)
    return question, moderator, ha, minh


def test_question_edit_changes_the_speaker_audited_versioned_published(
    addressed, django_capture_on_commit_callbacks, published
):
    question, moderator, ha, minh = addressed

    with django_capture_on_commit_callbacks(execute=True):
        services.question_edit(question_id=question.pk, actor=moderator, addressed_to=minh.pk)

    question.refresh_from_db()
    assert (question.addressed_to_id, question.text, question.version) == (minh.pk, "Gốc?", 2)
    detail = {
        "addressed_to": {
            "from": {"id": ha.pk, "name": "Nguyễn Thị Hà"},
            "to": {"id": minh.pk, "name": "Trần Văn Minh"},
        }
    }
    assert audit_rows(question) == [(moderator.pk, "edit", "approved", "approved", detail)]
    ((_kind, sent),) = published(streams.display_stream(question.session.hall_id))
    assert sent["addressed_to"] == {"id": minh.pk, "name": "Trần Văn Minh"}


def test_question_edit_clears_the_speaker_and_text_in_one_change(addressed):
    question, moderator, ha, _minh = addressed

    services.question_edit(question_id=question.pk, actor=moderator, text="Mới?", addressed_to=None)

    question.refresh_from_db()
    assert (question.addressed_to_id, question.text, question.version) == (None, "Mới?", 2)
    detail = {
        "old_text": "Gốc?",
        "new_text": "Mới?",
        "addressed_to": {"from": {"id": ha.pk, "name": "Nguyễn Thị Hà"}, "to": None},
    }
    assert audit_rows(question) == [(moderator.pk, "edit", "approved", "approved", detail)]


def test_question_edit_text_only_keeps_the_speaker(addressed):
    question, moderator, ha, _minh = addressed

    services.question_edit(question_id=question.pk, actor=moderator, text="Mới?")

    question.refresh_from_db()
    assert (question.addressed_to_id, question.text) == (ha.pk, "Mới?")


def test_question_edit_same_speaker_changes_nothing(addressed, django_capture_on_commit_callbacks):
    question, moderator, ha, _minh = addressed

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.question_edit(question_id=question.pk, actor=moderator, addressed_to=ha.pk)

    question.refresh_from_db()
    assert (question.version, audit_rows(question), callbacks) == (1, [], [])


def test_question_edit_speaker_of_another_session_refused(addressed):
    question, moderator, ha, _minh = addressed
    stranger = factories.speaker(question.session.event)

    with pytest.raises(DomainError) as error:
        services.question_edit(
            question_id=question.pk, actor=moderator, text="Mới?", addressed_to=stranger.pk
        )

    question.refresh_from_db()
    assert error.value.code == "question.addressed_to_invalid"
    assert (question.addressed_to_id, question.text, question.version) == (ha.pk, "Gốc?", 1)
    assert audit_rows(question) == []


# ---- merge ------------------------------------------------------------------------------------


@pytest.mark.parametrize("before", ["pending", "approved", "answered"])
def test_question_merge_moves_votes_once_and_archives(
    before, hall_session, django_capture_on_commit_callbacks, published
):
    session, moderator = hall_session
    duplicate = factories.question(session, status=before, pinned=before == "approved")
    target = factories.question(session, status="approved")
    both, only_duplicate, only_target = (factories.participant(session.event)[0] for _ in "abc")
    Vote.objects.bulk_create(
        [
            Vote(question=duplicate, participant=both),
            Vote(question=duplicate, participant=only_duplicate),
            Vote(question=target, participant=both),
            Vote(question=target, participant=only_target),
        ]
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.question_merge(question_id=duplicate.pk, into_id=target.pk, actor=moderator)

    duplicate.refresh_from_db()
    target.refresh_from_db()
    assert (duplicate.status, duplicate.pinned, duplicate.merged_into_id) == (
        "archived",
        False,
        target.pk,
    )
    assert (duplicate.vote_count, duplicate.version, target.vote_count) == (0, 2, 3)
    assert sorted(
        Vote.objects.filter(question=target).values_list("participant_id", flat=True)
    ) == (sorted([both.pk, only_duplicate.pk, only_target.pk]))
    assert Vote.objects.filter(question=duplicate).count() == 0
    assert audit_rows(duplicate) == [
        (moderator.pk, "merge", before, "archived", {"into": target.pk})
    ]
    record = ModerationAction.objects.get(question=duplicate)
    assert published(streams.moderation_stream(session.pk)) == [
        ("question.updated", question_moderation(duplicate, record))
    ]
    public = [("question.removed", {"id": duplicate.pk, "reason": "merged"})]
    assert published(streams.session_stream(session.pk)) == (public if before in PUBLIC else [])


@pytest.mark.parametrize(
    ("arrange", "code", "status"),
    [
        ("self", "question.merge_self", 400),
        ("other_session", "question.merge_other_session", 400),
        ("target_rejected", "question.merge_target_closed", 409),
        ("target_archived", "question.merge_target_closed", 409),
        ("target_missing", "question.not_found", 404),
    ],
)
def test_question_merge_refused_changes_nothing(arrange, code, status, hall_session):
    session, moderator = hall_session
    question = factories.question(session, status="approved")
    into_id = {
        "self": question.pk,
        "other_session": lambda: factories.question(factories.session(), status="approved").pk,
        "target_rejected": lambda: factories.question(session, status="rejected").pk,
        "target_archived": lambda: factories.question(session, status="archived").pk,
        "target_missing": 987654,
    }[arrange]
    into_id = into_id() if callable(into_id) else into_id

    with pytest.raises(DomainError) as error:
        services.question_merge(question_id=question.pk, into_id=into_id, actor=moderator)

    question.refresh_from_db()
    assert (error.value.code, error.value.status) == (code, status)
    assert (question.status, question.merged_into_id, question.version) == ("approved", None, 1)
    assert ModerationAction.objects.count() == 0


# ---- bulk -------------------------------------------------------------------------------------


def test_question_bulk_applies_to_each_in_order(
    hall_session, django_capture_on_commit_callbacks, published
):
    session, moderator = hall_session
    first, second = factories.question(session), factories.question(session)

    with django_capture_on_commit_callbacks(execute=True):
        done = services.question_bulk(
            session_id=session.pk,
            action="approve",
            ids=[second.pk, first.pk, second.pk],
            actor=moderator,
        )

    assert [(q.pk, q.status, q.version) for q in done] == [
        (second.pk, "approved", 2),
        (first.pk, "approved", 2),
    ]
    assert [audit_rows(q) for q in (first, second)] == [
        [(moderator.pk, "approve", "pending", "approved", {})]
    ] * 2
    assert [data["id"] for _, data in published(streams.session_stream(session.pk))] == [
        second.pk,
        first.pk,
    ]


@pytest.mark.parametrize(
    ("action", "ids", "code", "status"),
    [
        ("pin", "mine", "bulk.invalid_action", 400),
        ("approve", "with_other_session", "bulk.unknown_questions", 404),
        ("answer", "mine", "question.cannot_answer", 409),  # the second one is pending
    ],
)
def test_question_bulk_refused_changes_none(
    action, ids, code, status, hall_session, django_capture_on_commit_callbacks, published
):
    session, moderator = hall_session
    mine = [factories.question(session, status="approved"), factories.question(session)]
    other = factories.question(factories.session(), status="approved")
    ids = [q.pk for q in mine] + ([other.pk] if ids == "with_other_session" else [])

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(DomainError) as error,
        transaction.atomic(),  # the caller's (the API view's) transaction
    ):
        services.question_bulk(session_id=session.pk, action=action, ids=ids, actor=moderator)

    assert (error.value.code, error.value.status) == (code, status)
    assert [(q.status, q.version) for q in Question.objects.order_by("id")] == [
        ("approved", 1),
        ("pending", 1),
        ("approved", 1),
    ]
    assert ModerationAction.objects.count() == 0
    assert [published(stream) for stream in streams_of(session)] == [[], [], []]


# ---- votes ------------------------------------------------------------------------------------


def test_votes_apply_answers_each_change_in_order():
    session = factories.session()
    public = factories.question(session, status="approved")
    pending = factories.question(session, status="pending")
    elsewhere = factories.question(factories.session(), status="approved")
    lan, minh = (factories.participant(session.event)[0] for _ in "ab")
    change = services.VoteChange

    results = services.votes_apply(
        [
            change(lan.pk, session.event_id, public.pk, True),
            change(lan.pk, session.event_id, public.pk, True),  # twice is one vote
            change(minh.pk, session.event_id, public.pk, True),
            change(minh.pk, session.event_id, public.pk, False),  # the last change wins
            change(987654, session.event_id, public.pk, True),
            change(lan.pk, session.event_id, elsewhere.pk, True),
            change(lan.pk, session.event_id, pending.pk, True),
        ]
    )

    assert results[:4] == [1, 1, 1, 1]
    assert [(r.code, r.status) for r in results[4:]] == [
        ("participant.unknown", 401),
        ("question.not_found", 404),
        ("vote.not_public", 409),
    ]
    public.refresh_from_db()
    assert public.vote_count == 1
    assert list(Vote.objects.values_list("participant_id", "question_id")) == [(lan.pk, public.pk)]


def test_votes_apply_only_refusals_writes_nothing(django_capture_on_commit_callbacks):
    session = factories.session()
    pending = factories.question(session, status="pending")
    lan, _ = factories.participant(session.event)

    with django_capture_on_commit_callbacks() as callbacks:
        (result,) = services.votes_apply(
            [services.VoteChange(lan.pk, session.event_id, pending.pk, True)]
        )

    assert (result.code, callbacks, Vote.objects.count()) == ("vote.not_public", [], 0)


@pytest.mark.parametrize("status", ["approved", "answered"])
def test_vote_cast_and_withdraw_return_the_tally(status):
    session = factories.session()
    question = factories.question(session, status=status)
    lan, minh = (factories.participant(session.event)[0] for _ in "ab")

    tallies = [
        services.vote_cast(question_id=question.pk, participant=lan),
        services.vote_cast(question_id=question.pk, participant=lan),
        services.vote_cast(question_id=question.pk, participant=minh),
        services.vote_withdraw(question_id=question.pk, participant=lan),
        services.vote_withdraw(question_id=question.pk, participant=lan),
    ]

    question.refresh_from_db()
    assert tallies == [1, 1, 2, 1, 1]
    assert question.vote_count == 1
    assert list(Vote.objects.values_list("participant_id", flat=True)) == [minh.pk]


@pytest.mark.parametrize("status", ["pending", "rejected", "archived"])
@pytest.mark.parametrize("service", [services.vote_cast, services.vote_withdraw])
def test_vote_on_question_off_screen_refused(service, status):
    session = factories.session()
    question = factories.question(session, status=status)
    lan, _ = factories.participant(session.event)

    with pytest.raises(DomainError) as error:
        service(question_id=question.pk, participant=lan)

    assert (error.value.code, error.value.status) == ("vote.not_public", 409)


@pytest.mark.django_db(transaction=True)
def test_votes_apply_publishes_tallies_after_commit(published):
    session = factories.session()
    public = factories.question(session, status="approved")
    lan, _ = factories.participant(session.event)

    services.vote_cast(question_id=public.pk, participant=lan)

    moderation_stream, session_stream, display_stream = streams_of(session)
    expected = [{"votes": {str(public.pk): 1}}]
    assert wait_for(published, moderation_stream, "votes.updated") == expected
    assert wait_for(published, session_stream, "votes.updated") == expected
    assert wait_for(published, display_stream, "votes.updated") == expected


@pytest.mark.django_db(transaction=True)
def test_question_merge_publishes_target_tally(published):
    session = factories.session()
    moderator = factories.moderator(session.event)
    duplicate = factories.question(session, status="approved")
    target = factories.question(session, status="approved")
    lan, _ = factories.participant(session.event)
    Vote.objects.create(question=duplicate, participant=lan)

    services.question_merge(question_id=duplicate.pk, into_id=target.pk, actor=moderator)

    assert wait_for(published, streams.session_stream(session.pk), "votes.updated") == [
        {"votes": {str(target.pk): 1}}
    ]


# ---- audit_session_change ---------------------------------------------------------------------


def test_audit_session_change_records_status_and_fields():
    session = factories.session()
    moderator = factories.moderator(session.event)
    old = session.starts_at

    services.audit_session_change(
        session=session,
        actor=moderator,
        changes={"status": ("live", "qa"), "starts_at": (old, None), "qa_open": (True, False)},
    )

    row = ModerationAction.objects.get(session=session)
    assert (row.actor_id, row.action, row.question_id, row.from_state, row.to_state) == (
        moderator.pk,
        "session",
        None,
        "live",
        "qa",
    )
    assert row.detail == {
        "status": {"from": "live", "to": "qa"},
        "starts_at": {"from": old.astimezone(dt.UTC).isoformat(), "to": None},
        "qa_open": {"from": True, "to": False},
    }


def test_audit_session_change_without_status_has_empty_states():
    session = factories.session()

    services.audit_session_change(
        session=session, actor=None, changes={"event.starts_on": (dt.date(2023, 11, 29), None)}
    )

    row = ModerationAction.objects.get(session=session)
    assert (row.actor_id, row.from_state, row.to_state, row.detail) == (
        None,
        "",
        "",
        {"event.starts_on": {"from": "2023-11-29", "to": None}},
    )

"""Every service of live/services.py called directly: what it changes, the audit row the
session change hook writes, the messages published after commit (read back from the backend's
history: the `published` fixture), what it refuses, and nothing published on a rollback.

The session's status moves are in tests/qa/test_enums.py (the whole transition table)."""

import datetime as dt

import pytest
from django.db import transaction
from rest_framework.authtoken.models import Token

from live import services
from live.errors import Conflict, DomainError
from live.models import Event, Session
from live.realtime import snapshots, streams
from live.representations import session_data
from qa.models import ModerationAction
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def summit(memory_backend):
    """An event with two halls, a live session in the first, and a moderator; the first hall's
    display is connected (it has been told which session it shows)."""
    event = factories.event()
    hall, other_hall = factories.hall(event), factories.hall(event)
    session = factories.session(hall)
    snapshots.build(streams.display_stream(hall.pk))
    return session, other_hall, factories.moderator(event)


def audit_rows(session) -> list[tuple]:
    rows = ModerationAction.objects.filter(session=session).order_by("id")
    return list(rows.values_list("actor_id", "action", "from_state", "to_state", "detail"))


def session_messages(published, session) -> list[list]:
    """The messages of the session's phone, moderation and hall display streams."""
    return [
        published(streams.session_stream(session.pk)),
        published(streams.moderation_stream(session.pk)),
        published(streams.display_stream(session.hall_id)),
    ]


def reloaded(session) -> Session:
    return services.selectors.sessions_with_people().get(pk=session.pk)


# ---- session_update ---------------------------------------------------------------------------


def test_session_update_fields_applied_audited_published(
    summit, django_capture_on_commit_callbacks, published
):
    session, _, moderator = summit
    speaker = factories.speaker(session.event, name="Trần Thị B")

    with django_capture_on_commit_callbacks(execute=True):
        returned = services.session_update(
            session_id=session.pk,
            actor=moderator,
            version=1,
            qa_open=False,
            moderation="post",
            title_en="Smart mobility",
            speaker_ids=[speaker.pk],
        )

    session = reloaded(session)
    assert (returned.version, session.version) == (2, 2)
    assert (session.qa_open, session.moderation, session.title_en) == (
        False,
        "post",
        "Smart mobility",
    )
    assert [s.name for s in session.speakers.all()] == ["Trần Thị B"]
    assert audit_rows(session)[0][:4] == (moderator.pk, "session", "", "")
    assert set(audit_rows(session)[0][4]) == {"qa_open", "moderation", "title_en", "speakers"}
    assert audit_rows(session)[0][4]["speakers"] == {"from": [], "to": [speaker.pk]}
    updated = [("session.updated", {"session": session_data(session)})]
    assert session_messages(published, session) == [updated, updated, updated]


def test_session_update_status_switching_display_sends_its_state(
    summit, django_capture_on_commit_callbacks, published
):
    session, _, moderator = summit

    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(session_id=session.pk, actor=moderator, status="ended")

    session = reloaded(session)
    display = streams.display_stream(session.hall_id)
    assert audit_rows(session) == [
        (moderator.pk, "session", "live", "ended", {"status": {"from": "live", "to": "ended"}})
    ]
    updated = [("session.updated", {"session": session_data(session)})]
    assert session_messages(published, session)[:2] == [updated, updated]
    assert published(display) == [("display.session_changed", snapshots.build(display))]
    assert published(display)[0][1]["session"] is None


def test_session_update_hall_move_switches_both_displays(
    summit, django_capture_on_commit_callbacks, published
):
    session, other_hall, moderator = summit
    snapshots.build(streams.display_stream(other_hall.pk))
    left = streams.display_stream(session.hall_id)

    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(session_id=session.pk, actor=moderator, hall_id=other_hall.pk)

    arrived = streams.display_stream(other_hall.pk)
    assert [
        (kind, data["session"] and data["session"]["id"]) for kind, data in published(left)
    ] == [("display.session_changed", None)]
    assert [(kind, data["session"]["id"]) for kind, data in published(arrived)] == [
        ("display.session_changed", session.pk)
    ]


def test_session_update_same_values_changes_nothing(summit, django_capture_on_commit_callbacks):
    session, _, moderator = summit

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        returned = services.session_update(
            session_id=session.pk, actor=moderator, status="live", title_vi=session.title_vi
        )

    assert (returned.version, callbacks, audit_rows(session)) == (1, [], [])


@pytest.mark.parametrize(
    ("fields", "code", "status"),
    [
        ({"version": 9, "qa_open": False}, "session.version_conflict", 409),
        ({"title_vi": "  "}, "session.title_required", 400),
        ({"ends_at": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)}, "session.ends_too_early", 400),
        ({"hall_id": "elsewhere"}, "session.hall_elsewhere", 400),
        ({"speaker_ids": "elsewhere"}, "session.speaker_elsewhere", 400),
        ({"moderation": "later"}, "session.invalid_moderation", 400),
        ({"status": "scheduled"}, "session.illegal_status", 409),
    ],
)
def test_session_update_refused_changes_nothing(
    fields, code, status, summit, django_capture_on_commit_callbacks, published
):
    session, _, moderator = summit
    if fields.get("hall_id") == "elsewhere":
        fields["hall_id"] = factories.hall().pk
    if fields.get("speaker_ids") == "elsewhere":
        fields["speaker_ids"] = [factories.speaker(factories.event()).pk]

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as error:
        services.session_update(session_id=session.pk, actor=moderator, **fields)

    assert (error.value.code, error.value.status) == (code, status)
    assert isinstance(error.value, Conflict) == (code == "session.version_conflict")
    assert Session.objects.get(pk=session.pk).version == 1
    assert audit_rows(session) == []
    assert session_messages(published, session) == [[], [], []]


def test_session_update_rolled_back_publishes_nothing(
    summit, django_capture_on_commit_callbacks, published
):
    session, _, moderator = summit

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.session_update(session_id=session.pk, actor=moderator, status="break")
        raise RuntimeError("the caller's transaction fails after the service")

    assert (callbacks, Session.objects.get(pk=session.pk).status) == ([], "live")
    assert session_messages(published, session) == [[], [], []]


# ---- session_update_check ---------------------------------------------------------------------


def test_session_update_check_raises_what_update_would_and_changes_nothing(summit):
    session, _, _ = summit

    services.session_update_check(session_id=session.pk, status="break", title_en="New")
    with pytest.raises(DomainError) as error:
        services.session_update_check(session_id=session.pk, status="scheduled")

    assert error.value.code == "session.illegal_status"
    assert Session.objects.filter(pk=session.pk).values_list("status", "version").get() == (
        "live",
        1,
    )


# ---- session_create ---------------------------------------------------------------------------


def test_session_create_audited_and_display_switches(
    summit, django_capture_on_commit_callbacks, published
):
    _, other_hall, moderator = summit
    speaker = factories.speaker(other_hall.event)
    snapshots.build(streams.display_stream(other_hall.pk))  # its display shows nothing yet
    starts = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)

    with django_capture_on_commit_callbacks(execute=True):
        created = services.session_create(
            actor=moderator,
            event_id=other_hall.event_id,
            hall_id=other_hall.pk,
            title_vi="Đô thị xanh",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=1),
            status="live",
            speaker_ids=[speaker.pk],
        )

    assert (created.title_vi, created.status, created.version) == ("Đô thị xanh", "live", 1)
    assert [s.pk for s in created.speakers.all()] == [speaker.pk]
    assert audit_rows(created) == [
        (moderator.pk, "session", "", "live", {"status": {"from": "", "to": "live"}})
    ]
    display = streams.display_stream(other_hall.pk)
    assert published(display) == [("display.session_changed", snapshots.build(display))]
    assert published(display)[0][1]["session"]["id"] == created.pk


@pytest.mark.parametrize(
    ("hall", "hours", "code"),
    [("elsewhere", 1, "session.hall_elsewhere"), ("own", -1, "session.ends_too_early")],
)
def test_session_create_refused_creates_nothing(hall, hours, code, summit):
    session, other_hall, moderator = summit
    hall_id = factories.hall().pk if hall == "elsewhere" else other_hall.pk
    starts = dt.datetime.now(dt.UTC)

    with pytest.raises(DomainError) as error:
        services.session_create(
            actor=moderator,
            event_id=session.event_id,
            hall_id=hall_id,
            title_vi="Phiên mới",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=hours),
        )

    assert error.value.code == code
    assert Session.objects.filter(event_id=session.event_id).count() == 1


# ---- event_update / hall_update / speaker_update ----------------------------------------------


def test_event_update_audits_each_session_and_refreshes_each_display(
    summit, django_capture_on_commit_callbacks, published
):
    session, other_hall, moderator = summit
    other = factories.session(other_hall, status="scheduled")

    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(
            event_id=session.event_id, actor=moderator, name_en="Smart City 2023", venue=""
        )

    event = Event.objects.get(pk=session.event_id)
    assert event.name_en == "Smart City 2023"
    old = session.event.name_en
    detail = {"event.name_en": {"from": old, "to": "Smart City 2023"}}
    assert [audit_rows(s) for s in (session, other)] == [
        [(moderator.pk, "session", "", "", detail)]
    ] * 2
    for hall_id in (session.hall_id, other_hall.pk):
        display = streams.display_stream(hall_id)
        assert published(display) == [("display.session_changed", snapshots.build(display))]
        assert published(display)[0][1]["event"]["name"]["en"] == "Smart City 2023"


def test_hall_update_audits_its_sessions_and_refreshes_its_display(
    summit, django_capture_on_commit_callbacks, published
):
    session, other_hall, moderator = summit

    with django_capture_on_commit_callbacks(execute=True):
        services.hall_update(hall_id=session.hall_id, actor=moderator, name_vi="Hội trường A")

    detail = {"hall.name_vi": {"from": session.hall.name_vi, "to": "Hội trường A"}}
    assert audit_rows(session) == [(moderator.pk, "session", "", "", detail)]
    display = streams.display_stream(session.hall_id)
    assert published(display) == [("display.session_changed", snapshots.build(display))]
    assert published(display)[0][1]["hall"]["name"]["vi"] == "Hội trường A"
    assert published(streams.display_stream(other_hall.pk)) == []


def test_hall_update_to_a_slug_taken_in_the_event_is_refused_and_changes_nothing(
    summit, django_capture_on_commit_callbacks, published
):
    session, other_hall, moderator = summit

    with pytest.raises(DomainError) as refused, django_capture_on_commit_callbacks(execute=True):
        services.hall_update(hall_id=other_hall.pk, actor=moderator, slug=session.hall.slug)

    assert refused.value.code == "hall.invalid"
    other_hall.refresh_from_db()
    assert other_hall.slug != session.hall.slug
    assert audit_rows(session) == []
    assert published(streams.display_stream(other_hall.pk)) == []


def test_speaker_update_bumps_and_publishes_each_of_its_sessions(
    summit, django_capture_on_commit_callbacks, published
):
    session, _, moderator = summit
    speaker = factories.speaker(session.event, name="Lê Văn C")
    session.speakers.set([speaker])

    with django_capture_on_commit_callbacks(execute=True):
        services.speaker_update(speaker_id=speaker.pk, actor=moderator, organisation="Sở GTVT")

    session = reloaded(session)
    assert session.version == 2
    detail = {"speaker.organisation": {"from": "UBND TP Hà Nội", "to": "Sở GTVT"}}
    assert audit_rows(session) == [(moderator.pk, "session", "", "", detail)]
    updated = [("session.updated", {"session": session_data(session)})]
    assert session_messages(published, session) == [updated, updated, updated]
    assert session_data(session)["speakers"][0]["organisation"] == "Sở GTVT"


@pytest.mark.parametrize(
    ("service", "target", "fields"),
    [
        (services.event_update, "event_id", {"name_en": None}),
        (services.hall_update, "hall_id", {"slug": None}),
        (services.speaker_update, "speaker_id", {"name": None}),
    ],
)
def test_update_without_change_does_nothing(
    service, target, fields, summit, django_capture_on_commit_callbacks
):
    session, _, moderator = summit
    speaker = factories.speaker(session.event)
    pk = {"event_id": session.event_id, "hall_id": session.hall_id, "speaker_id": speaker.pk}

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        service(**{target: pk[target]}, actor=moderator, **fields)

    assert (callbacks, audit_rows(session)) == ([], [])


@pytest.mark.parametrize(
    ("service", "target", "fields", "code"),
    [
        (services.event_update, "event_id", {"timezone": "Mars/Olympus"}, "event.invalid"),
        (services.hall_update, "hall_id", {"slug": "not a slug!"}, "hall.invalid"),
    ],
)
def test_update_refused_by_model_rules_changes_nothing(
    service, target, fields, code, summit, django_capture_on_commit_callbacks, published
):
    session, _, moderator = summit
    pk = {"event_id": session.event_id, "hall_id": session.hall_id}[target]

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as error:
        service(**{target: pk}, actor=moderator, **fields)

    assert error.value.code == code
    assert audit_rows(session) == []
    assert published(streams.display_stream(session.hall_id)) == []


# ---- hooks and tokens -------------------------------------------------------------------------


def test_register_session_change_hook_once_and_called_with_the_changes(summit):
    session, _, moderator = summit
    calls = []

    def hook(**kw):
        calls.append((kw["session"].pk, kw["actor"], kw["changes"]))

    services.register_session_change_hook(hook)
    services.register_session_change_hook(hook)
    try:
        services.session_update(session_id=session.pk, actor=moderator, qa_open=False)
    finally:
        services.session_change_hooks.remove(hook)

    assert calls == [(session.pk, moderator, {"qa_open": (True, False)})]
    assert hook not in services.session_change_hooks


def test_api_token_issue_one_token_per_user():
    user = factories.user()

    first = services.api_token_issue(user=user)
    again = services.api_token_issue(user=user)

    assert first == again == Token.objects.get(user=user).key

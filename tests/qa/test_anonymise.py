"""Forgetting names (issue 15): `event_anonymise`, `manage.py anonymise_event`, the admin
action. The names must be gone everywhere they were: the database, the exports, and the
streams' history in Redis, while texts, votes and counts stay."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from live import services as live_services
from live.models import Event
from live.realtime.db import database_sync_to_async
from qa import services
from qa.models import ModerationAction, Participant, Question, Vote
from tests import factories
from tests.api_clients import as_user

NAMES = ("Nguyễn Thị Lan", "Trần Văn Bình")


def event_with_names():
    """An event with a named and an anonymous question, a vote, in a live session."""
    session = factories.session(status="live", moderation="post")
    lan, _ = factories.participant(session.event, display_name=NAMES[0])
    binh, _ = factories.participant(session.event, display_name=NAMES[1])
    named, _ = services.question_submit(
        session=session, participant=lan, text="Khi nào có vé điện tử liên thông?"
    )
    hidden, _ = services.question_submit(
        session=session, participant=binh, text="Xe buýt điện chạy tuyến nào?", anonymous=True
    )
    services.vote_cast(question_id=named.pk, participant=binh)
    return session, named, hidden


def assert_no_name(text: str) -> None:
    for name in NAMES:
        assert name not in text


@pytest.mark.django_db
def test_names_are_blanked_texts_votes_and_counts_stay():
    session, named, hidden = event_with_names()
    assert Question.objects.get(pk=named.pk).author_name == NAMES[0]
    organiser = factories.moderator(session.event, role="organiser")

    done = services.event_anonymise(event_id=session.event_id, actor=organiser)

    assert (done.questions, done.participants) == (2, 2)
    rows = Question.objects.filter(session=session).order_by("pk")
    assert [(q.author_name, q.participant_id) for q in rows] == [("", None), ("", None)]
    assert [q.text for q in rows] == [named.text, hidden.text]
    assert Question.objects.get(pk=named.pk).vote_count == 1
    assert Vote.objects.filter(question=named).count() == 1
    assert set(Participant.objects.values_list("display_name", flat=True)) == {""}
    assert Event.objects.get(pk=session.event_id).anonymised_at is not None
    audit = ModerationAction.objects.filter(session=session, action="session").last()
    assert (audit.actor, audit.detail) == (organiser, {"anonymised": {"questions": 2}})
    # Again: nothing left to change.
    again = services.event_anonymise(event_id=session.event_id, actor=None)
    assert (again.questions, again.participants) == (0, 0)


@pytest.mark.django_db
def test_another_events_names_are_kept():
    session, named, _ = event_with_names()
    other, _, _ = event_with_names()
    services.event_anonymise(event_id=session.event_id, actor=None)
    assert Question.objects.filter(session=other, author_name=NAMES[0]).count() == 1
    assert Participant.objects.filter(event=other.event, display_name=NAMES[1]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_exports_carry_no_name_afterwards(fmt):
    session, _, _ = event_with_names()
    console = as_user(factories.organiser(session.event))
    url = f"/api/v1/sessions/{session.pk}/export/"
    before = console.get(url, {"format": fmt}).content.decode("utf-8-sig")
    assert NAMES[0] in before

    services.event_anonymise(event_id=session.event_id, actor=None)

    after = console.get(url, {"format": fmt}).content.decode("utf-8-sig")
    assert_no_name(after)
    assert "Khi nào có vé điện tử liên thông?" in after


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_streams_forget_names_and_screens_take_a_fresh_snapshot(stream_client, realtime_keys):
    session, named, _ = await database_sync_to_async(event_with_names)()
    moderator = await database_sync_to_async(factories.moderator)(session.event)
    token = await database_sync_to_async(live_services.api_token_issue)(user=moderator)
    phone = await stream_client(f"/ws/sessions/{session.pk}/")
    display = await stream_client(f"/ws/halls/{session.hall_id}/display/")
    console = await stream_client(
        f"/ws/sessions/{session.pk}/moderation/", [(b"authorization", f"Token {token}".encode())]
    )
    # A change with the name in it goes through the streams' history.
    await database_sync_to_async(services.question_pin)(question_id=named.pk, actor=None)
    for client in (phone, display, console):
        frame = await client.receive_type("question.updated")
        assert frame["data"]["author_name"] == NAMES[0]
    old_epochs = [client.epoch for client in (phone, display, console)]
    stored = b"".join(realtime_keys.dump(key) or b"" for key in realtime_keys.scan_iter(count=1000))
    assert NAMES[0].encode() in stored

    await database_sync_to_async(services.event_anonymise)(event_id=session.event_id, actor=None)

    # Every screen is moved to a new epoch with a fresh snapshot.
    for client in (phone, display, console):
        snapshot = await client.receive_type("snapshot")
        assert_no_name(json.dumps(snapshot, ensure_ascii=False))
    assert [c.epoch for c in (phone, display, console)] != old_epochs
    assert all(
        new != old for new, old in zip([phone.epoch, display.epoch, console.epoch], old_epochs)
    )
    # Nothing in Redis holds a name any more (history, snapshots, anything of this run).
    stored = b"".join(realtime_keys.dump(key) or b"" for key in realtime_keys.scan_iter(count=1000))
    for name in NAMES:
        assert name.encode() not in stored
    # A screen connecting now (or resuming with its old position) gets a snapshot without it.
    fresh = await stream_client(f"/ws/sessions/{session.pk}/")
    assert_no_name(json.dumps(fresh.frames[0], ensure_ascii=False))
    resumed = await stream_client(
        f"/ws/sessions/{session.pk}/?epoch={old_epochs[0]}&seq=1", expect_snapshot=False
    )
    first = await resumed.receive()
    assert first["type"] == "snapshot"
    assert_no_name(json.dumps(first, ensure_ascii=False))


@pytest.mark.django_db
def test_command_by_slug_and_when_due(settings):
    session, _, _ = event_with_names()
    event = session.event
    out = io.StringIO()
    settings.ANONYMISE_AFTER_DAYS = None
    call_command("anonymise_event", "--due", stdout=out)
    assert "not set" in out.getvalue()
    assert Question.objects.filter(author_name=NAMES[0]).exists()

    settings.ANONYMISE_AFTER_DAYS = 30
    Event.objects.filter(pk=event.pk).update(ends_on=dt.date.today() - dt.timedelta(days=30))
    call_command("anonymise_event", "--due", stdout=out)  # 30 days ago: not yet
    assert Question.objects.filter(author_name=NAMES[0]).exists()
    Event.objects.filter(pk=event.pk).update(
        starts_on=dt.date.today() - dt.timedelta(days=32),
        ends_on=dt.date.today() - dt.timedelta(days=31),
    )
    call_command("anonymise_event", "--due", stdout=out)
    assert "names removed from 2 questions and 2 participants" in out.getvalue()
    assert not Question.objects.filter(author_name=NAMES[0]).exists()

    other, _, _ = event_with_names()
    call_command("anonymise_event", other.event.slug, stdout=out)
    assert not Participant.objects.exclude(display_name="").exists()
    with pytest.raises(CommandError):
        call_command("anonymise_event", "no-such-event")
    with pytest.raises(CommandError):
        call_command("anonymise_event")


@pytest.mark.django_db
def test_admin_action_asks_first_then_forgets(client):
    session, _, _ = event_with_names()
    client.force_login(factories.superuser())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("admin:live_event_changelist")
    data = {"action": "anonymise_events", "_selected_action": [session.event_id]}

    asked = client.post(url, data)
    assert asked.status_code == 200
    assert "Yes, forget the names" in asked.content.decode()
    assert Question.objects.filter(author_name=NAMES[0]).exists()

    done = client.post(url, {**data, "confirm": "yes"}, follow=True)
    assert done.status_code == 200
    assert "names removed from 2 questions" in done.content.decode()
    assert not Question.objects.filter(author_name=NAMES[0]).exists()

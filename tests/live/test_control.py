"""The organisers' control room: its page, its stream (snapshot, messages, alarms) and who
may open them."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from live import control, services
from live.enums import EventRole
from live.realtime import snapshots, streams
from live.realtime.db import database_sync_to_async
from live.realtime.hub import get_hub
from qa import services as qa_services
from tests import factories
from tests.realtime import token_header

call = database_sync_to_async


def organiser(event, username=None):
    return factories.moderator(event, username=username, role=EventRole.ORGANISER)


def token_for(user) -> str:
    return services.api_token_issue(user=user)


@call
def arrange():
    """An event with two halls: A has a live session with two pending questions, B nothing."""
    event = factories.event(slug="summit")
    hall_a = factories.hall(event, display_order=1)
    hall_b = factories.hall(event, display_order=2)
    session = factories.session(hall_a)
    questions = [factories.question(session) for _ in range(2)]
    boss = organiser(event)
    return event, hall_a, hall_b, session, questions, boss


async def control_client(stream_client, event, user):
    token = await call(token_for)(user)
    return await stream_client(f"/ws/events/{event.pk}/control/", token_header(token))


# ---- the snapshot --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_control_snapshot_shows_each_hall_with_its_session_counts_and_alarms(stream_client):
    event, hall_a, hall_b, session, questions, boss = await arrange()

    client = await control_client(stream_client, event, boss)

    data = client.frames[0]["data"]
    a, b = str(hall_a.pk), str(hall_b.pk)
    assert [h["id"] for h in data["halls"]] == [hall_a.pk, hall_b.pk]
    assert data["event"]["slug"] == "summit"
    assert data["sessions"][a]["id"] == session.pk
    assert data["sessions"][b] is None
    assert data["stage"][a] == f"/stage/{hall_a.pk}/?key={hall_a.stage_key}"
    assert data["questions"] == {
        a: {"pending": 2, "recent": 2, "votes_recent": 0},
        b: {"pending": 0, "recent": 0, "votes_recent": 0},
    }
    assert data["presence"][b] == {
        "phones": 0,
        "displays": 0,
        "moderators": 0,
        "display_last_seen": None,
    }
    oldest = questions[0].created_at.isoformat()
    assert data["alarms"] == {
        a: [
            {"code": "display.missing", "since": None},
            {"code": "questions.unmoderated", "since": oldest},
        ],
        b: [],
    }


@pytest.mark.parametrize("halls", [1, 6])
def test_control_snapshot_queries_do_not_grow_with_the_halls(
    halls, django_assert_num_queries, memory_backend, db
):
    event = factories.event()
    for _ in range(halls):
        session = factories.session(factories.hall(event))
        session.speakers.add(factories.speaker(event))
        factories.question(session)

    # event, halls, sessions, their speakers, question counts, vote counts
    with django_assert_num_queries(6):
        data = snapshots.build(streams.control_stream(event.pk))
    # The ticker's work for one event, however many control sockets follow it: the same.
    with django_assert_num_queries(6):
        published = control.publish_control(event.pk)

    assert len(data["halls"]) == halls
    assert published is True


@pytest.mark.django_db
def test_control_current_session_is_the_one_the_hall_display_follows(memory_backend):
    hall = factories.hall()
    now = timezone.now()
    ended = factories.session(hall, status="ended")
    factories.session(hall, status="scheduled", starts_at=now - dt.timedelta(hours=3))  # past
    later = factories.session(hall, status="scheduled", starts_at=now + dt.timedelta(hours=2))
    soon = factories.session(hall, status="scheduled", starts_at=now + dt.timedelta(hours=1))
    assert ended.pk

    chosen = control.current_sessions(event_id=hall.event_id, hall_ids=[hall.pk], now=now)
    assert chosen[hall.pk].pk == soon.pk

    services.session_update(session_id=later.pk, actor=None, status="live")
    chosen = control.current_sessions(event_id=hall.event_id, hall_ids=[hall.pk], now=now)
    assert chosen[hall.pk].pk == later.pk


@pytest.mark.django_db
def test_control_alarm_for_a_session_live_past_its_end(memory_backend):
    start = timezone.now() - dt.timedelta(hours=2)
    session = factories.session(starts_at=start)  # ended an hour ago, still live
    a = str(session.hall_id)

    data = snapshots.build(streams.control_stream(session.event_id))

    assert {"code": "session.overrun", "since": session.ends_at.isoformat()} in data["alarms"][a]
    services.session_update(session_id=session.pk, actor=None, status="ended")
    data = snapshots.build(streams.control_stream(session.event_id))
    assert [alarm["code"] for alarm in data["alarms"][a]] == []


# ---- messages ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_session_and_hall_changes_reach_the_control_room_at_once(stream_client):
    event, hall_a, _, session, _, boss = await arrange()
    client = await control_client(stream_client, event, boss)

    await call(services.session_update)(session_id=session.pk, actor=boss, qa_open=False)
    updated = await client.receive_type("session.updated")
    await call(services.hall_display_update)(hall_id=hall_a.pk, actor=boss, display_mode="join")
    hall = await client.receive_type("hall.updated")

    assert (updated["data"]["session"]["id"], updated["data"]["session"]["qa_open"]) == (
        session.pk,
        False,
    )
    assert (hall["data"]["hall"]["id"], hall["data"]["hall"]["display_mode"]) == (
        hall_a.pk,
        "join",
    )
    assert client.gaps == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_display_alarm_shows_when_it_dropped_and_goes_when_it_is_back(stream_client):
    event, hall_a, _, _, _, boss = await arrange()
    a = str(hall_a.pk)
    client = await control_client(stream_client, event, boss)
    assert client.frames[0]["data"]["alarms"][a][0] == {"code": "display.missing", "since": None}

    display = await stream_client(f"/ws/halls/{hall_a.pk}/display/")
    up = await until(client, lambda d: d["presence"][a]["displays"] == 1)
    await display.disconnect()
    down = await until(client, lambda d: d["presence"][a]["displays"] == 0)
    again = await stream_client(f"/ws/halls/{hall_a.pk}/display/")
    back = await until(client, lambda d: d["presence"][a]["displays"] == 1)

    assert [alarm["code"] for alarm in up["alarms"][a]] == ["questions.unmoderated"]
    seen = down["presence"][a]["display_last_seen"]
    assert seen is not None
    assert timezone.now() - dt.datetime.fromisoformat(seen) < dt.timedelta(seconds=10)
    assert down["alarms"][a][0] == {"code": "display.missing", "since": seen}
    assert [alarm["code"] for alarm in back["alarms"][a]] == ["questions.unmoderated"]
    assert back["presence"][a]["display_last_seen"] is None
    assert again is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_pending_alarm_goes_when_a_moderator_connects_and_counts_move(stream_client):
    event, hall_a, _, session, questions, boss = await arrange()
    a = str(hall_a.pk)
    client = await control_client(stream_client, event, boss)
    token = await call(token_for)(boss)

    await stream_client(f"/ws/sessions/{session.pk}/moderation/", token_header(token))
    moderated = await until(client, lambda d: d["presence"][a]["moderators"] == 1)
    await call(qa_services.question_approve)(question_id=questions[0].pk, actor=boss)
    fewer = await until(client, lambda d: d["questions"][a]["pending"] == 1)

    assert [alarm["code"] for alarm in moderated["alarms"][a]] == ["display.missing"]
    assert fewer["questions"][a] == {"pending": 1, "recent": 2, "votes_recent": 0}


async def until(client, condition, timeout: float = 8.0) -> dict:
    """The data of the next `control.halls` for which `condition(data)` holds."""
    loop_time = asyncio.get_running_loop().time
    deadline = loop_time() + timeout
    while True:
        left = deadline - loop_time()
        assert left > 0, [f["type"] for f in client.frames]
        frame = await client.receive_type("control.halls", timeout=left)
        if condition(frame["data"]):
            return frame["data"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_control_halls_is_published_only_when_something_changed(stream_client):
    event, hall_a, _, _, _, boss = await arrange()
    client = await control_client(stream_client, event, boss)
    hub = get_hub()
    assert streams.control_stream(event.pk) in hub.members

    published = [await call(control.publish_control)(event.pk) for _ in range(3)]

    assert published.count(True) <= 1
    assert published[1:] == [False, False]
    assert client.gaps == []


# ---- who may open it -------------------------------------------------------------------------


ROLES = ["anonymous", "participant", "moderator", "other_organiser", "organiser", "superuser"]


def user_for(role: str, event):
    if role in ("anonymous", "participant"):
        return None
    if role == "moderator":
        return factories.moderator(event)
    if role == "other_organiser":
        return organiser(factories.event())
    if role == "organiser":
        return organiser(event)
    return factories.superuser()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
@pytest.mark.parametrize(
    ("role", "close"),
    [
        ("anonymous", 4401),
        ("participant", 4401),
        ("moderator", 4403),
        ("other_organiser", 4403),
        ("organiser", None),
        ("superuser", None),
    ],
)
async def test_control_stream_is_for_the_events_organisers(stream_client, role, close):
    event, *_ = await arrange()
    user = await call(user_for)(role, event)
    headers = []
    if user is not None:
        headers = token_header(await call(token_for)(user))
    elif role == "participant":
        _, participant_token = await call(factories.participant)(event)
        headers = [(b"x-participant-token", participant_token.encode())]

    client = await stream_client(f"/ws/events/{event.pk}/control/", headers, expect_snapshot=False)

    if close is None:
        assert (await client.receive())["type"] == "snapshot"
    else:
        assert await client.close_code() == close


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_control_stream_of_an_unknown_event_closes_4404(stream_client):
    user = await call(factories.superuser)()
    token = await call(token_for)(user)

    client = await stream_client("/ws/events/987654/control/", token_header(token), False)

    assert await client.close_code() == 4404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("participant", 302),
        ("moderator", 403),
        ("other_organiser", 403),
        ("organiser", 200),
        ("superuser", 200),
    ],
)
def test_control_page_is_for_the_events_organisers(role, status):
    event = factories.event(slug="summit")
    factories.session(factories.hall(event))
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    user = user_for(role, event)
    if user is not None:
        browser.force_login(user)
    headers = {}
    if role == "participant":
        headers["HTTP_X_PARTICIPANT_TOKEN"] = factories.participant(event)[1]

    response = browser.get("/moderate/events/summit/control/", **headers)

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/admin/login/?next=/moderate/events/summit/")
    if status == 200:
        assert b'id="c-halls"' in response.content


@pytest.mark.django_db
def test_moderator_index_links_the_control_room_for_organisers_only():
    event = factories.event(slug="summit")
    boss, helper = organiser(event), factories.moderator(event)
    pages = {}
    for user in (boss, helper):
        browser = Client()
        browser.force_login(user)
        pages[user.pk] = browser.get("/moderate/").content

    assert b"/moderate/events/summit/control/" in pages[boss.pk]
    assert b"/moderate/events/summit/control/" not in pages[helper.pk]

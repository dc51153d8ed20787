"""The organisers' control room against real Daphne processes: what happens on one process is
counted in the control room of the other (one Redis), and in a real browser a row's action
and a display-mode change made elsewhere reach the row live; the screenshots."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
import pytest
import websockets
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from live import services as live_services
from live.enums import EventRole
from live.models import Hall, Session
from live.realtime.db import database_sync_to_async
from tests import factories

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_keys"),
]


async def next_frame(ws, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def until(ws, condition, timeout: float = 10.0) -> dict:
    """The data of the next `control.halls` frame for which `condition(data)` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        frame = await next_frame(ws, deadline - asyncio.get_running_loop().time())
        if frame["type"] == "control.halls" and condition(frame["data"]):
            return frame["data"]


@database_sync_to_async
def arrange():
    session = factories.session()
    boss = factories.moderator(session.event, role=EventRole.ORGANISER)
    return session, boss, live_services.api_token_issue(user=boss)


async def test_control_room_counts_what_connects_to_the_other_process(daphne):
    first, second = daphne(), daphne()
    session, _, token = await arrange()
    hall = str(session.hall_id)
    auth = {"Authorization": f"Token {token}"}
    control_path = f"/ws/events/{session.event_id}/control/"
    display_path = f"/ws/halls/{session.hall_id}/display/"

    async with websockets.connect(first.ws_url + control_path, additional_headers=auth) as room:
        snapshot = await next_frame(room)
        async with websockets.connect(second.ws_url + display_path) as display:
            await next_frame(display)
            up = await until(room, lambda d: d["presence"][hall]["displays"] == 1)
            async with httpx.AsyncClient(base_url=second.url, headers=auth) as api:
                response = await api.patch(
                    f"/api/v1/sessions/{session.pk}/", json={"status": "qa", "version": 1}
                )
            assert response.status_code == 200, response.text
            updated = await next_frame(room)
            while updated["type"] != "session.updated":
                updated = await next_frame(room)
        down = await until(room, lambda d: d["presence"][hall]["displays"] == 0)
        async with websockets.connect(second.ws_url + display_path) as display:
            await next_frame(display)
            back = await until(room, lambda d: d["presence"][hall]["displays"] == 1)

    assert snapshot["type"] == "snapshot"
    assert snapshot["data"]["alarms"][hall] == [{"code": "display.missing", "since": None}]
    assert up["alarms"][hall] == []
    assert updated["data"]["session"]["status"] == "qa"
    seen = down["presence"][hall]["display_last_seen"]
    assert seen is not None
    assert down["alarms"][hall] == [{"code": "display.missing", "since": seen}]
    assert back["alarms"][hall] == []


# ---- the page in a browser -----------------------------------------------------------------------


def programme(summit):
    """The summit's day at ten past two: hall A live (the fixture), hall B in Q&A past its end
    with questions waiting, hall C on a break, hall D with nothing left today."""
    event, hall_a, session_a, _ = summit
    now = timezone.now()
    boss = factories.moderator(event, username="to-chuc", role=EventRole.ORGANISER)
    hall_b = factories.hall(event, name_vi="Hội trường B", name_en="Hall B", slug="hall-b")
    hall_c = factories.hall(event, name_vi="Phòng hội thảo C", name_en="Workshop room C")
    hall_d = factories.hall(event, name_vi="Phòng D", name_en="Room D", slug="room-d")
    late = factories.session(
        hall_b,
        title_vi="Dữ liệu mở và quản trị đô thị",
        title_en="Open data and city governance",
        starts_at=now - dt.timedelta(minutes=75),
        status="qa",
    )
    for text in ("Dữ liệu giao thông có được công bố không?", "Ai giữ dữ liệu camera?"):
        factories.question(late, text=text)
    factories.session(
        hall_c,
        title_vi="Năng lượng sạch cho tòa nhà công",
        title_en="Clean energy for public buildings",
        starts_at=now - dt.timedelta(minutes=30),
        status="break",
    )
    factories.session(hall_d, status="ended", starts_at=now - dt.timedelta(hours=3))
    return event, hall_a, session_a, boss


def test_control_room_row_actions_and_changes_from_elsewhere(
    screens_server, page_for, summit, screenshots_dir
):
    event, hall_a, session_a, boss = programme(summit)
    server = screens_server()
    display = page_for(1280, 720, base_url=server.url)
    display.goto(f"/display/{hall_a.pk}/")
    room = page_for(1366, 768, base_url=server.url, user=boss, language="en")
    room.goto(f"/moderate/events/{event.slug}/control/")
    row = room.locator(f"#hall-{hall_a.pk}")
    expect(room.locator("#m-conn")).to_have_class("conn conn-connected small")
    expect(row.locator(".c-n-displays dd")).to_have_text("1", timeout=10_000)
    expect(row.locator(".c-alarm")).to_have_count(0)
    late_row = room.locator(f"#hall-{Hall.objects.get(slug='hall-b').pk}")
    expect(late_row.locator(".c-alarm")).to_have_count(3)

    # A row action: close Q&A.
    row.locator(".c-qa-toggle").click()
    expect(row.locator(".c-qa")).to_have_text("· Q&A closed")
    assert Session.objects.get(pk=session_a.pk).qa_open is False

    # A change made elsewhere (another organiser's laptop) reaches the row live.
    live_services.hall_display_update(hall_id=hall_a.pk, actor=boss, display_mode="join")
    expect(row.locator(".c-mode")).to_have_value("join")

    # A stale version: 409, said plainly, and the row shows the session as it is now.
    Session.objects.filter(pk=session_a.pk).update(version=F("version") + 1, qa_open=True)
    row.locator(".c-qa-toggle").click()
    expect(room.locator("#m-flash")).to_contain_text("Someone else changed this session")
    expect(row.locator(".c-qa")).to_have_text("· Q&A open")

    # The stage key, renewed from the row: the row links the new one.
    old_link = row.locator(".c-stage").get_attribute("href")
    room.evaluate("window.confirm = () => true")
    row.locator(".c-renew").click()
    expect(room.locator("#m-flash")).to_contain_text("New stage key for Hall A")
    key = Hall.objects.get(pk=hall_a.pk).stage_key
    expect(row.locator(".c-stage")).to_have_attribute("href", f"/stage/{hall_a.pk}/?key={key}")
    assert key not in old_link

    # The display goes away: the alarm says since when.
    display.close()
    expect(row.locator(".c-alarm-display-missing")).to_contain_text("dropped", timeout=10_000)
    room.screenshot(path=str(screenshots_dir / "control-1366.png"))
    assert room.errors == []

    wide = page_for(1920, 1080, base_url=server.url, user=boss)
    wide.goto(f"/moderate/events/{event.slug}/control/")
    expect(wide.locator(f"#hall-{hall_a.pk} .c-alarm-display-missing")).to_be_visible()
    wide.screenshot(path=str(screenshots_dir / "control-1920.png"))
    assert wide.errors == []

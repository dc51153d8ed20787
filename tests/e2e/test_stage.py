"""The stage screen in a real browser against a real Daphne: the moderator console queues two
questions and sends a message to the stage, the lectern tablet shows them in order with the
pinned question and the time left; screenshots in landscape and portrait; a renewed key locks
the open tablet out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from live import services as live_services
from qa import services
from tests import factories

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_keys"),
]


def test_console_queues_and_messages_the_stage(screens_server, page_for, summit, screenshots_dir):
    event, hall, session, moderator = summit
    pinned = factories.question(
        session,
        text="Hà Nội có kế hoạch gì để kết nối dữ liệu giao thông thời gian thực giữa các quận?",
        author_name="Minh Anh",
        status="approved",
    )
    services.question_pin(question_id=pinned.pk, actor=moderator)
    first = factories.question(
        session,
        text="Bao giờ thẻ vé điện tử dùng chung cho xe buýt và tàu điện?",
        author_name="Hoàng Nam",
        status="approved",
    )
    second = factories.question(
        session,
        text="How will the city protect personal data from traffic cameras?",
        author_name="Sarah",
        status="approved",
    )
    factories.question(
        session, text="Có ứng dụng nào báo chỗ đỗ xe trống không?", status="approved"
    )
    server = screens_server()
    console = page_for(1280, 800, base_url=server.url, user=moderator, language="en")
    stage = page_for(1024, 768, base_url=server.url)
    console.goto(f"/moderate/sessions/{session.pk}/")
    stage.emulate_media(reduced_motion="reduce")  # no flash of a new message in the pictures
    stage.goto(f"/stage/{hall.pk}/?key={hall.stage_key}")
    expect(console.locator("#m-conn")).to_have_class("conn conn-connected small")
    expect(stage.locator("#s-pinned-text")).to_have_text(pinned.text)
    expect(stage.locator("#s-queue-empty")).to_be_visible()

    # Second first: the stage follows the moderator's order, not the votes or the age.
    console.click(f'.m-card[data-id="{second.pk}"] button[data-action="queue"]')
    expect(console.locator(f'.m-card[data-id="{second.pk}"] .badge-queue')).to_have_text("Queue #1")
    # The keyboard: the click selected the second's card, k the card before it; q queues it.
    console.keyboard.press("k")
    expect(console.locator(".m-card.selected")).to_have_attribute("data-id", str(first.pk))
    console.keyboard.press("q")
    expect(
        console.locator(f'.m-card[data-id="{first.pk}"] button[data-action="unqueue"]')
    ).to_have_text("Unqueue (#2)")
    console.fill("#stage-text", "Còn 2 câu hỏi nữa, xin tóm tắt")
    console.click("#stage-send")
    expect(console.locator("#stage-current")).to_contain_text("Còn 2 câu hỏi nữa, xin tóm tắt")

    expect(stage.locator("#s-list .s-q-text")).to_have_text([second.text, first.text])
    expect(stage.locator("#s-list .s-place")).to_have_text(["1", "2"])
    expect(stage.locator("#s-message-text")).to_have_text("Còn 2 câu hỏi nữa, xin tóm tắt")
    expect(stage.locator("#s-message-time")).to_have_text(re.compile(r"\d\d:\d\d"))
    expect(stage.locator("#s-countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(stage.locator("#s-conn")).to_be_hidden()
    screenshots_dir.mkdir(parents=True, exist_ok=True)
    stage.screenshot(path=str(screenshots_dir / "stage.png"))
    stage.set_viewport_size({"width": 800, "height": 1280})
    stage.wait_for_timeout(300)
    stage.screenshot(path=str(screenshots_dir / "stage-portrait.png"))
    stage.set_viewport_size({"width": 1280, "height": 800})
    stage.click(".lang-switch a")
    expect(stage.locator("#s-queue-label")).to_have_text("Next questions")
    expect(stage.locator("#s-list .s-q-text")).to_have_text([second.text, first.text])
    stage.wait_for_timeout(300)
    stage.screenshot(path=str(screenshots_dir / "stage-en.png"))
    console.screenshot(path=str(screenshots_dir / "moderator-stage.png"))

    # Answering the first in line moves the next one up.
    services.question_answer(question_id=second.pk, actor=moderator)
    expect(stage.locator("#s-list .s-q-text")).to_have_text([first.text])

    # An organiser renews the key: the open tablet is locked out.
    live_services.hall_stage_key_renew(hall_id=hall.pk, actor=None)
    expect(stage.locator("#s-denied")).to_be_visible(timeout=10000)
    for name in ("stage.png", "stage-portrait.png", "stage-en.png"):
        assert (screenshots_dir / name).stat().st_size > 10_000
    assert [console.errors, stage.errors] == [[], []]

"""Questions addressed to a speaker (issue 13), in a real browser against a real Daphne: the
phone picks one of the session's speakers and asks, the moderator finds it with the speaker
filter and approves it, and the hall display shows "→ Name" in the list and when pinned (the
stage screen too); a moderator re-addresses a question; no picker without speakers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from qa.models import Question
from tests import factories

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_keys"),
]

HA = "Nguyễn Thị Hà"
TEXT = "Chị đánh giá thế nào về làn đường riêng cho xe buýt nhanh?"


def test_question_addressed_to_a_speaker_shows_the_name_on_the_display(
    screens_server, page_for, summit, screenshots_dir
):
    event, hall, session, moderator = summit
    ha = factories.speaker(event, name=HA, organisation="Đại học Giao thông Vận tải")
    session.speakers.add(ha)
    factories.question(session, text="Bao giờ có vé liên thông?", status="approved")
    server = screens_server()
    phone = page_for(360, 740, base_url=server.url)
    console = page_for(1440, 900, base_url=server.url, user=moderator)
    display = page_for(1920, 1080, base_url=server.url)
    stage = page_for(1024, 768, base_url=server.url)
    console.goto(f"/moderate/sessions/{session.pk}/")
    display.goto(f"/display/{hall.pk}/")
    stage.goto(f"/stage/{hall.pk}/?key={hall.stage_key}")
    phone.goto(f"/e/{event.slug}/?session={session.pk}")
    expect(phone.locator("#conn")).to_have_class("conn conn-connected")
    expect(console.locator("#m-conn")).to_have_class("conn conn-connected small")

    # The phone: "To" everyone by default, then each speaker of the session.
    picker = phone.locator("#q-to")
    expect(phone.locator("#to-row")).to_be_visible()
    expect(picker.locator("option")).to_have_count(3)
    options = picker.locator("option")
    assert [options.nth(i).get_attribute("value") for i in range(3)] == [
        "",
        str(ha.pk),
        str(session.speakers.get(name="TS. Nguyễn Thị Lan").pk),
    ]
    assert options.all_text_contents()[1:] == [HA, "TS. Nguyễn Thị Lan"]
    expect(picker).to_have_value("")  # everyone, unless the phone picks a speaker
    picker.select_option(label=HA)
    phone.fill("#q-text", TEXT)
    phone.click("#q-send")
    stored = phone.locator("#mine-list li.status-pending")  # not the outbox's copy: stored
    expect(stored.locator(".q-to")).to_have_text(f"→ {HA}")
    question = Question.objects.get(text=TEXT)
    assert question.addressed_to_id == ha.pk

    # The console: the card says whom it is for; the speaker filter finds it.
    card = console.locator(f'.m-card[data-id="{question.pk}"]')
    expect(card.locator(".m-to")).to_have_text(f"→ {HA}")
    console.select_option("#m-speaker", label=HA)
    expect(console.locator(".m-card:visible")).to_have_count(1)
    console.select_option("#m-speaker", value="everyone")
    expect(card).to_be_hidden()
    expect(console.locator(".m-card:visible")).to_have_count(1)  # the one for everyone
    console.select_option("#m-speaker", value="")
    expect(console.locator(".m-card:visible")).to_have_count(2)
    card.locator(".m-approve").click()

    # The hall display and the phone's public list: "→ Name" with the question.
    item = display.locator(f'#d-list li[data-id="{question.pk}"]')
    expect(item.locator(".d-q-to")).to_have_text(f"→ {HA}", timeout=2000)
    expect(item.locator(".d-q-text")).to_have_text(TEXT)
    expect(display.locator("#d-list .d-q-to")).to_have_count(1)  # not on the other one
    public = phone.locator(f'#public-list li[data-id="{question.pk}"]')
    expect(public.locator(".q-to")).to_have_text(f"→ {HA}")
    phone.screenshot(path=str(screenshots_dir / "phone-addressed.png"), full_page=True)
    display.screenshot(path=str(screenshots_dir / "display-addressed.png"))

    card = console.locator(f'.m-card[data-id="{question.pk}"]')
    card.locator(".m-pin").click()
    expect(display.locator("#d-pinned-to")).to_have_text(f"→ {HA}", timeout=2000)
    expect(display.locator("#d-pinned-to")).to_be_visible()
    expect(display.locator("#d-pinned-text")).to_have_text(TEXT)
    display.screenshot(path=str(screenshots_dir / "display-addressed-pinned.png"))
    # The lectern tablet: the speaker it is for first in the pinned question's line.
    expect(stage.locator("#s-pinned-text")).to_have_text(TEXT)
    expect(stage.locator("#s-pinned-meta")).to_have_text(f"→ {HA} · 0 bình chọn")
    console.screenshot(path=str(screenshots_dir / "moderator-addressed.png"))
    assert [p.errors for p in (phone, console, display, stage)] == [[], [], [], []]


def test_moderator_readdresses_a_question_and_the_display_follows(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    ha = factories.speaker(event, name=HA)
    session.speakers.add(ha)
    question = factories.question(session, text=TEXT, status="approved", addressed_to=ha)
    server = screens_server()
    console = page_for(1440, 900, base_url=server.url, user=moderator)
    display = page_for(1920, 1080, base_url=server.url)
    console.goto(f"/moderate/sessions/{session.pk}/")
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-list .d-q-to")).to_have_text(f"→ {HA}")

    card = console.locator(f'.m-card[data-id="{question.pk}"]')
    card.locator(".m-edit").click()
    expect(console.locator("#edit-to")).to_have_value(str(ha.pk))
    console.select_option("#edit-to", label="TS. Nguyễn Thị Lan")
    console.click('#edit-form button[value="save"]')

    expect(display.locator("#d-list .d-q-to")).to_have_text("→ TS. Nguyễn Thị Lan", timeout=2000)
    expect(card.locator(".m-to")).to_have_text("→ TS. Nguyễn Thị Lan")
    question.refresh_from_db()
    assert (question.addressed_to.name, question.text, question.version) == (
        "TS. Nguyễn Thị Lan",
        TEXT,
        2,
    )
    card.locator(".m-edit").click()
    console.select_option("#edit-to", value="")
    console.click('#edit-form button[value="save"]')
    expect(display.locator("#d-list .d-q-text")).to_have_text(TEXT)
    expect(display.locator("#d-list .d-q-to")).to_have_count(0, timeout=2000)
    assert [p.errors for p in (console, display)] == [[], []]


def test_phone_without_speakers_has_no_picker(screens_server, page_for, summit):
    event, hall, _session, _moderator = summit
    bare = factories.session(hall, title_vi="Phiên không có diễn giả")
    server = screens_server()
    phone = page_for(360, 740, base_url=server.url)
    phone.goto(f"/e/{event.slug}/?session={bare.pk}")
    expect(phone.locator("#conn")).to_have_class("conn conn-connected")
    expect(phone.locator("#to-row")).to_be_hidden()
    phone.fill("#q-text", "Câu hỏi cho mọi người?")
    phone.click("#q-send")
    stored = phone.locator("#mine-list li.status-pending")  # not the outbox's copy: stored
    expect(stored.locator(".q-text")).to_have_text("Câu hỏi cho mọi người?")
    expect(phone.locator("#mine-list .q-to")).to_have_count(0)
    assert Question.objects.get(session=bare).addressed_to_id is None
    assert phone.errors == []

"""The three screens in a real browser against a real Daphne: phone -> moderator -> hall display,
a display surviving its server's restart, hostile text shown literally, the 360 px phone, and
the README's screenshots."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from qa import services
from qa.models import Question, hash_token
from tests import factories

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_keys"),
]

HOSTILE = "<img src=x onerror=alert(1)> Làm thế nào để giảm ùn tắc giao thông ở Hà Nội?"


def phone_url(event, session) -> str:
    return f"/e/{event.slug}/?session={session.pk}"


def ask(page, text: str) -> None:
    page.fill("#q-text", text)
    page.click("#q-send")


def test_question_travels_phone_to_moderator_to_display(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    server = screens_server()
    phone = page_for(360, 740, base_url=server.url)
    console = page_for(1440, 900, base_url=server.url, user=moderator)
    display = page_for(1920, 1080, base_url=server.url)
    console.goto(f"/moderate/sessions/{session.pk}/")
    display.goto(f"/display/{hall.pk}/")
    phone.goto(phone_url(event, session))
    expect(console.locator("#m-conn")).to_have_class("conn conn-connected small")
    expect(display.locator("#d-title")).to_have_text("Giao thông thông minh cho Hà Nội")

    ask(phone, "Khi nào có tàu điện ngầm tuyến số 3?")
    card = console.locator("#col-incoming .m-card .m-text")
    expect(card).to_have_text("Khi nào có tàu điện ngầm tuyến số 3?")
    expect(phone.locator("#mine-list .badge")).to_have_text("Đang chờ duyệt")

    console.keyboard.press("j")
    console.keyboard.press("a")
    expect(display.locator("#d-list .d-q-text")).to_have_text(
        "Khi nào có tàu điện ngầm tuyến số 3?", timeout=1000
    )
    expect(console.locator("#col-screen .m-card .m-text")).to_have_text(
        "Khi nào có tàu điện ngầm tuyến số 3?"
    )
    expect(phone.locator("#public-list .q-text")).to_have_text(
        "Khi nào có tàu điện ngầm tuyến số 3?"
    )

    console.keyboard.press("p")
    expect(display.locator("#d-pinned-text")).to_have_text(
        "Khi nào có tàu điện ngầm tuyến số 3?", timeout=1000
    )
    expect(display.locator("#d-pinned")).to_be_visible()
    expect(display.locator("#d-list li")).to_have_count(0)
    question = Question.objects.get(session=session)
    assert (question.status, question.pinned) == ("approved", True)
    assert [p.errors for p in (phone, console, display)] == [[], [], []]


def test_display_survives_server_restart_without_reload(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    first = factories.question(session, text="Câu hỏi trước khi mất kết nối", status="approved")
    waiting = factories.question(session, text="Câu hỏi được duyệt khi máy chủ tắt")
    server = screens_server()
    display = page_for(1280, 720, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-list .d-q-text")).to_have_text([first.text])
    display.evaluate("window.__loadMarker = 'loaded-once'")
    expect(display.locator("#d-conn")).to_be_hidden()

    port = server.port
    server.kill()
    expect(display.locator("#d-conn")).to_be_visible(timeout=20000)
    services.question_approve(question_id=waiting.pk, actor=moderator)
    screens_server(port)

    expect(display.locator("#d-conn")).to_be_hidden(timeout=30000)
    expect(display.locator("#d-list .d-q-text")).to_have_text(
        sorted([first.text, waiting.text], key=lambda t: t != first.text)
    )
    assert display.evaluate("window.__loadMarker") == "loaded-once"
    assert display.errors == []


def test_hostile_text_shows_literally_on_every_screen(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    server = screens_server()
    phone = page_for(360, 740, base_url=server.url)
    console = page_for(1440, 900, base_url=server.url, user=moderator)
    display = page_for(1280, 720, base_url=server.url)
    console.goto(f"/moderate/sessions/{session.pk}/")
    display.goto(f"/display/{hall.pk}/")
    phone.goto(phone_url(event, session))

    ask(phone, HOSTILE)
    expect(console.locator("#col-incoming .m-text")).to_have_count(1)
    console.keyboard.press("j")
    console.keyboard.press("a")
    expect(display.locator("#d-list .d-q-text")).to_have_count(1)
    expect(phone.locator("#public-list .q-text")).to_have_count(1)

    texts = [
        phone.locator("#public-list .q-text").text_content(),
        phone.locator("#mine-list .q-text").text_content(),
        console.locator("#col-screen .m-text").text_content(),
        display.locator("#d-list .d-q-text").text_content(),
    ]
    assert texts == [HOSTILE] * 4
    for page in (phone, console, display):
        assert page.locator("main img").count() == 0
        assert page.dialogs == []
        assert page.errors == []


def test_phone_page_fits_360px_with_44px_targets(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    factories.question(
        session, text="Ù" * 500, status="approved", author_name="Một cái tên rất dài " * 4
    )
    server = screens_server()
    phone = page_for(360, 740, base_url=server.url)
    phone.goto(phone_url(event, session))
    expect(phone.locator("#conn")).to_have_class("conn conn-connected")
    expect(phone.locator("#public-list .q")).to_have_count(1)

    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    small = phone.evaluate(
        """() => Array.from(document.querySelectorAll('button, a, input[type=text], textarea'))
            .filter(n => n.offsetParent !== null && !n.classList.contains('skip-link'))
            .map(n => [n.id || n.textContent.trim(), n.getBoundingClientRect().height])
            .filter(([, h]) => h < 44)"""
    )
    assert small == []
    phone.goto(f"/e/{event.slug}/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_phone_queues_question_offline_and_sends_it_once(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    server = screens_server()
    phone = page_for(360, 740, base_url=server.url)
    phone.goto(phone_url(event, session))
    expect(phone.locator("#conn")).to_have_class("conn conn-connected")
    expect(phone.locator("#mine-empty")).to_be_visible()

    phone.context.set_offline(True)
    ask(phone, "Câu hỏi gửi khi mất sóng Wi-Fi")
    expect(phone.locator("#ask-status")).to_have_text(
        "Bạn đang mất mạng. Câu hỏi đã được lưu và sẽ tự động gửi khi có mạng."
    )
    expect(phone.locator("#mine-list .q-queued .q-text")).to_have_text(
        "Câu hỏi gửi khi mất sóng Wi-Fi"
    )
    outbox = phone.evaluate(f"JSON.parse(localStorage.getItem('hoithao.outbox.{event.slug}'))")
    assert [item["text"] for item in outbox] == ["Câu hỏi gửi khi mất sóng Wi-Fi"]

    phone.context.set_offline(False)
    expect(phone.locator("#mine-list .badge")).to_have_text("Đang chờ duyệt", timeout=15000)
    assert phone.evaluate(f"localStorage.getItem('hoithao.outbox.{event.slug}')") == "[]"
    questions = list(Question.objects.filter(session=session).values_list("text", "client_id"))
    assert questions == [("Câu hỏi gửi khi mất sóng Wi-Fi", outbox[0]["client_id"])]


def test_screenshots_of_the_three_screens(screens_server, page_for, summit, screenshots_dir):
    event, hall, session, moderator = summit
    session.speakers.add(factories.speaker(event, name="Ông Trần Minh Đức", organisation="Viettel"))
    pinned = factories.question(
        session,
        text="Hà Nội có kế hoạch gì để kết nối dữ liệu giao thông thời gian thực giữa các quận?",
        author_name="Minh Anh",
        status="approved",
    )
    texts = [
        ("Bao giờ thẻ vé điện tử dùng chung cho xe buýt và tàu điện?", "Hoàng Nam"),
        ("How will the city protect personal data from traffic cameras?", "Sarah"),
        ("Làm thế nào để giảm ùn tắc giao thông ở Hà Nội vào giờ cao điểm?", ""),
        ("Có ứng dụng nào báo chỗ đỗ xe trống theo thời gian thực không?", "Thu Trang"),
    ]
    voters = [factories.participant(event)[0] for _ in range(12)]
    approved = []
    for i, (text, author) in enumerate(texts):
        q = factories.question(
            session, text=text, author_name=author, anonymous=not author, status="approved"
        )
        approved.append(q)
        for voter in voters[: 9 - 2 * i]:
            services.vote_cast(question_id=q.pk, participant=voter)
    for voter in voters[:5]:
        services.vote_cast(question_id=pinned.pk, participant=voter)
    services.question_pin(question_id=pinned.pk, actor=moderator)
    factories.question(
        session, text="Xin hỏi diễn giả về chi phí triển khai camera AI?", author_name="Quang"
    )
    factories.question(session, text="Is there a live stream for remote attendees?")
    answered = factories.question(session, text="Phiên này có phát lại không?", status="approved")
    services.question_answer(question_id=answered.pk, actor=moderator)
    screenshots_dir.mkdir(parents=True, exist_ok=True)

    server = screens_server()
    display = page_for(1920, 1080, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-list .d-q-text").first).to_have_text(texts[0][0])
    expect(display.locator("#d-pinned-text")).to_have_text(pinned.text)
    expect(display.locator("#d-conn")).to_be_hidden()
    display.screenshot(path=str(screenshots_dir / "display.png"))

    phone = page_for(360, 740, base_url=server.url)
    phone.goto(phone_url(event, session))
    expect(phone.locator("#public-list .q")).to_have_count(6)
    phone.click("#public-list .q:nth-child(2) .vote")
    expect(phone.locator("#public-list .q:nth-child(2) .vote")).to_have_attribute(
        "aria-pressed", "true"
    )
    phone.fill("#q-text", "Thành phố có hỗ trợ doanh nghiệp khởi nghiệp")
    phone.screenshot(path=str(screenshots_dir / "phone.png"), full_page=True)

    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#col-incoming .m-card")).to_have_count(2)
    console.keyboard.press("j")
    console.screenshot(path=str(screenshots_dir / "moderator.png"))

    for name in ("display.png", "phone.png", "moderator.png"):
        assert (screenshots_dir / name).stat().st_size > 10_000
    assert [p.errors for p in (phone, console, display)] == [[], [], []]


def test_display_countdown_follows_server_clock_not_device_clock(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    session.ends_at = timezone.now() + dt.timedelta(minutes=30)
    session.save(update_fields=["ends_at"])
    server = screens_server()
    display = page_for(1280, 720, base_url=server.url)
    # The display's own clock runs two hours fast; the countdown must not care.
    display.add_init_script("(() => { const n = Date.now; Date.now = () => n() + 7200000; })()")
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-countdown")).to_have_text(re.compile(r"^Kết thúc sau (29|30):\d\d$"))
    offset = display.evaluate("window.hoithaoSocket.offset")
    assert -7_205_000 < offset < -7_195_000


def test_socket_resyncs_after_a_gap(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    shown = factories.question(session, text="Câu hỏi có thật", status="approved")
    server = screens_server()
    phone = page_for(360, 740, base_url=server.url)
    phone.goto(phone_url(event, session))
    expect(phone.locator("#public-list .q-text")).to_have_text([shown.text])
    before = phone.evaluate("window.hoithaoSocket.position")

    # A frame two positions ahead: one was lost. It must not be applied; a snapshot replaces.
    ghost = dict(
        id=987654,
        text="Ma",
        status="approved",
        pinned=False,
        votes=0,
        version=1,
        created_at="2023-01-01",
    )
    waiting = phone.evaluate(
        """([pos, ghost]) => {
            const s = window.hoithaoSocket;
            s._receive({seq: pos.seq + 2, epoch: pos.epoch, type: "question.updated", data: ghost});
            return s.awaitingSnapshot;
        }""",
        [before, ghost],
    )
    assert waiting is True
    phone.wait_for_function("window.hoithaoSocket.awaitingSnapshot === false")
    expect(phone.locator("#public-list .q-text")).to_have_text([shown.text])
    assert phone.evaluate("window.hoithaoSocket.position") == before


def test_moderator_conflict_is_explained_and_card_refreshed(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    question = factories.question(session, text="Câu hỏi hai người cùng duyệt")
    other = factories.moderator(event)
    server = screens_server()
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#col-incoming .m-text")).to_have_text([question.text])
    # This console misses the other moderator's change (its socket is stopped), so it acts
    # on a stale version.
    console.evaluate("window.hoithaoSocket.stop()")
    services.question_reject(question_id=question.pk, actor=other)

    console.keyboard.press("j")
    console.keyboard.press("a")
    expect(console.locator("#m-flash")).to_have_text(
        "Another moderator changed this question a moment ago. The card now shows its current "
        "state; check it and try again if still needed."
    )
    expect(console.locator("#col-done .m-text")).to_have_text([question.text])
    expect(console.locator("#col-done .badge").first).to_have_text("Not approved")
    question.refresh_from_db()
    assert question.status == "rejected"


def test_phone_switches_to_english_in_one_tap(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    server = screens_server()
    phone = page_for(360, 740, base_url=server.url)
    phone.goto(phone_url(event, session))
    expect(phone.locator("#ask-title")).to_have_text("Đặt câu hỏi")
    phone.click("text=English")
    expect(phone.locator("#ask-title")).to_have_text("Ask a question")
    expect(phone.locator("#session-title")).to_have_text("Smart mobility for Hanoi")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    assert phone.url.endswith(phone_url(event, session))


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (1024, 768)])
def test_hall_join_link_fits_the_display_and_opens_the_hall_session_on_a_phone(
    screens_server, page_for, summit, size
):
    event, hall, session, moderator = summit
    server = screens_server()
    display = page_for(*size, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    link = display.locator(".d-join-url")
    expect(link).to_have_text(f"{server.url.split('://', 1)[1]}/j/HN2023/hall-a")
    assert link.evaluate("e => e.scrollWidth <= e.clientWidth")
    join = display.locator(".d-join").bounding_box()
    text = link.bounding_box()
    assert join["x"] <= text["x"] and text["x"] + text["width"] <= join["x"] + join["width"]
    assert text["y"] + text["height"] <= size[1]

    phone = page_for(360, 740, base_url=server.url)
    phone.goto(f"http://{link.text_content()}")
    assert phone.url.endswith(phone_url(event, session))
    expect(phone.locator("#session-title")).to_have_text("Giao thông thông minh cho Hà Nội")

    from live.services import session_update

    session_update(session_id=session.pk, actor=moderator, status="ended")
    phone.goto(f"http://{link.text_content()}")
    assert phone.url.endswith(f"/e/{event.slug}/")


def test_display_follows_the_hall_to_its_next_session(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    starts = timezone.now() + dt.timedelta(hours=2)
    following = factories.session(
        hall,
        title_vi="Năng lượng xanh cho đô thị",
        title_en="Green energy",
        status="scheduled",
        starts_at=starts,
    )
    server = screens_server()
    display = page_for(1280, 720, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-badge")).to_have_text("TRỰC TIẾP")
    display.evaluate("window.__loadMarker = 'same page'")

    from live.services import session_update

    session_update(session_id=session.pk, actor=moderator, status="ended")
    expect(display.locator("#d-title")).to_have_text("Năng lượng xanh cho đô thị")
    local = timezone.localtime(following.starts_at, event.tz)
    expect(display.locator("#d-badge")).to_have_text(f"TIẾP THEO lúc {local:%H:%M}")
    expect(display.locator("#d-countdown")).to_have_text("")
    assert display.evaluate("window.__loadMarker") == "same page"


def test_moderator_closes_qa_and_phone_form_hides(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    server = screens_server()
    phone = page_for(360, 740, base_url=server.url)
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    phone.goto(phone_url(event, session))
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(phone.locator("#ask-form")).to_be_visible()
    expect(console.locator("#m-qa-toggle")).to_have_text("Close Q&A")

    console.click("#m-qa-toggle")
    expect(console.locator("#m-qa-state")).to_have_text("Q&A is closed: the audience cannot ask")
    expect(phone.locator("#qa-closed")).to_have_text("Phiên này đã đóng nhận câu hỏi.")
    expect(phone.locator("#ask-form")).to_be_hidden()

    console.click("#m-status-buttons >> text=Break")
    expect(console.locator("#m-status")).to_have_text("Break")
    expect(phone.locator("#session-status")).to_have_text("Giải lao")
    session.refresh_from_db()
    assert (session.status, session.qa_open) == ("break", False)


def test_moderator_edits_with_e_and_merges_a_duplicate(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    keep = factories.question(session, text="Giá vé tàu điện bao nhiêu?", status="approved")
    dup = factories.question(session, text="gia ve tau dien?")
    server = screens_server()
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator(".m-card")).to_have_count(2)

    console.keyboard.press("?")
    expect(console.locator("#help")).to_be_visible()
    console.keyboard.press("Escape")
    expect(console.locator("#help")).to_be_hidden()

    console.keyboard.press("j")  # the first card: Incoming, the duplicate
    console.keyboard.press("e")
    expect(console.locator("#edit-text")).to_have_value("gia ve tau dien?")
    console.fill("#edit-text", "Giá vé tàu điện là bao nhiêu?")
    console.click("#edit-form button[value=save]")
    expect(console.locator("#col-incoming .m-text")).to_have_text(["Giá vé tàu điện là bao nhiêu?"])
    expect(console.locator("#col-incoming .m-edited")).to_have_text(["edited"])

    console.click(f"#col-incoming button[aria-label='Merge #{dup.pk}']")
    console.select_option("#merge-into", str(keep.pk))
    console.click("#merge-form button[value=merge]")
    expect(console.locator("#col-done .m-text")).to_have_text(["Giá vé tàu điện là bao nhiêu?"])
    expect(console.locator("#col-done .m-edited").last).to_have_text(f"merged into #{keep.pk}")
    dup.refresh_from_db()
    assert (dup.status, dup.merged_into_id, dup.original_text) == (
        "archived",
        keep.pk,
        "gia ve tau dien?",
    )


def test_display_dom_stays_bounded_as_questions_and_votes_flow(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    server = screens_server()
    display = page_for(1280, 720, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-conn")).to_be_hidden()
    questions = [factories.question(session, text=f"Câu hỏi số {i} về đô thị?") for i in range(12)]
    for q in questions:
        services.question_approve(question_id=q.pk, actor=moderator)
    expect(display.locator("#d-list li").first).to_be_visible()
    voter, _ = factories.participant(event)
    services.vote_cast(question_id=questions[-1].pk, participant=voter)
    expect(display.locator("#d-list li").first.locator(".d-q-text")).to_have_text(
        questions[-1].text
    )
    count = display.evaluate("document.getElementsByTagName('*').length")

    for q in questions[:-1]:
        services.vote_cast(question_id=q.pk, participant=voter)
    services.question_pin(question_id=questions[0].pk, actor=moderator)
    expect(display.locator("#d-pinned-text")).to_have_text(questions[0].text)
    services.question_unpin(question_id=questions[0].pk, actor=moderator)
    expect(display.locator("#d-pinned")).to_be_hidden()
    expect(display.locator("#d-list li").first.locator(".d-votes")).to_have_text("1")
    assert display.locator("#d-list li").count() <= 5
    assert display.evaluate("document.getElementsByTagName('*').length") == count


def test_phone_joins_asks_and_votes_over_its_socket_and_over_http_when_it_is_down(
    screens_server, page_for, summit
):
    event, hall, session, moderator = summit
    question = factories.question(session, status="approved", text="Xe buýt điện khi nào chạy?")
    server = screens_server()
    phone = page_for(360, 740, base_url=server.url)
    api_calls, socket_frames = [], []
    phone.on(
        "request",
        lambda r: (
            api_calls.append((r.method, r.url.split("/api/v1/")[1]))
            if "/api/v1/" in r.url
            else None
        ),
    )
    phone.on("websocket", lambda ws: ws.on("framesent", lambda f: socket_frames.append(f)))
    phone.goto(phone_url(event, session))
    expect(phone.locator("#conn")).to_have_class("conn conn-connected")
    button = phone.locator("#public-list .q .vote")

    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".vote-count")).to_have_text("1")
    ask(phone, "Có wifi miễn phí ở hội trường không?")
    expect(phone.locator("#mine-list .badge")).to_have_text("Đang chờ duyệt")

    assert api_calls == []  # join, vote and question all went over the socket
    commands = [json.loads(f)["type"] for f in socket_frames if '"ping"' not in f]
    assert commands == ["join", "vote", "ask"]
    question.refresh_from_db()
    assert question.vote_count == 1
    asked = Question.objects.get(session=session, status="pending")
    assert asked.text == "Có wifi miễn phí ở hội trường không?"
    assert asked.participant.token_hash == hash_token(
        phone.evaluate(f"JSON.parse(localStorage.getItem('hoithao.token.{event.slug}'))")
    )

    phone.evaluate("window.hoithaoSocket.stop()")  # the socket is gone: HTTP takes the vote
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button.locator(".vote-count")).to_have_text("0")
    assert api_calls == [("DELETE", f"questions/{question.pk}/vote/")]
    question.refresh_from_db()
    assert question.vote_count == 0
    assert phone.errors == []

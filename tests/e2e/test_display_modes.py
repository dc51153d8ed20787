"""The hall display under control: its mode and list length set through the API reach an open
display without a reload, and it uses the screen it is on (projectors, a TV, a portrait TV):
questions whole or not at all, the QR code and join code always in full, judged by geometry."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from live.services import api_token_issue
from qa import services
from tests import factories

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_keys"),
]

PINNED = (
    "Xin hỏi TS. Lan: khi tuyến metro số 3 Nhổn - ga Hà Nội chạy hết tuyến, thành phố có kế "
    "hoạch gì để kết nối xe buýt điện và xe đạp công cộng với các nhà ga, nhất là ở các quận "
    "ngoại thành không?"
)
# Eight questions of 120-200 characters, as a hall asks them (most votes first).
LONG_QUESTIONS = [
    "Bao giờ Hà Nội áp dụng một thẻ vé điện tử dùng chung cho xe buýt, tàu điện trên cao và "
    "metro, người cao tuổi có được miễn phí khi dùng thẻ này không, và có thể nạp tiền qua ứng "
    "dụng ngân hàng không ạ?",
    "Dữ liệu từ hàng nghìn camera giao thông AI sẽ được lưu trữ ở đâu, trong bao lâu, và ai "
    "chịu trách nhiệm bảo vệ thông tin cá nhân của người dân khi dữ liệu bị rò rỉ hoặc bị sử "
    "dụng sai mục đích?",
    "Làm thế nào để giảm ùn tắc ở các nút giao lớn như Ngã Tư Sở và Kim Liên vào giờ cao điểm "
    "khi lượng xe máy vẫn tăng mỗi năm?",
    "Ứng dụng iHanoi có thể báo chỗ đỗ xe còn trống theo thời gian thực ở khu phố cổ không, và "
    "có cho phép đặt chỗ trước rồi thanh toán qua ví điện tử luôn không?",
    "Thành phố có hỗ trợ các doanh nghiệp khởi nghiệp Việt Nam tham gia đấu thầu các dự án đô "
    "thị thông minh, hay chủ yếu vẫn là các tập đoàn lớn và nhà thầu nước ngoài?",
    "Hệ thống đèn tín hiệu thông minh đang thử nghiệm trên đường Láng đã giảm được bao nhiêu "
    "phần trăm thời gian chờ, và khi nào sẽ mở rộng ra toàn thành phố?",
    "Khi chuyển sang xe buýt điện, Hà Nội có đủ trạm sạc ở các điểm đầu cuối không, và nguồn "
    "điện có ổn định vào mùa hè nắng nóng khi nhu cầu điện tăng cao không?",
    "Người dân có thể góp ý trực tuyến cho quy hoạch giao thông của quận mình ở đâu, và ý kiến "
    "đó có được phản hồi công khai trong một thời hạn cụ thể không?",
]
SIZES = {
    "1920x1080": (1920, 1080),
    "1280x720": (1280, 720),
    "1280x800": (1280, 800),
    "1024x768": (1024, 768),
    "portrait": (1080, 1920),
}

# Every visible box inside the viewport and nothing clipped: no element whose content is
# taller or wider than its box (a cut line, a hidden card) or that reaches past the screen.
OVERFLOWS = """() => {
  const W = innerWidth, H = innerHeight, bad = [];
  for (const n of document.querySelectorAll('body, body *')) {
    if (n.closest('svg, .skip-link, .visually-hidden') && n.tagName.toLowerCase() !== 'svg') continue;
    if (n.getClientRects().length === 0) continue;
    const r = n.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const name = n.id || n.className.baseVal || n.className || n.tagName;
    if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5) {
      bad.push([name, 'outside', Math.round(r.left), Math.round(r.top), Math.round(r.right),
                Math.round(r.bottom)]);
    }
    if (n.clientHeight && (n.scrollHeight > n.clientHeight || n.scrollWidth > n.clientWidth)) {
      bad.push([name, 'clipped', n.scrollWidth, n.clientWidth, n.scrollHeight, n.clientHeight]);
    }
  }
  return bad;
}"""
# Where what the screen shows is drawn: a card's box, or the lines of a text (a text's own box
# may reach under the floating join card; its lines do not).
BOXES = """sels => sels.flatMap(([s, kind]) => Array.from(document.querySelectorAll(s)).map((n, i) => {
  if (n.getClientRects().length === 0) return null;
  let r = n.getBoundingClientRect();
  if (kind === 'text') {
    const range = document.createRange();
    range.selectNodeContents(n);
    r = range.getBoundingClientRect();
  }
  return [s + '#' + i, [r.left, r.top, r.right, r.bottom]];
}).filter(Boolean))"""
REGIONS = [
    [".d-names p", "text"],
    [".d-status-row", "text"],
    ["#d-title", "text"],
    ["#d-title-alt", "text"],
    ["#d-when", "text"],
    ["#d-speakers", "text"],
    ["#d-pinned", "box"],
    ["#d-top-label", "text"],
    ["#d-list li", "box"],
    ["#d-empty", "text"],
    [".d-join", "box"],
]


def font_px(page, selector: str) -> float:
    return page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")


def overlapping(page) -> list:
    """Pairs of shown things drawn over one another."""
    shown = page.evaluate(BOXES, REGIONS)
    return [
        (a, b)
        for i, (a, ra) in enumerate(shown)
        for b, rb in shown[i + 1 :]
        if ra[0] < rb[2] - 0.5
        and rb[0] < ra[2] - 0.5
        and ra[1] < rb[3] - 0.5
        and rb[1] < ra[3] - 0.5
    ]


def hall_patch(page, hall, token: str, **fields) -> dict:
    """PATCH /api/v1/halls/<id>/ over HTTP to the test server, as the moderator."""
    response = page.request.patch(
        f"/api/v1/halls/{hall.pk}/", data=fields, headers={"Authorization": f"Token {token}"}
    )
    assert response.status == 200, response.text()
    return response.json()


@pytest.fixture
def full_hall(summit):
    """The summit's hall with a pinned question and eight long ones voted into an order."""
    event, hall, session, moderator = summit
    session.speakers.add(factories.speaker(event, name="Ông Trần Minh Đức", organisation="Viettel"))
    pinned = factories.question(session, text=PINNED, author_name="Minh Anh", status="approved")
    voters = [factories.participant(event)[0] for _ in range(len(LONG_QUESTIONS))]
    for i, text in enumerate(LONG_QUESTIONS):
        q = factories.question(session, text=text, author_name=f"Khách {i + 1}", status="approved")
        for voter in voters[: len(LONG_QUESTIONS) - i]:
            services.vote_cast(question_id=q.pk, participant=voter)
    for voter in voters[:3]:
        services.vote_cast(question_id=pinned.pk, participant=voter)
    services.question_pin(question_id=pinned.pk, actor=moderator)
    return summit


@pytest.mark.parametrize("name", list(SIZES))
def test_display_uses_its_screen_at_each_size(
    screens_server, page_for, full_hall, screenshots_dir, tmp_path, name
):
    event, hall, session, moderator = full_hall
    width, height = SIZES[name]
    short = min(width, height)
    server = screens_server()
    display = page_for(width, height, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-pinned-text")).to_have_text(PINNED)
    expect(display.locator("#d-conn")).to_be_hidden()
    screenshots_dir.mkdir(parents=True, exist_ok=True)
    display.screenshot(path=str(screenshots_dir / f"display-{name}.png"))

    shown = display.locator("#d-list .d-q-text").all_text_contents()
    assert shown == LONG_QUESTIONS[: len(shown)]  # whole, in order of votes
    assert len(shown) >= (3 if name in ("1920x1080", "portrait") else 2), shown
    assert display.evaluate(OVERFLOWS) == []
    assert overlapping(display) == []
    # Readable from the back: sizes as a share of the screen's short side.
    assert font_px(display, "#d-pinned-text") >= 0.035 * short
    assert font_px(display, "#d-list .d-q-text") >= 0.03 * short
    assert font_px(display, "#d-join-code") >= 0.06 * short
    assert display.locator(".d-qr svg").bounding_box()["width"] >= 0.24 * short

    # The join mode on the same screen: QR code and join code whole and large.
    token = api_token_issue(user=moderator)
    hall_patch(display, hall, token, display_mode="join")
    expect(display.locator("#d-stage")).to_have_attribute("data-mode", "join")
    expect(display.locator("#d-when")).to_be_visible()
    display.screenshot(path=str(tmp_path / f"display-{name}-join.png"))
    assert display.evaluate(OVERFLOWS) == []
    assert overlapping(display) == []
    assert display.locator(".d-qr svg").bounding_box()["width"] >= 0.5 * short
    assert font_px(display, "#d-join-code") >= 0.08 * short
    assert display.errors == []


def test_display_modes_set_through_the_api_reach_an_open_display_without_reload(
    screens_server, page_for, full_hall, screenshots_dir
):
    event, hall, session, moderator = full_hall
    token = api_token_issue(user=moderator)
    server = screens_server()
    display = page_for(1920, 1080, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-pinned-text")).to_have_text(PINNED)
    expect(display.locator("#d-conn")).to_be_hidden()
    display.evaluate("window.__loadMarker = 'same page'")
    stage = display.locator("#d-stage")
    screenshots_dir.mkdir(parents=True, exist_ok=True)

    hall_patch(display, hall, token, display_mode="pinned")
    expect(stage).to_have_attribute("data-mode", "pinned")
    expect(display.locator("#d-pinned-text")).to_be_visible()
    for hidden in (".d-top", ".d-join", ".d-session"):
        expect(display.locator(hidden)).to_be_hidden()
    assert font_px(display, "#d-pinned-text") >= 0.05 * 1080
    assert display.evaluate(OVERFLOWS) == []
    display.screenshot(path=str(screenshots_dir / "display-pinned.png"))

    # Nothing pinned: the event, the hall and the session's title, calmly.
    pinned = session.questions.get(pinned=True)
    services.question_unpin(question_id=pinned.pk, actor=moderator)
    expect(display.locator("#d-pinned")).to_be_hidden()
    expect(display.locator("#d-title")).to_have_text("Giao thông thông minh cho Hà Nội")
    expect(display.locator("#d-title-alt")).to_have_text("Smart mobility for Hanoi")
    expect(display.locator("#d-event")).to_be_visible()
    expect(display.locator("#d-hall")).to_have_text("Hội trường A")
    for hidden in ("#d-badge", "#d-speakers", ".d-top", ".d-join"):
        expect(display.locator(hidden)).to_be_hidden()
    assert display.evaluate(OVERFLOWS) == []
    assert overlapping(display) == []
    display.screenshot(path=str(screenshots_dir / "display-pinned-none.png"))

    hall_patch(display, hall, token, display_mode="join")
    expect(stage).to_have_attribute("data-mode", "join")
    local = [timezone.localtime(t, event.tz) for t in (session.starts_at, session.ends_at)]
    expect(display.locator("#d-when")).to_have_text(f"{local[0]:%H:%M}\u2013{local[1]:%H:%M}")
    expect(display.locator("#d-title")).to_have_text("Giao thông thông minh cho Hà Nội")
    expect(display.locator("#d-title-alt")).to_have_text("Smart mobility for Hanoi")
    expect(display.locator("#d-join-code")).to_have_text("HN2023")
    expect(display.locator(".d-qr svg")).to_be_visible()
    expect(display.locator(".d-questions")).to_be_hidden()
    assert display.evaluate(OVERFLOWS) == []
    assert overlapping(display) == []
    display.screenshot(path=str(screenshots_dir / "display-join.png"))

    hall_patch(display, hall, token, display_mode="blank")
    expect(stage).to_have_attribute("data-mode", "blank")
    for hidden in (".d-session", ".d-questions", ".d-join"):
        expect(display.locator(hidden)).to_be_hidden()
    expect(display.locator("#d-event")).to_have_text(
        "Hội nghị Thượng đỉnh Thành phố thông minh 2023"
    )
    expect(display.locator("#d-hall")).to_have_text("Hội trường A")
    assert display.evaluate(OVERFLOWS) == []
    display.screenshot(path=str(screenshots_dir / "display-blank.png"))

    hall_patch(display, hall, token, display_mode="questions")
    expect(stage).to_have_attribute("data-mode", "questions")
    expect(display.locator("#d-list li").first).to_be_visible()
    expect(display.locator(".d-join")).to_be_visible()
    shown = display.locator("#d-list .d-q-text").all_text_contents()
    # No longer pinned: among the others by its votes (3, older than the other question with 3).
    assert shown == (LONG_QUESTIONS[:5] + [PINNED] + LONG_QUESTIONS[5:])[: len(shown)]
    assert len(shown) >= 3
    assert display.evaluate(OVERFLOWS) == []
    assert display.evaluate("window.__loadMarker") == "same page"
    assert display.errors == []


def test_display_lists_as_many_questions_as_the_hall_says(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    token = api_token_issue(user=moderator)
    pinned = factories.question(session, text="Câu hỏi đang được trả lời?", status="approved")
    services.question_pin(question_id=pinned.pk, actor=moderator)
    texts = [f"Câu hỏi ngắn số {i + 1}?" for i in range(7)]
    for text in texts:
        factories.question(session, text=text, status="approved")
    server = screens_server()
    display = page_for(1920, 1080, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    items = display.locator("#d-list .d-q-text")
    expect(items).to_have_text(texts[:5])  # the default: five besides the pinned one

    hall_patch(display, hall, token, top_questions=2)
    expect(items).to_have_text(texts[:2])
    hall_patch(display, hall, token, top_questions=0)
    expect(items).to_have_count(0)
    expect(display.locator("#d-pinned-text")).to_have_text(pinned.text)
    expect(display.locator("#d-top-label")).to_be_hidden()
    expect(display.locator("#d-empty")).to_be_hidden()
    hall_patch(display, hall, token, top_questions=7)
    expect(items).to_have_text(texts)
    assert display.errors == []


def test_a_pinned_question_of_500_characters_is_shown_whole_on_a_4_3_projector(
    screens_server, page_for, full_hall, tmp_path
):
    event, hall, session, moderator = full_hall
    longest = (PINNED + " ") * 3
    longest = longest[:497].rstrip() + "..."
    assert len(longest) <= 500
    pinned = session.questions.get(pinned=True)
    services.question_edit(question_id=pinned.pk, actor=moderator, text=longest)
    token = api_token_issue(user=moderator)
    server = screens_server()
    display = page_for(1024, 768, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-pinned-text")).to_have_text(longest)
    expect(display.locator("#d-conn")).to_be_hidden()
    assert display.evaluate(OVERFLOWS) == []
    # smaller type, but no smaller than the list's
    assert font_px(display, "#d-pinned-text") >= font_px(display, "#d-list .d-q-text")
    display.screenshot(path=str(tmp_path / "display-1024x768-500.png"))

    hall_patch(display, hall, token, display_mode="pinned")
    expect(display.locator("#d-stage")).to_have_attribute("data-mode", "pinned")
    assert display.evaluate(OVERFLOWS) == []
    assert font_px(display, "#d-pinned-text") >= 0.03 * 768
    display.screenshot(path=str(tmp_path / "display-1024x768-500-pinned.png"))
    assert display.errors == []

"""A poll's life in real browsers (issue 16): the console creates a draft in both languages and
opens it, a phone (360 px) votes and changes its vote, the console puts it on the hall screen
and shows the results, the display (1920x1080 and 1024x768) draws the bars and the voters,
the console closes it and takes it down, and the display shows the questions again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from qa.models import BallotChoice, Poll
from tests import factories
from tests.e2e.test_display_modes import OVERFLOWS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_keys"),
]

OPTIONS_VI = [
    "Cấp đổi giấy phép lái xe",
    "Đăng ký khai sinh và thường trú",
    "Thuế hộ kinh doanh",
    "Cấp phép xây dựng nhà ở riêng lẻ",
]
OPTIONS_EN = ["Driving licences", "Birth and residence", "Household business tax", "Home permits"]


def test_one_poll_through_its_life(screens_server, page_for, summit, screenshots_dir):
    event, hall, session, moderator = summit
    factories.question(session, status="approved", text="Khi nào có metro số 3?")
    voters = [factories.participant(event)[0] for _ in range(6)]
    server = screens_server()
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#m-conn")).to_have_class("conn conn-connected small")

    # 1. The console prepares a draft in both languages: nobody else sees it.
    console.locator("#poll-question-vi").fill("Dịch vụ công nào Hà Nội nên số hoá trước?")
    console.locator("#poll-question-en").fill("Which public service should Hanoi digitise first?")
    console.locator("#poll-options-vi").fill("\n".join(OPTIONS_VI))
    console.locator("#poll-options-en").fill("\n".join(OPTIONS_EN))
    console.locator("#poll-create").click()
    card = console.locator(".m-poll")
    expect(card).to_have_count(1)
    expect(card.locator(".badge-poll-draft")).to_have_text("Draft")
    poll = Poll.objects.get()
    assert (poll.question_en, poll.options.count()) == (
        "Which public service should Hanoi digitise first?",
        4,
    )
    phone = page_for(360, 740, base_url=server.url, language="en")
    phone.goto(f"/e/{event.slug}/?session={session.pk}")
    expect(phone.locator("#conn")).to_have_class("conn conn-connected")
    expect(phone.locator("#polls")).to_be_hidden()

    # 2. Open: the phone sees it at once, votes, and changes its mind.
    card.locator("button[data-action=open]").click()
    expect(card.locator(".badge-poll-open")).to_be_visible()
    phone_poll = phone.locator(".poll")
    expect(phone_poll.locator(".poll-question")).to_have_text(
        "Which public service should Hanoi digitise first?"
    )
    phone_poll.locator(".poll-option-label", has_text=OPTIONS_EN[1]).click()
    phone_poll.locator(".poll-send").click()
    expect(phone_poll.locator(".ask-status")).to_contain_text("Your vote is counted")
    phone_poll.locator(".poll-option-label", has_text=OPTIONS_EN[0]).click()
    phone_poll.locator(".poll-send").click()
    expect(phone_poll.locator(".poll-send")).to_have_text("Change my vote")
    expect(phone_poll.locator(".poll-option.is-mine")).to_contain_text(OPTIONS_EN[0])
    options = list(poll.options.order_by("position").values_list("pk", flat=True))
    mine = list(BallotChoice.objects.filter(poll=poll).values_list("option_id", flat=True))
    assert mine == [options[0]]
    # Six more phones vote over HTTP (the socket's fallback): 4, 2, 1 with the phone's own.
    from qa import services

    for phone_participant, choice in zip(voters, [0, 0, 0, 1, 1, 2], strict=True):
        services.ballot_cast(
            poll_id=poll.pk, participant=phone_participant, options=[options[choice]]
        )
    expect(card.locator(".m-poll-voters")).to_have_text("7 people voted", timeout=5000)

    # 3. On the hall screen, then with its results: bars and the number of voters.
    display = page_for(1920, 1080, base_url=server.url, language="en")
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-list li")).to_have_count(1)
    card.locator("button[data-action=show]").click()
    expect(display.locator("#d-poll")).to_be_visible()
    expect(display.locator("#d-questions")).to_be_hidden()
    expect(display.locator("#d-poll-question")).to_have_text(
        "Which public service should Hanoi digitise first?"
    )
    expect(display.locator("#d-poll-voters")).to_have_text("7 people voted")
    expect(display.locator(".d-opt-count")).to_have_count(0)  # results hidden
    card.locator("button[data-action=show-results]").click()
    expect(display.locator(".d-opt-count")).to_have_text(["4", "2", "1", "0"])
    expect(display.locator(".d-opt.is-top")).to_contain_text(OPTIONS_EN[0])
    widths = display.locator(".d-opt-bar").evaluate_all(
        "bars => bars.map(b => b.getBoundingClientRect().width / b.parentNode.getBoundingClientRect().width)"
    )
    assert [round(w, 2) for w in widths] == [1.0, 0.5, 0.25, 0.0]
    expect(phone_poll.locator(".poll-option-count").first).to_have_text("4 · 57%")
    display.wait_for_timeout(500)  # the bars' transition
    display.screenshot(path=str(screenshots_dir / "display-poll-1920x1080.png"))
    phone.screenshot(path=str(screenshots_dir / "phone-poll.png"), full_page=True)
    console.evaluate("window.scrollTo(0, 0)")
    console.screenshot(path=str(screenshots_dir / "moderator-polls.png"))
    projector = page_for(1024, 768, base_url=server.url, language="vi")
    projector.goto(f"/display/{hall.pk}/")
    expect(projector.locator(".d-opt-count")).to_have_text(["4", "2", "1", "0"])
    fits = projector.evaluate(
        "() => document.getElementById('d-poll').getBoundingClientRect().bottom <= innerHeight"
    )
    assert fits
    projector.wait_for_timeout(500)
    projector.screenshot(path=str(screenshots_dir / "display-poll-1024x768.png"))

    # 4. Closed: the phone can no longer vote; off screen, the display shows questions again.
    card.locator("button[data-action=close]").click()
    expect(phone_poll.locator("input").first).to_be_disabled()
    expect(phone_poll.locator(".poll-send")).to_have_count(0)
    expect(display.locator("#d-poll-state")).to_have_text("Voting closed")
    card.locator("button[data-action=hide]").click()
    expect(display.locator("#d-poll")).to_be_hidden()
    expect(display.locator("#d-list li")).to_have_count(1)
    expect(phone.locator("#polls")).to_be_hidden()

    # 5. Ten long options on a 4:3 projector: smaller type, everything on the screen.
    ten = services.poll_create(
        session=session,
        actor=moderator,
        question_vi="Trong mười dịch vụ dưới đây, dịch vụ nào bạn muốn làm trực tuyến hoàn toàn, "
        "không phải đến bộ phận một cửa?",
        options=[
            services.PollOptionText(f"{text} cho người dân và doanh nghiệp ở mọi quận huyện")
            for text in OPTIONS_VI * 2 + OPTIONS_VI[:2]
        ],
    )
    for move in (services.poll_open, services.poll_show, services.poll_show_results):
        move(poll_id=ten.pk, actor=moderator)
    expect(projector.locator(".d-opt")).to_have_count(10)
    projector.wait_for_timeout(500)
    assert projector.evaluate(OVERFLOWS) == []
    projector.screenshot(path=str(screenshots_dir / "display-poll-10-1024x768.png"))
    for page in (console, phone, display, projector):
        assert page.errors == []

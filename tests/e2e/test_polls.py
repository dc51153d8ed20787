"""A poll's life in real browsers (issue 16): the console creates a draft in both languages and
opens it, a phone (360 px) votes and changes its vote, the console puts it on the hall screen
and shows the results, the display (1920x1080 and 1024x768) draws the bars and the voters,
the console closes it and takes it down, and the display shows the questions again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from qa import services
from qa.models import BallotChoice, Poll, PollAuditEntry
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


def draft(session, moderator):
    return services.poll_create(
        session=session,
        actor=moderator,
        question_vi="Dịch vụ nào nên số hoá trước?",
        question_en="Which service should go digital first?",
        options=[services.PollOptionText(vi, en) for vi, en in zip(OPTIONS_VI, OPTIONS_EN)],
    )


def open_console(server, page_for, session, user):
    console = page_for(1440, 900, base_url=server.url, user=user, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#m-conn")).to_have_class("conn conn-connected small")
    return console


def test_console_edits_a_draft_the_phone_sees_it_only_once_opened(
    screens_server, page_for, summit, screenshots_dir
):
    event, _hall, session, moderator = summit
    poll = draft(session, moderator)
    server = screens_server()
    console = open_console(server, page_for, session, moderator)
    phone = page_for(360, 740, base_url=server.url, language="en")
    phone.goto(f"/e/{event.slug}/?session={session.pk}")
    expect(phone.locator("#conn")).to_have_class("conn conn-connected")

    # The draft's Edit opens the panel's form, prefilled with the poll.
    card = console.locator(".m-poll")
    card.locator("button[data-action=edit]").click()
    expect(console.locator("#poll-form-title")).to_have_text(f"Edit the draft #{poll.pk}")
    expect(console.locator("#poll-question-vi")).to_have_value("Dịch vụ nào nên số hoá trước?")
    expect(console.locator("#poll-question-en")).to_have_value(
        "Which service should go digital first?"
    )
    expect(console.locator("#poll-options-vi")).to_have_value("\n".join(OPTIONS_VI))
    expect(console.locator("#poll-options-en")).to_have_value("\n".join(OPTIONS_EN))
    expect(console.locator("#poll-kind")).to_have_value("single")
    expect(console.locator("#poll-create")).to_have_text("Save the draft")
    expect(card).to_have_class("m-poll state-draft is-editing")
    console.screenshot(path=str(screenshots_dir / "moderator-poll-edit.png"))

    # A new question and a changed second option, as a multiple choice of at most 2.
    console.locator("#poll-question-vi").fill("Thủ tục nào nên làm trực tuyến trước?")
    console.locator("#poll-question-en").fill("Which procedure should go online first?")
    edited_vi = [OPTIONS_VI[0], "Đăng ký xe máy", *OPTIONS_VI[2:]]
    edited_en = [OPTIONS_EN[0], "Motorbike registration", *OPTIONS_EN[2:]]
    console.locator("#poll-options-vi").fill("\n".join(edited_vi))
    console.locator("#poll-options-en").fill("\n".join(edited_en))
    console.locator("#poll-kind").select_option("multiple")
    console.locator("#poll-max").fill("2")
    console.locator("#poll-create").click()

    expect(console.locator("#poll-form-status")).to_have_text(
        "Draft saved. The audience sees it once you open it."
    )
    expect(card.locator(".m-poll-question")).to_have_text("Thủ tục nào nên làm trực tuyến trước?")
    expect(card.locator(".m-poll-option-text").nth(1)).to_have_text(
        "Đăng ký xe máy / Motorbike registration"
    )
    expect(console.locator("#poll-form-title")).to_have_text("New poll")
    expect(console.locator("#poll-question-vi")).to_have_value("")
    poll.refresh_from_db()
    assert (poll.question_vi, poll.question_en, poll.kind, poll.max_choices, poll.version) == (
        "Thủ tục nào nên làm trực tuyến trước?",
        "Which procedure should go online first?",
        "multiple",
        2,
        2,
    )
    assert list(poll.options.values_list("text_vi", "text_en")) == list(
        zip(edited_vi, edited_en, strict=True)
    )
    audit = PollAuditEntry.objects.filter(poll=poll).order_by("pk").last()
    assert (audit.action, audit.actor, audit.detail["fields"]) == (
        "edit",
        moderator,
        ["question_vi", "question_en", "kind", "max_choices", "options"],
    )

    # The phone never saw the draft; once opened it shows the edited text.
    expect(phone.locator("#polls")).to_be_hidden()
    assert "Which procedure" not in phone.locator("body").inner_text()
    card.locator("button[data-action=open]").click()
    phone_poll = phone.locator(".poll")
    expect(phone_poll.locator(".poll-question")).to_have_text(
        "Which procedure should go online first?"
    )
    expect(phone_poll.locator(".poll-option-label").nth(1)).to_contain_text(
        "Motorbike registration"
    )
    expect(card.locator("button[data-action=edit]")).to_have_count(0)  # open: no more edits

    # A draft made over the API with English for some options only: the form keeps each
    # translation on its option's line, and saving it as it is changes no text.
    partial = services.poll_create(
        session=session,
        actor=moderator,
        question_vi="Câu hỏi thứ hai?",
        options=[
            services.PollOptionText(OPTIONS_VI[0], OPTIONS_EN[0]),
            services.PollOptionText(OPTIONS_VI[1]),
            services.PollOptionText(OPTIONS_VI[2], OPTIONS_EN[2]),
        ],
    )
    second = console.locator(f".m-poll[data-id='{partial.pk}']")
    second.locator("button[data-action=edit]").click()
    expect(console.locator("#poll-options-en")).to_have_value(f"{OPTIONS_EN[0]}\n\n{OPTIONS_EN[2]}")
    console.locator("#poll-create").click()
    expect(console.locator("#poll-form-status")).to_have_text(
        "Draft saved. The audience sees it once you open it."
    )
    assert list(partial.options.values_list("text_vi", "text_en")) == [
        (OPTIONS_VI[0], OPTIONS_EN[0]),
        (OPTIONS_VI[1], ""),
        (OPTIONS_VI[2], OPTIONS_EN[2]),
    ]
    assert [console.errors, phone.errors] == [[], []]


def test_console_edit_on_a_stale_version_shows_the_draft_as_it_is_now(
    screens_server, page_for, summit
):
    event, _hall, session, moderator = summit
    poll = draft(session, moderator)
    other = factories.moderator(event)
    server = screens_server()
    console = open_console(server, page_for, session, moderator)
    card = console.locator(".m-poll")
    card.locator("button[data-action=edit]").click()
    expect(console.locator("#poll-question-vi")).to_have_value("Dịch vụ nào nên số hoá trước?")

    # Another moderator saves first; the card follows, the open form keeps what it was given.
    services.poll_edit(
        poll_id=poll.pk, actor=other, version=1, question_vi="Câu hỏi của người khác?"
    )
    expect(card.locator(".m-poll-question")).to_have_text("Câu hỏi của người khác?")
    console.locator("#poll-options-vi").fill("\n".join(["Một", *OPTIONS_VI[1:]]))
    console.locator("#poll-create").click()

    expect(console.locator("#m-flash")).to_have_text(
        "Another moderator changed this poll first; it now shows its current state."
    )
    expect(console.locator("#poll-form-status")).to_have_text(
        "Another moderator changed this draft first: the form now shows it as it is now. "
        "Make your change again and save."
    )
    expect(console.locator("#poll-question-vi")).to_have_value("Câu hỏi của người khác?")
    expect(console.locator("#poll-options-vi")).to_have_value("\n".join(OPTIONS_VI))
    poll.refresh_from_db()
    assert (poll.question_vi, poll.version) == ("Câu hỏi của người khác?", 2)
    assert poll.options.first().text_vi == OPTIONS_VI[0]  # the stale save changed nothing

    # Saved again from the poll as it is now: it goes through on the new version.
    console.locator("#poll-options-vi").fill("\n".join(["Một", *OPTIONS_VI[1:]]))
    console.locator("#poll-create").click()
    expect(console.locator("#poll-form-status")).to_have_text(
        "Draft saved. The audience sees it once you open it."
    )
    poll.refresh_from_db()
    assert (poll.question_vi, poll.version) == ("Câu hỏi của người khác?", 3)
    assert poll.options.first().text_vi == "Một"
    assert console.errors == []

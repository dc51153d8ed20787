"""The console's header and search (issue 13, first part): the pre/post moderation switch
changes what a phone's next question does, the export links download the session's file,
accent-free search finds accented text, each card says how old it is, and the moderators
connected are counted."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from live import services as live_services
from live.models import Session
from qa import services
from qa.models import Question
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_keys")]


def test_moderation_switch_export_search_age_and_moderators(
    screens_server, page_for, summit, screenshots_dir, tmp_path
):
    event, hall, session, moderator = summit
    Session.objects.filter(pk=session.pk).update(moderation="pre")
    hanoi = factories.question(session, text="Khi nào Hà Nội có tàu điện ngầm tuyến 3?")
    factories.question(session, text="How will parking data be shared?", author_name="Sarah")
    Question.objects.filter(pk=hanoi.pk).update(created_at=timezone.now() - dt.timedelta(minutes=7))
    server = screens_server()
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#m-conn")).to_have_class("conn conn-connected small")
    expect(console.locator("#col-incoming .m-card")).to_have_count(2)

    # Each card's age, against the server's clock.
    expect(console.locator(f'.m-card[data-id="{hanoi.pk}"] .m-age')).to_have_text("7 min")
    # The moderators connected (this console), from the presence counts.
    expect(console.locator("#c-moderators")).to_have_text("1", timeout=5000)

    # Accent-free search: "ha noi" finds "Hà Nội"; #id finds the question.
    console.locator("#m-search").fill("ha noi tau")
    expect(console.locator("#col-incoming .m-card:visible")).to_have_count(1)
    expect(console.locator("#col-incoming .m-card:visible .m-text")).to_have_text(hanoi.text)
    expect(console.locator("#m-search-count")).to_have_text("1 of 2 questions match")
    console.screenshot(path=str(screenshots_dir / "moderator-search.png"))
    console.locator("#m-search").fill("sarah")
    expect(console.locator("#col-incoming .m-card:visible .m-text")).to_have_text(
        "How will parking data be shared?"
    )
    console.locator("#m-search").fill(f"#{hanoi.pk}")
    expect(console.locator("#col-incoming .m-card:visible")).to_have_count(1)
    console.locator("#m-search").fill("")
    expect(console.locator("#col-incoming .m-card:visible")).to_have_count(2)

    # The export link downloads the session's CSV, Vietnamese intact.
    with console.expect_download() as download:
        console.locator("#m-export-csv").click()
    path = tmp_path / "export.csv"
    download.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode())
    assert hanoi.text in data.decode("utf-8-sig")

    # Pre-moderation to post: the next question from a phone goes on screen at once.
    expect(console.locator("#m-mod-state")).to_have_text(
        "Pre-moderation: questions wait for approval"
    )
    console.locator("#m-mod-toggle").click()
    expect(console.locator("#m-mod-state")).to_have_text(
        "Post-moderation: questions appear at once"
    )
    assert Session.objects.get(pk=session.pk).moderation == "post"
    phone, _ = factories.participant(event)
    asked, _ = services.question_submit(
        session=Session.objects.get(pk=session.pk), participant=phone, text="Câu hỏi hiện ngay?"
    )
    assert asked.status == "approved"
    expect(console.locator("#col-screen .m-card .m-text")).to_have_text("Câu hỏi hiện ngay?")
    console.locator("#m-mod-toggle").click()
    expect(console.locator("#m-mod-state")).to_have_text(
        "Pre-moderation: questions wait for approval"
    )
    assert Session.objects.get(pk=session.pk).moderation == "pre"
    assert console.errors == []


def test_history_drawer_shows_who_did_what_and_an_edits_before_and_after(
    screens_server, page_for, summit, screenshots_dir
):
    event, hall, session, moderator = summit
    edited = factories.question(session, text="Hà Nội có bao nhiêu trạm sạc xe điện?")
    other = factories.question(session, text="Bao giờ có vé điện tử?")
    services.question_edit(
        question_id=edited.pk, actor=moderator, text="Hà Nội có bao nhiêu trạm sạc ô tô điện?"
    )
    services.question_approve(question_id=other.pk, actor=moderator)
    server = screens_server()
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#m-conn")).to_have_class("conn conn-connected small")

    console.locator("#history-open").click()
    drawer = console.locator("#history")
    expect(drawer).to_be_visible()
    expect(console.locator("#history-title")).to_have_text("Moderation history of this session")
    items = console.locator("#history-list .m-history-item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text(f"Approved #{other.pk}")
    expect(items.nth(0)).to_contain_text(f"by {moderator.username}")
    expect(items.nth(1)).to_contain_text(f"Edited #{edited.pk}")
    expect(items.nth(1).locator(".m-history-old")).to_have_text(
        "Before: Hà Nội có bao nhiêu trạm sạc xe điện?"
    )
    expect(items.nth(1).locator(".m-history-new")).to_have_text(
        "After: Hà Nội có bao nhiêu trạm sạc ô tô điện?"
    )
    console.screenshot(path=str(screenshots_dir / "moderator-history.png"))
    console.keyboard.press("Escape")
    expect(drawer).to_be_hidden()

    # One question's history, from its card.
    console.locator(f'.m-card[data-id="{edited.pk}"] [data-history]').click()
    expect(console.locator("#history-title")).to_have_text(f"History of question #{edited.pk}")
    expect(items).to_have_count(1)
    expect(items.nth(0)).to_contain_text(f"Edited #{edited.pk}")
    assert console.errors == []


def test_on_screen_column_sorts_by_votes_or_by_time(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    older = factories.question(session, text="Câu hỏi cũ, nhiều phiếu?", status="approved")
    newer = factories.question(session, text="Câu hỏi mới, ít phiếu?", status="approved")
    Question.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(minutes=9))
    for voter in [factories.participant(event)[0] for _ in range(3)]:
        services.vote_cast(question_id=older.pk, participant=voter)
    server = screens_server()
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    texts = console.locator("#col-screen .m-card .m-text")
    expect(texts).to_have_text([older.text, newer.text])  # by votes, as the display

    console.locator("#screen-sort").click()
    expect(texts).to_have_text([newer.text, older.text])  # newest first
    expect(console.locator("#screen-sort")).to_have_text(
        "Sorted by time, newest first: sort by votes"
    )
    console.locator("#screen-sort").click()
    expect(texts).to_have_text([older.text, newer.text])


def test_bulk_approve_of_twenty_reaches_the_phone_and_the_display(
    screens_server, page_for, summit, screenshots_dir
):
    event, hall, session, moderator = summit
    live_services.hall_display_update(hall_id=hall.pk, actor=moderator, top_questions=12)
    questions = [
        factories.question(session, text=f"Câu hỏi số {n:02d} về đô thị thông minh?")
        for n in range(1, 21)
    ]
    kept = factories.question(session, text="Câu hỏi này vẫn chờ duyệt?")
    server = screens_server()
    display = page_for(1920, 1080, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    phone = page_for(360, 740, base_url=server.url, language="en")
    phone.goto(f"/e/{event.slug}/?session={session.pk}")
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#col-incoming .m-card")).to_have_count(21)

    # A range by shift-click: the first to the tenth; then x on the focused eleventh; then the
    # rest by ticking "Select all" and unticking the one that must stay.
    console.locator(f'input[data-pick="{questions[0].pk}"]').click()
    console.locator(f'input[data-pick="{questions[9].pk}"]').click(modifiers=["Shift"])
    expect(console.locator("#m-bulk-count")).to_have_text("10 selected")
    console.locator(f'.m-card[data-id="{questions[10].pk}"] .m-text').click()
    console.keyboard.press("x")
    expect(console.locator("#m-bulk-count")).to_have_text("11 selected")
    console.locator('input[data-pick-all="col-incoming"]').check()
    expect(console.locator("#m-bulk-count")).to_have_text("21 selected")
    console.locator(f'input[data-pick="{kept.pk}"]').uncheck()
    expect(console.locator("#m-bulk-count")).to_have_text("20 selected")
    console.screenshot(path=str(screenshots_dir / "moderator-bulk.png"))

    console.locator('#m-bulk button[data-bulk="approve"]').click()

    expect(console.locator("#m-flash")).to_have_text("Done for 20 questions: Approve")
    expect(console.locator("#col-screen .m-card")).to_have_count(20)
    expect(console.locator("#col-incoming .m-card .m-text")).to_have_text(kept.text)
    expect(console.locator("#m-bulk")).to_be_hidden()
    assert Question.objects.filter(session=session, status="approved").count() == 20
    expect(phone.locator("#public-list .q-text")).to_have_count(20)
    expect(display.locator("#d-list li")).not_to_have_count(0)
    shown = display.locator("#d-list .d-q-text").all_inner_texts()
    assert shown and set(shown) <= {q.text for q in questions}
    assert [p.errors for p in (console, phone, display)] == [[], [], []]


def test_bulk_is_all_or_nothing_and_says_why(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    waiting = factories.question(session, text="Chờ duyệt?")
    answered = factories.question(session, text="Đã trả lời?", status="answered")
    server = screens_server()
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    console.locator(f'input[data-pick="{waiting.pk}"]').check()
    console.locator(f'input[data-pick="{answered.pk}"]').check()

    console.locator('#m-bulk button[data-bulk="reject"]').click()

    expect(console.locator("#m-flash")).to_contain_text("Nothing was changed:")
    assert Question.objects.get(pk=waiting.pk).status == "pending"
    assert Question.objects.get(pk=answered.pk).status == "answered"
    expect(console.locator("#m-bulk-count")).to_have_text("2 selected")  # kept, to try again


def test_a_stage_message_shows_in_every_console_of_the_session(screens_server, page_for, summit):
    event, hall, session, moderator = summit
    other = factories.moderator(event)
    server = screens_server()
    sender = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    watcher = page_for(1440, 900, base_url=server.url, user=other, language="en")
    for page in (sender, watcher):
        page.goto(f"/moderate/sessions/{session.pk}/")
        expect(page.locator("#m-conn")).to_have_class("conn conn-connected small")

    sender.locator("#stage-text").fill("Còn hai câu hỏi nữa")
    sender.locator("#stage-send").click()

    expect(watcher.locator("#stage-current")).to_contain_text("Còn hai câu hỏi nữa")
    assert [p.errors for p in (sender, watcher)] == [[], []]


def test_a_moderator_moderates_and_opens_qa_but_does_not_run_the_session(
    screens_server, page_for, summit, screenshots_dir
):
    """The role table in the console: a moderator (not an organiser) approves questions and
    opens or closes Q&A, sees the status and moderation mode, and gets no buttons to change
    them, no export links and no reset."""
    event, hall, session, _organiser = summit
    Session.objects.filter(pk=session.pk).update(moderation="pre", qa_open=True)
    asked = factories.question(session, text="Làn xe buýt nhanh có mở rộng không?")
    moderator = factories.moderator(event, username="dieu-phoi")
    server = screens_server()
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#m-conn")).to_have_class("conn conn-connected small")

    expect(console.locator("#m-status")).to_have_text("Live")
    expect(console.locator("#m-status-buttons button")).to_have_count(0)
    expect(console.locator("#m-mod-state")).to_have_text(
        "Pre-moderation: questions wait for approval"
    )
    for organisers_only in ("#m-mod-toggle", "#m-export-csv", "#m-export-json", "#m-reset"):
        expect(console.locator(organisers_only)).to_have_count(0)
    expect(console.locator("#m-role-note")).to_be_visible()

    # Q&A: the moderator closes and reopens it.
    console.locator("#m-qa-toggle").click()
    expect(console.locator("#m-qa-toggle")).to_have_text("Open Q&A")
    assert Session.objects.get(pk=session.pk).qa_open is False
    console.locator("#m-qa-toggle").click()
    expect(console.locator("#m-qa-toggle")).to_have_text("Close Q&A")
    assert Session.objects.get(pk=session.pk).qa_open is True

    # Moderating questions: the approve button works.
    card = console.locator(f'.m-card[data-id="{asked.pk}"]')
    card.locator('button[data-action="approve"]').click()
    expect(console.locator(f'#col-screen .m-card[data-id="{asked.pk}"]')).to_have_count(1)
    assert Question.objects.get(pk=asked.pk).status == "approved"
    console.screenshot(path=str(screenshots_dir / "moderator-role.png"))
    assert console.errors == []

"""The console's header and search (issue 13, first part): the pre/post moderation switch
changes what a phone's next question does, the export links download the session's file,
accent-free search finds accented text, each card says how old it is, and the moderators
connected are counted."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

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

"""After the rehearsal an organiser resets a session from the console (issue 15): a confirm
step, then every question and vote is gone from the console and from the hall display without
a reload; a plain moderator has no such button."""

import pytest
from playwright.sync_api import expect

from qa import services
from qa.models import Question
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_keys")]


def test_organiser_resets_the_rehearsed_session_and_the_display_follows(
    screens_server, page_for, summit, screenshots_dir
):
    event, hall, session, _organiser = summit
    moderator = factories.moderator(event)
    session.status = "scheduled"
    session.save(update_fields=["status"])
    for text in ("Câu hỏi thử số 1?", "Câu hỏi thử số 2?"):
        question = factories.question(session, text=text, status="approved")
    voter, _ = factories.participant(event)
    services.vote_cast(question_id=question.pk, participant=voter)
    organiser = factories.moderator(event, role="organiser")
    server = screens_server()
    display = page_for(1920, 1080, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-list li")).to_have_count(2)
    plain = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    plain.goto(f"/moderate/sessions/{session.pk}/")
    expect(plain.locator("#m-conn")).to_have_class("conn conn-connected small")
    assert plain.locator("#m-reset").count() == 0
    console = page_for(1440, 900, base_url=server.url, user=organiser, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#col-screen .m-card")).to_have_count(2)

    console.locator("#m-reset").click()
    expect(console.locator("#reset")).to_be_visible()
    console.screenshot(path=str(screenshots_dir / "moderator-reset.png"))
    console.get_by_role("button", name="Cancel").click()
    assert Question.objects.filter(session=session).count() == 2  # cancelled: nothing done

    console.locator("#m-reset").click()
    console.get_by_role("button", name="Yes, remove the questions and votes").click()

    expect(console.locator("#m-flash")).to_have_text(
        "Session reset: questions removed: 2, votes removed: 1."
    )
    expect(console.locator(".m-card")).to_have_count(0)
    expect(display.locator("#d-list li")).to_have_count(0)
    assert not Question.objects.filter(session=session).exists()
    assert [p.errors for p in (display, plain, console)] == [[], [], []]

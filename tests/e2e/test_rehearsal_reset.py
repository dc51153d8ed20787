"""After the rehearsal an organiser resets a session from the console (issue 15): a confirm
step, then every question and vote is gone from the console and from the hall display without
a reload, and the poll the rehearsal put on the hall screen comes down, its ballots gone and
the poll a draft again (issue 16); a plain moderator has no such button."""

import pytest
from playwright.sync_api import expect

from qa import services
from qa.models import Ballot, Poll, Question
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
    # The rehearsal's poll: open, on the hall screen with its results, one ballot.
    poll = services.poll_create(
        session=session,
        actor=organiser,
        question_vi="Bạn đến hội trường bằng phương tiện gì?",
        options=[services.PollOptionText("Xe buýt"), services.PollOptionText("Xe máy")],
    )
    for move in (services.poll_open, services.poll_show, services.poll_show_results):
        move(poll_id=poll.pk, actor=organiser)
    services.ballot_cast(
        poll_id=poll.pk, participant=voter, options=[poll.options.order_by("position")[0].pk]
    )
    server = screens_server()
    display = page_for(1920, 1080, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-poll-question")).to_have_text(
        "Bạn đến hội trường bằng phương tiện gì?"
    )
    expect(display.locator(".d-opt-count")).to_have_text(["1", "0"])
    expect(display.locator("#d-questions")).to_be_hidden()
    plain = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    plain.goto(f"/moderate/sessions/{session.pk}/")
    expect(plain.locator("#m-conn")).to_have_class("conn conn-connected small")
    assert plain.locator("#m-reset").count() == 0
    console = page_for(1440, 900, base_url=server.url, user=organiser, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#col-screen .m-card")).to_have_count(2)
    expect(console.locator(".m-poll .badge-poll-open")).to_be_visible()

    console.locator("#m-reset").click()
    expect(console.locator("#reset")).to_be_visible()
    console.screenshot(path=str(screenshots_dir / "moderator-reset.png"))
    console.get_by_role("button", name="Cancel").click()
    # cancelled: nothing done
    assert Question.objects.filter(session=session).count() == 2
    assert Ballot.objects.filter(poll=poll).count() == 1

    console.locator("#m-reset").click()
    console.get_by_role("button", name="Yes, remove the questions, votes and ballots").click()

    expect(console.locator("#m-flash")).to_have_text(
        "Session reset: questions removed: 2, votes removed: 1, poll ballots removed: 1. "
        "The polls are drafts again."
    )
    expect(console.locator(".m-card")).to_have_count(0)
    # The poll comes down from the hall screen: the (now empty) questions again.
    expect(display.locator("#d-poll")).to_be_hidden()
    expect(display.locator("#d-questions")).to_be_visible()
    expect(display.locator("#d-list li")).to_have_count(0)
    # The console holds it as a draft again, with no votes, ready for the real session.
    expect(console.locator(".m-poll .badge-poll-draft")).to_be_visible()
    expect(console.locator(".m-poll .m-poll-voters")).to_have_text("0 people voted")
    assert not Question.objects.filter(session=session).exists()
    assert not Ballot.objects.filter(poll=poll).exists()
    assert Poll.objects.get(pk=poll.pk).state == "draft"
    assert [p.errors for p in (display, plain, console)] == [[], [], []]

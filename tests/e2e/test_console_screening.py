"""The console's screening and duplicates (issue 14) in a real browser: a held card says which
listed words it holds ("flagged: ..."), a repeat says "like #N" and merges into it in one
click, and a moderator mutes and unmutes the author from the card."""

import pytest
from playwright.sync_api import expect

from live.models import Session
from qa import services
from qa.models import Participant, Question
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_keys")]


def test_console_shows_flagged_and_like_and_merges_and_mutes(
    screens_server, page_for, summit, screenshots_dir
):
    event, hall, session, moderator = summit
    Session.objects.filter(pk=session.pk).update(moderation="post")
    session.refresh_from_db()
    rude, _ = factories.participant(event, display_name="Khách")
    lan, _ = factories.participant(event, display_name="Lan")
    minh, _ = factories.participant(event, display_name="Minh")
    flagged, _ = services.question_submit(
        session=session, participant=rude, text="Đ.M sao metro số 3 trễ thế, vcl?"
    )
    first, _ = services.question_submit(
        session=session, participant=lan, text="Khi nào metro số 3 đi vào hoạt động?"
    )
    repeat, _ = services.question_submit(
        session=session, participant=minh, text="metro so 3 khi nao di vao hoat dong vay?"
    )
    assert (flagged.status, first.status, repeat.status) == ("pending", "approved", "approved")
    server = screens_server()
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#m-conn")).to_have_class("conn conn-connected small")

    held = console.locator(f'.m-card[data-id="{flagged.pk}"]')
    like = console.locator(f'.m-card[data-id="{repeat.pk}"]')
    expect(console.locator("#col-incoming .m-card")).to_have_count(1)
    expect(held.locator(".badge-flagged")).to_have_text("flagged: đm, vcl")
    expect(like.locator(".m-like-text")).to_have_text(f"like #{first.pk}")
    expect(console.locator(f'.m-card[data-id="{first.pk}"] .m-like')).to_have_count(0)
    console.screenshot(path=str(screenshots_dir / "moderator-screening.png"), full_page=True)

    # Mute the author of the held card, from the card; then unmute.
    held.locator("button.m-mute-author").click()
    expect(held.locator(".badge-muted")).to_be_visible()
    expect(held.locator("button.m-unmute-author")).to_be_visible()
    assert Participant.objects.get(pk=rude.pk).muted_at is not None
    held.locator("button.m-unmute-author").click()
    expect(held.locator("button.m-mute-author")).to_be_visible()
    expect(held.locator(".badge-muted")).to_have_count(0)
    assert Participant.objects.get(pk=rude.pk).muted_at is None

    # One click merges the repeat into the question it repeats.
    like.locator("button.m-merge-like").click()
    expect(console.locator(f'#col-done .m-card[data-id="{repeat.pk}"]')).to_be_visible()
    expect(like.locator(".m-like")).to_have_count(0)
    assert Question.objects.get(pk=repeat.pk).merged_into_id == first.pk
    assert console.errors == []

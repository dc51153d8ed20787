"""Both languages (issue 14) in real browsers against a real Daphne and a real
LibreTranslate-speaking server (tests/translate_server.py): a phone asks in Vietnamese, the
server's suggestion reaches the console, the moderator translates with `t` (the editor
prefilled with the suggestion), the hall display shows the pinned question large with the
translation under it, and a phone reading in English shows the translation with the
original one tap away. A stale version is refused and explained like any edit."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from qa import services
from qa.models import Question
from tests import factories
from tests.e2e.test_display_modes import LONG_QUESTIONS, OVERFLOWS, PINNED, font_px, overlapping

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_keys"),
]

ASKED = "Khi nào Hà Nội có vé điện tử dùng chung cho xe buýt và metro?"
SUGGESTED = "When does Hanoi have electronic ticket common for bus and metro?"
TRANSLATED = "When will Hanoi have one e-ticket for both buses and the metro?"


def phone_ask(page, event, session, text: str) -> int:
    """A phone joins and asks over the API of the server under test; the question's id."""
    joined = page.request.post(f"/api/v1/events/{event.slug}/join/", data={})
    assert joined.status == 201, joined.text()
    token = joined.json()["participant_token"]
    asked = page.request.post(
        f"/api/v1/sessions/{session.pk}/questions/",
        data={"text": text},
        headers={"X-Participant-Token": token},
    )
    assert asked.status == 201, asked.text()
    return asked.json()["id"]


def test_moderator_translates_and_the_display_shows_both_languages(
    daphne, static_root, translate_server, page_for, summit, screenshots_dir
):
    event, hall, session, moderator = summit
    session.moderation = "post"
    session.save(update_fields=["moderation"])
    translate_server.answers[ASKED] = SUGGESTED
    server = daphne(
        None,
        DJANGO_DEBUG="1",
        STATIC_ROOT=str(static_root),
        TRANSLATE_URL=translate_server.url,
        TRANSLATE_TIMEOUT="5",
    )
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#m-conn")).to_have_class("conn conn-connected small")

    question_id = phone_ask(console, event, session, ASKED)
    card = console.locator(f'.m-card[data-id="{question_id}"]')
    expect(card.locator(".m-text")).to_have_text(ASKED)
    expect(card.locator(".badge-lang")).to_have_text("Vietnamese")
    # The server's suggestion arrives on the moderation stream a moment later.
    expect(card.locator(".m-suggested")).to_have_text(f"Suggested translation: {SUGGESTED}")
    assert [r["q"] for r in translate_server.requests] == [ASKED]
    services.question_pin(question_id=question_id, actor=moderator)
    # The pin reaches the console before the editor opens: the editor saves with the version
    # the card holds, and a card a version behind would be refused (409) as stale.
    expect(card).to_have_class(re.compile(r"\bis-pinned\b"))

    # `t` on the selected card: the editor, prefilled with the suggestion.
    console.keyboard.press("j")
    console.keyboard.press("t")
    dialog = console.locator("#translate")
    expect(dialog).to_be_visible()
    expect(console.locator("#translate-original")).to_have_text(ASKED)
    expect(console.locator("#translate-label")).to_have_text(
        "Translation into English, shown under the question"
    )
    expect(console.locator("#translate-text")).to_have_value(SUGGESTED)
    expect(console.locator("#translate-hint")).to_contain_text("translation server's suggestion")
    console.locator("#translate-text").fill(TRANSLATED)
    console.screenshot(path=str(screenshots_dir / "moderator-translate.png"))
    dialog.locator('button[value="save"]').click()
    expect(card.locator(".m-translation")).to_have_text(TRANSLATED)
    expect(console.locator("#m-flash")).to_have_text(f"Done: Translate #{question_id}")
    question = Question.objects.get(pk=question_id)
    assert (question.translation, question.translation_language) == (TRANSLATED, "en")
    assert question.translation_suggestion == SUGGESTED

    # The hall display: the question as asked, large; the translation under it.
    screenshots_dir.mkdir(parents=True, exist_ok=True)
    for width, height in ((1920, 1080), (1024, 768)):
        display = page_for(width, height, base_url=server.url)
        display.goto(f"/display/{hall.pk}/")
        expect(display.locator("#d-pinned-text")).to_have_text(ASKED)
        expect(display.locator("#d-pinned-alt")).to_have_text(TRANSLATED)
        expect(display.locator("#d-conn")).to_be_hidden()
        display.screenshot(path=str(screenshots_dir / f"display-translation-{width}x{height}.png"))
        text = display.locator("#d-pinned-text").bounding_box()
        alt = display.locator("#d-pinned-alt").bounding_box()
        assert alt["y"] >= text["y"] + text["height"] - 0.5  # under it
        size = "e => parseFloat(getComputedStyle(e).fontSize)"
        assert display.locator("#d-pinned-alt").evaluate(size) < display.locator(
            "#d-pinned-text"
        ).evaluate(size)
        assert display.evaluate(OVERFLOWS) == []
        assert overlapping(display) == []
        assert display.errors == []
        # The suggestion is for moderators: never on a public screen.
        assert SUGGESTED not in display.content()

    # A phone read in English: the translation, the original one tap away; in Vietnamese:
    # the question as asked, nothing to switch.
    phone = page_for(360, 740, base_url=server.url, language="en")
    phone.goto(f"/e/{event.slug}/?session={session.pk}")
    item = phone.locator(f'#public-list li[data-id="{question_id}"]')
    expect(item.locator(".q-text")).to_have_text(TRANSLATED)
    toggle = item.locator(".q-lang-toggle")
    expect(toggle).to_have_text("Show the original")
    toggle.click()
    expect(item.locator(".q-text")).to_have_text(ASKED)
    expect(toggle).to_have_text("Show the translation")
    toggle.click()
    expect(item.locator(".q-text")).to_have_text(TRANSLATED)
    vietnamese = page_for(360, 740, base_url=server.url, language="vi")
    vietnamese.goto(f"/e/{event.slug}/?session={session.pk}")
    vi_item = vietnamese.locator(f'#public-list li[data-id="{question_id}"]')
    expect(vi_item.locator(".q-text")).to_have_text(ASKED)
    expect(vi_item.locator(".q-lang-toggle")).to_be_hidden()
    assert SUGGESTED not in phone.content() + vietnamese.content()

    # Another moderator changes the translation while this one edits: 409, explained.
    console.keyboard.press("t")
    expect(dialog).to_be_visible()
    expect(console.locator("#translate-text")).to_have_value(TRANSLATED)
    services.question_translate(
        question_id=question_id, actor=moderator, translation="When is the shared e-ticket due?"
    )
    console.locator("#translate-text").fill("Something else")
    dialog.locator('button[value="save"]').click()
    expect(console.locator("#m-flash")).to_contain_text("Another moderator changed this question")
    expect(card.locator(".m-translation")).to_have_text("When is the shared e-ticket due?")
    assert Question.objects.get(pk=question_id).translation == "When is the shared e-ticket due?"
    assert [p.errors for p in (console, phone, vietnamese)] == [[], [], []]


EDITED = "Khi nào Hà Nội có một vé điện tử cho cả xe buýt và metro?"


def test_edited_question_marks_its_translation_out_of_date_until_saved_again(
    daphne, static_root, translate_server, page_for, summit, screenshots_dir
):
    event, hall, session, moderator = summit
    translate_server.answers[EDITED] = "When will Hanoi have one e-ticket for bus and metro?"
    server = daphne(
        None,
        DJANGO_DEBUG="1",
        STATIC_ROOT=str(static_root),
        TRANSLATE_URL=translate_server.url,
        TRANSLATE_TIMEOUT="5",
    )
    console = page_for(1440, 900, base_url=server.url, user=moderator, language="en")
    console.goto(f"/moderate/sessions/{session.pk}/")
    expect(console.locator("#m-conn")).to_have_class("conn conn-connected small")
    question_id = phone_ask(console, event, session, ASKED)
    services.question_approve(question_id=question_id, actor=moderator)
    services.question_translate(question_id=question_id, actor=moderator, translation=TRANSLATED)
    card = console.locator(f'.m-card[data-id="{question_id}"]')
    expect(card.locator(".m-translation")).to_have_text(TRANSLATED)
    expect(card.locator(".m-translation-stale")).to_have_count(0)

    # Another moderator rewords the question: the translation stays, marked on the card.
    services.question_edit(question_id=question_id, actor=moderator, text=EDITED)
    expect(card.locator(".m-text")).to_have_text(EDITED)
    expect(card.locator(".m-translation-stale")).to_have_text("translation may be out of date")
    expect(card.locator(".m-translation")).to_contain_text(TRANSLATED)
    # The server was asked again, for the new words; the card keeps the mark meanwhile.
    deadline = time.monotonic() + 10
    while not Question.objects.filter(pk=question_id).exclude(translation_suggestion="").exists():
        assert time.monotonic() < deadline, translate_server.requests
        time.sleep(0.05)
    expect(card.locator(".m-translation-stale")).to_have_text("translation may be out of date")
    screenshots_dir.mkdir(parents=True, exist_ok=True)
    card.screenshot(path=str(screenshots_dir / "moderator-translation-stale.png"))

    # `t`: the editor holds the moderators' translation and says why to check it; saving
    # the same words confirms them and the mark goes.
    console.keyboard.press("j")
    console.keyboard.press("t")
    expect(console.locator("#translate")).to_be_visible()
    expect(console.locator("#translate-original")).to_have_text(EDITED)
    expect(console.locator("#translate-text")).to_have_value(TRANSLATED)
    expect(console.locator("#translate-hint")).to_have_text(
        "The question was edited after this translation was saved: check it against the new "
        "text and save it again."
    )
    console.locator('#translate button[value="save"]').click()
    expect(card.locator(".m-translation-stale")).to_have_count(0)
    expect(card.locator(".m-translation")).to_have_text(TRANSLATED)
    expect(console.locator("#m-flash")).to_have_text(f"Done: Translate #{question_id}")
    question = Question.objects.get(pk=question_id)
    assert (question.text, question.translation, question.translation_stale) == (
        EDITED,
        TRANSLATED,
        False,
    )
    assert [r["q"] for r in translate_server.requests] == [ASKED, EDITED]
    assert question.translation_suggestion == "When will Hanoi have one e-ticket for bus and metro?"
    assert console.errors == []


PINNED_EN = (
    "To Dr. Lan: once metro line 3 from Nhon to Hanoi station runs its whole length, how will "
    "the city connect electric buses and public bicycles to the stations, especially in the "
    "outer districts?"
)
# The English of LONG_QUESTIONS, as a moderator would give it.
LONG_EN = [
    "When will Hanoi have one e-ticket card for buses, the elevated railway and the metro, "
    "will older people ride free with it, and can it be topped up from a banking app?",
    "Where will the data from thousands of AI traffic cameras be kept, for how long, and who "
    "answers for people's personal data when it leaks or is misused?",
    "How will congestion at big junctions such as Nga Tu So and Kim Lien be cut at rush hour "
    "while the number of motorbikes still grows every year?",
    "Can the iHanoi app show free parking in the Old Quarter in real time, and let people book "
    "a place ahead and pay with an e-wallet?",
    "Does the city help Vietnamese start-ups bid for smart city projects, or is it still mostly "
    "large groups and foreign contractors?",
    "By what share has the smart traffic light trial on Lang street cut waiting time, and when "
    "will it cover the whole city?",
    "With electric buses, will Hanoi have enough chargers at the terminals, and will the power "
    "hold in the summer heat when demand peaks?",
    "Where can people comment online on their district's transport plan, and will comments be "
    "answered publicly within a set time?",
]


@pytest.fixture
def translated_hall(summit):
    """The summit's hall with a pinned question and eight long ones voted into an order, each
    with its English translation; the third has none (a card without one between them)."""
    event, hall, session, moderator = summit
    pinned = factories.question(
        session, text=PINNED, author_name="Minh Anh", status="approved",
        translation=PINNED_EN, translation_language="en",
    )  # fmt: skip
    voters = [factories.participant(event)[0] for _ in range(len(LONG_QUESTIONS))]
    for i, (text, english) in enumerate(zip(LONG_QUESTIONS, LONG_EN, strict=True)):
        q = factories.question(
            session, text=text, author_name=f"Khách {i + 1}", status="approved",
            translation=english if i != 2 else "", translation_language="en" if i != 2 else "",
        )  # fmt: skip
        for voter in voters[: len(LONG_QUESTIONS) - i]:
            services.vote_cast(question_id=q.pk, participant=voter)
    for voter in voters[:3]:
        services.vote_cast(question_id=pinned.pk, participant=voter)
    services.question_pin(question_id=pinned.pk, actor=moderator)
    return summit


# Each listed card: its question, its translation (or None), and where each is drawn.
CARDS = """() => Array.from(document.querySelectorAll('#d-list li')).map(li => {
  const text = li.querySelector('.d-q-text'), alt = li.querySelector('.d-q-alt');
  const box = n => { const r = n.getBoundingClientRect(); return [r.top, r.bottom]; };
  return {text: text.textContent, alt: alt ? alt.textContent : null, lang: alt ? alt.lang : null,
          textBox: box(text), altBox: alt ? box(alt) : null, card: box(li)};
})"""


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1024, 768)])
def test_display_lists_each_question_with_its_translation_under_it(
    screens_server, page_for, translated_hall, screenshots_dir, width, height
):
    event, hall, session, moderator = translated_hall
    server = screens_server()
    display = page_for(width, height, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-pinned-alt")).to_have_text(PINNED_EN)
    expect(display.locator("#d-list li").first).to_be_visible()
    expect(display.locator("#d-conn")).to_be_hidden()
    screenshots_dir.mkdir(parents=True, exist_ok=True)
    display.screenshot(path=str(screenshots_dir / f"display-list-translation-{width}x{height}.png"))

    cards = display.evaluate(CARDS)
    shown = [card["text"] for card in cards]
    assert shown == LONG_QUESTIONS[: len(shown)]  # whole, in order of votes
    # Long questions with long translations under a long pinned one: one card fits at these
    # sizes (each card is about twice as tall as without its translation).
    assert len(shown) >= 1, shown
    expected = [english if i != 2 else None for i, english in enumerate(LONG_EN)]
    assert [card["alt"] for card in cards] == expected[: len(cards)]
    for card in cards:
        if card["alt"] is None:
            continue
        assert card["lang"] == "en"
        assert card["altBox"][0] >= card["textBox"][1] - 0.5  # under the question
        assert card["altBox"][1] <= card["card"][1] + 0.5  # inside its card
    assert font_px(display, "#d-list .d-q-alt") < font_px(display, "#d-list .d-q-text")
    # Readable from the back: a share of the screen's short side, like the other type.
    assert font_px(display, "#d-list .d-q-alt") >= 0.022 * min(width, height)
    # Whole or not at all, translation included: nothing cut, nothing past the bottom.
    assert display.evaluate(OVERFLOWS) == []
    assert overlapping(display) == []
    # The card that did not fit is dropped whole: the next one by votes is not shown at all.
    if len(cards) < len(LONG_QUESTIONS):
        assert display.locator(".d-q-text", has_text=LONG_QUESTIONS[len(cards)]).count() == 0
    assert display.errors == []


def test_display_list_translation_arrives_live_and_the_fit_counts_it(
    screens_server, page_for, summit
):
    """A translation saved while the display is open reaches its card, and the list is fitted
    again with it: the cards it pushes past the bottom leave whole, the last first."""
    event, hall, session, moderator = summit
    hall.top_questions = 10
    hall.save(update_fields=["top_questions"])
    voters = [factories.participant(event)[0] for _ in range(10)]
    questions = []
    for i in range(10):
        q = factories.question(session, text=f"Câu hỏi ngắn số {i + 1}?", status="approved")
        for voter in voters[: 10 - i]:
            services.vote_cast(question_id=q.pk, participant=voter)
        questions.append(q)
    server = screens_server()
    display = page_for(1024, 768, base_url=server.url)
    display.goto(f"/display/{hall.pk}/")
    expect(display.locator("#d-conn")).to_be_hidden()
    expect(display.locator("#d-list li").first).to_be_visible()
    before = display.locator("#d-list li").count()
    assert before >= 4
    long_english = " ".join(["Short question number one, asked again and again?"] * 14)

    services.question_translate(
        question_id=questions[0].pk, actor=moderator, translation=long_english
    )

    first = display.locator(f'#d-list li[data-id="{questions[0].pk}"]')
    expect(first.locator(".d-q-alt")).to_have_text(long_english)
    after = display.locator("#d-list .d-q-text").all_text_contents()
    assert after == [q.text for q in questions[: len(after)]]  # in order, the last ones gone
    assert 1 <= len(after) < before
    assert display.evaluate(OVERFLOWS) == []
    assert overlapping(display) == []

    # The translation removed: the cards come back.
    services.question_translate(question_id=questions[0].pk, actor=moderator, translation="")
    expect(first.locator(".d-q-alt")).to_have_count(0)
    expect(display.locator("#d-list li")).to_have_count(before)
    assert display.errors == []


# Each queued card on the stage: its question, its translation (or None), where each is drawn,
# and whether the translation is cut (clamped).
STAGE_CARDS = """() => Array.from(document.querySelectorAll('#s-list li')).map(li => {
  const text = li.querySelector('.s-q-text'), alt = li.querySelector('.s-q-alt');
  const box = n => { const r = n.getBoundingClientRect(); return [r.top, r.bottom]; };
  return {text: text.textContent, alt: alt ? alt.textContent : null, lang: alt ? alt.lang : null,
          textBox: box(text), altBox: alt ? box(alt) : null, card: box(li),
          cut: alt ? alt.scrollHeight > alt.clientHeight + 1 : false};
})"""


def test_stage_shows_each_translation_under_its_question(
    screens_server, page_for, summit, screenshots_dir
):
    event, hall, session, moderator = summit
    pinned = factories.question(
        session, text=ASKED, author_name="Minh Anh", status="approved",
        translation=TRANSLATED, translation_language="en",
    )  # fmt: skip
    services.question_pin(question_id=pinned.pk, actor=moderator)
    queued = []
    for i, (text, english) in enumerate(zip(LONG_QUESTIONS[:3], LONG_EN[:3], strict=True)):
        q = factories.question(
            session, text=text, author_name=f"Khách {i + 1}", status="approved",
            translation=english if i != 1 else "", translation_language="en" if i != 1 else "",
        )  # fmt: skip
        services.question_queue(question_id=q.pk, actor=moderator)
        queued.append(q)
    server = screens_server()
    screenshots_dir.mkdir(parents=True, exist_ok=True)
    for name, (width, height) in {"1024x768": (1024, 768), "portrait": (800, 1280)}.items():
        stage = page_for(width, height, base_url=server.url)
        stage.goto(f"/stage/{hall.pk}/?key={hall.stage_key}")
        expect(stage.locator("#s-pinned-text")).to_have_text(ASKED)
        expect(stage.locator("#s-pinned-alt")).to_have_text(TRANSLATED)
        expect(stage.locator("#s-conn")).to_be_hidden()
        expect(stage.locator("#s-list li").first).to_be_visible()
        stage.screenshot(path=str(screenshots_dir / f"stage-translation-{name}.png"))

        text = stage.locator("#s-pinned-text").bounding_box()
        alt = stage.locator("#s-pinned-alt").bounding_box()
        assert alt["y"] >= text["y"] + text["height"] - 0.5  # under it
        assert stage.locator("#s-pinned-alt").get_attribute("lang") == "en"
        assert font_px(stage, "#s-pinned-alt") < font_px(stage, "#s-pinned-text")
        cards = stage.evaluate(STAGE_CARDS)
        assert [card["text"] for card in cards] == [q.text for q in queued[: len(cards)]]
        # Long questions with their translations: what does not fit whole is counted below.
        assert len(cards) >= 1, cards
        if len(cards) < len(queued):
            expect(stage.locator("#s-more")).to_have_text(f"+{len(queued) - len(cards)} câu nữa")
        else:
            expect(stage.locator("#s-more")).to_be_hidden()
        expected = [LONG_EN[0], None, LONG_EN[2]]
        assert [card["alt"] for card in cards] == expected[: len(cards)]
        for card in cards:
            if card["alt"] is not None:
                assert card["lang"] == "en"
                assert card["altBox"][0] >= card["textBox"][1] - 0.5  # under the question
                assert card["altBox"][1] <= card["card"][1] + 0.5  # inside its card
                assert not card["cut"]
        assert font_px(stage, "#s-list .s-q-alt") < font_px(stage, "#s-list .s-q-text")
        assert overlapping_boxes(stage, ["#s-pinned", ".s-clock", "#s-message", "#s-list li"]) == []
        assert stage.errors == []

    # A translation saved while the tablet is open reaches the card at once.
    services.question_translate(question_id=queued[1].pk, actor=moderator, translation=LONG_EN[1])
    expect(stage.locator(f'#s-list li[data-id="{queued[1].pk}"] .s-q-alt')).to_have_text(LONG_EN[1])
    services.question_translate(question_id=pinned.pk, actor=moderator, translation="")
    expect(stage.locator("#s-pinned-alt")).to_be_hidden()
    assert stage.errors == []


def overlapping_boxes(page, selectors: list[str]) -> list:
    """Pairs of the shown boxes of `selectors` drawn over one another."""
    boxes = page.evaluate(
        """sels => sels.flatMap(s => Array.from(document.querySelectorAll(s)).map((n, i) => {
          const r = n.getBoundingClientRect();
          return [s + '#' + i, [r.left, r.top, r.right, r.bottom]];
        }))""",
        selectors,
    )
    return [
        (a, b)
        for i, (a, ra) in enumerate(boxes)
        for b, rb in boxes[i + 1 :]
        if ra[0] < rb[2] - 0.5
        and rb[0] < ra[2] - 0.5
        and ra[1] < rb[3] - 0.5
        and rb[1] < ra[3] - 0.5
    ]

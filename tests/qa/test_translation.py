"""Both languages (issue 14): the language detected at submit, a moderator's translation
(service and PATCH), and the translation server's suggestion asked after commit - against a
real LibreTranslate-speaking server on a socket (tests/translate_server.py): answering, down,
refusing, slow, or answering garbage."""

from __future__ import annotations

import time

import pytest

from live.errors import DomainError
from live.realtime import streams
from qa import services, translation
from qa.models import ModerationAction, Question
from qa.representations import question_moderation, question_public
from tests import factories
from tests.api_clients import as_participant, as_user
from tests.qa.test_services import audit_rows, streams_of


@pytest.fixture
def hall_session(db):
    session = factories.session()
    return session, factories.moderator(session.event)


def q_url(question) -> str:
    return f"/api/v1/questions/{question.pk}/"


# ---- language at submit -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hà Nội có vé điện tử không?", "vi"),
        ("ha noi co ve dien tu khong", "vi"),
        ("When will Hanoi have e-tickets?", "en"),
        ("Wann kommt die neue U-Bahn?", "other"),
    ],
)
def test_question_submit_detects_language(text, language):
    session = factories.session()
    participant, _ = factories.participant(session.event)

    question, _ = services.question_submit(session=session, participant=participant, text=text)

    question.refresh_from_db()
    assert (question.language, question.translation, question.translation_suggestion) == (
        language,
        "",
        "",
    )


# ---- question_translate -----------------------------------------------------------------------


@pytest.mark.parametrize(("status", "language", "target"), [
    ("approved", "vi", "en"),
    ("pending", "en", "vi"),
    ("answered", "other", "vi"),
])  # fmt: skip
def test_question_translate_saves_audits_publishes(
    status, language, target, hall_session, django_capture_on_commit_callbacks, published
):
    session, moderator = hall_session
    question = factories.question(session, status=status, language=language)

    with django_capture_on_commit_callbacks(execute=True):
        services.question_translate(
            question_id=question.pk, actor=moderator, translation=" Bản dịch\u200b? ", version=1
        )

    question.refresh_from_db()
    assert (question.translation, question.translation_language, question.version) == (
        "Bản dịch?",
        target,
        2,
    )
    detail = {"old_translation": "", "new_translation": "Bản dịch?", "language": target}
    assert audit_rows(question) == [(moderator.pk, "translate", status, status, detail)]
    record = ModerationAction.objects.get(question=question)
    moderation, public, display = streams_of(session)
    assert published(moderation) == [("question.updated", question_moderation(question, record))]
    shown = [("question.updated", question_public(question))] if status != "pending" else []
    assert published(public) == shown
    assert published(display) == shown


def test_question_translate_empty_removes_the_translation(hall_session):
    session, moderator = hall_session
    question = factories.question(session, status="approved")
    services.question_translate(question_id=question.pk, actor=moderator, translation="Why?")

    services.question_translate(question_id=question.pk, actor=moderator, translation="  ")

    question.refresh_from_db()
    assert (question.translation, question.translation_language, question.version) == ("", "", 3)


def test_question_translate_same_text_changes_nothing(hall_session):
    session, moderator = hall_session
    question = factories.question(session, status="approved")
    services.question_translate(question_id=question.pk, actor=moderator, translation="Why?")

    services.question_translate(question_id=question.pk, actor=moderator, translation="Why?")

    question.refresh_from_db()
    assert question.version == 2
    assert ModerationAction.objects.filter(question=question).count() == 1


@pytest.mark.parametrize(
    ("status", "kw", "code", "http"),
    [
        ("archived", {}, "question.cannot_translate", 409),
        ("approved", {"version": 7}, "question.version_conflict", 409),
        ("approved", {"translation": "x" * 1001}, "question.translation_too_long", 400),
    ],
)
def test_question_translate_refused_changes_nothing(
    status, kw, code, http, hall_session, published
):
    session, moderator = hall_session
    question = factories.question(session, status=status)
    kw = {"translation": "When?", **kw}

    with pytest.raises(DomainError) as error:
        services.question_translate(question_id=question.pk, actor=moderator, **kw)

    assert (error.value.code, error.value.status) == (code, http)
    question.refresh_from_db()
    assert (question.translation, question.version) == ("", 1)
    assert ModerationAction.objects.filter(question=question).count() == 0
    assert published(streams.moderation_stream(session.pk)) == []


# ---- PATCH /api/v1/questions/<id>/ {translation, version} --------------------------------------


def test_patch_translation_by_moderator(hall_session):
    session, moderator = hall_session
    question = factories.question(session, status="approved", language="vi")

    response = as_user(moderator).patch(
        q_url(question),
        {"translation": "When is the e-ticket coming?", "version": 1},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["translation"], body["translation_language"], body["version"]) == (
        "When is the e-ticket coming?",
        "en",
        2,
    )
    assert body["last_action"]["action"] == "translate"
    assert body["text"] == question.text  # the text itself is untouched


def test_patch_translation_stale_version_is_409_with_current_question(hall_session):
    session, moderator = hall_session
    question = factories.question(session, status="approved")
    services.question_translate(question_id=question.pk, actor=moderator, translation="First")

    response = as_user(moderator).patch(
        q_url(question), {"translation": "Second", "version": 1}, format="json"
    )

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["question"]["translation"], body["question"]["version"]) == (
        "question.version_conflict",
        "First",
        2,
    )


@pytest.mark.parametrize(
    "payload",
    [{"version": 1}, {"text": "Câu mới?", "translation": "New?", "version": 1}],
)
def test_patch_needs_text_or_translation_not_both(payload, hall_session):
    session, moderator = hall_session
    question = factories.question(session, status="approved")

    response = as_user(moderator).patch(q_url(question), payload, format="json")

    assert response.status_code == 400
    question.refresh_from_db()
    assert (question.text, question.translation, question.version) == (question.text, "", 1)


def test_patch_translation_by_participant_is_403(hall_session):
    session, _ = hall_session
    question = factories.question(session, status="approved")
    client, _ = as_participant(session.event)

    response = client.patch(q_url(question), {"translation": "Hi"}, format="json")

    assert response.status_code == 403
    question.refresh_from_db()
    assert question.translation == ""


# ---- the translation server's suggestion ---------------------------------------------------------


def ask(session, text: str) -> tuple[Question, float]:
    """Submit through the API as a phone; (the question, seconds the request took)."""
    client, _ = as_participant(session.event)
    started = time.monotonic()
    response = client.post(
        f"/api/v1/sessions/{session.pk}/questions/", {"text": text}, format="json"
    )
    took = time.monotonic() - started
    assert response.status_code == 201, response.content
    return Question.objects.get(pk=response.json()["id"]), took


def row(question: Question) -> dict:
    values = Question.objects.filter(pk=question.pk).values().get()
    values.pop("translation_suggestion")
    return values


@pytest.mark.django_db(transaction=True)
def test_suggestion_kept_for_moderators_only(translate_server, published, settings):
    settings.TRANSLATE_API_KEY = "lan-key"
    session = factories.session(moderation="post")
    translate_server.answers["Hà Nội có vé điện tử không?"] = "Does Hanoi have e-tickets?"

    question, _ = ask(session, "Hà Nội có vé điện tử không?")
    before = row(question)
    assert translation.wait_idle(timeout=10)

    question.refresh_from_db()
    assert question.translation_suggestion == "Does Hanoi have e-tickets?"
    assert row(question) == before  # no version bump, nothing else touched
    assert translate_server.requests == [
        {
            "path": "/translate",
            "q": "Hà Nội có vé điện tử không?",
            "source": "vi",
            "target": "en",
            "format": "text",
            "api_key": "lan-key",
        }
    ]
    moderation, public, display = streams_of(session)
    frames = published(moderation)
    assert [kind for kind, _ in frames] == ["question.created", "question.updated"]
    assert frames[1][1]["translation_suggestion"] == "Does Hanoi have e-tickets?"
    assert frames[1][1]["version"] == 1
    for stream in (public, display):
        assert published(stream) == [("question.updated", question_public(question))]
        assert "Does Hanoi" not in str(published(stream))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "mode",
    ["error:400", "error:403", "error:429", "error:500", "slow", "garbage", "no-key", "down"],
)
def test_suggestion_failure_leaves_it_empty_and_changes_nothing_else(
    mode, translate_server, published, caplog
):
    session = factories.session(moderation="pre")
    translate_server.mode = mode
    translate_server.delay = 3.0  # the client's timeout is 1 s
    if mode == "down":
        translate_server.stop()

    question, took = ask(session, "When will Hanoi have e-tickets?")
    before = row(question)
    assert translation.wait_idle(timeout=10)

    assert took < 0.5  # the submit never waits for the server
    question.refresh_from_db()
    assert question.translation_suggestion == ""
    assert row(question) == before
    moderation, public, _ = streams_of(session)
    assert [kind for kind, _ in published(moderation)] == ["question.created"]
    assert published(public) == []
    assert f"no translation suggestion for question {question.pk}" in caplog.text
    if mode != "down":
        assert [r["target"] for r in translate_server.requests] == ["vi"]


@pytest.mark.django_db(transaction=True)
def test_suggestion_for_reworded_question_is_dropped(translate_server, hall_session):
    session, moderator = hall_session
    translate_server.mode = "slow"
    translate_server.delay = 0.5

    question, _ = ask(session, "ha noi co ve dien tu khong")
    services.question_edit(question_id=question.pk, actor=moderator, text="Hà Nội có vé không?")
    assert translation.wait_idle(timeout=10)

    # The answer for the old words is dropped; the edit asked again for the new ones.
    question.refresh_from_db()
    assert (question.translation_suggestion, question.version) == (
        "[en] Hà Nội có vé không?",
        2,
    )
    assert sorted(r["q"] for r in translate_server.requests) == [
        "Hà Nội có vé không?",
        "ha noi co ve dien tu khong",
    ]


# ---- an edit of the text after a translation ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_question_edit_text_marks_translation_stale_and_asks_again(
    translate_server, hall_session, published
):
    session, moderator = hall_session
    question = factories.question(
        session,
        status="approved",
        text="Hà Nội có vé điện tử không?",
        translation="Does Hanoi have e-tickets?",
        translation_language="en",
        translation_suggestion="Has Hanoi electronic tickets?",
    )
    translate_server.answers["Khi nào Hà Nội có vé điện tử?"] = "When will Hanoi have e-tickets?"

    services.question_edit(
        question_id=question.pk, actor=moderator, text="Khi nào Hà Nội có vé điện tử?"
    )

    question.refresh_from_db()
    # At once, in the edit: the old suggestion gone, the translation kept but marked.
    assert (
        question.translation,
        question.translation_language,
        question.translation_stale,
        question.version,
    ) == ("Does Hanoi have e-tickets?", "en", True, 2)
    moderation, public, display = streams_of(session)
    edited = published(moderation)[0][1]
    assert (edited["translation_suggestion"], edited["translation_stale"]) == ("", True)
    # The screens keep showing the translation; the mark is for moderators.
    assert published(public)[0][1]["translation"] == "Does Hanoi have e-tickets?"
    assert "translation_stale" not in published(public)[0][1]
    assert "translation_stale" not in published(display)[0][1]
    # After commit, the server is asked for the new words.
    assert translation.wait_idle(timeout=10)
    question.refresh_from_db()
    assert (question.translation_suggestion, question.translation_stale, question.version) == (
        "When will Hanoi have e-tickets?",
        True,
        2,
    )
    assert [(r["q"], r["source"], r["target"]) for r in translate_server.requests] == [
        ("Khi nào Hà Nội có vé điện tử?", "vi", "en")
    ]
    assert [kind for kind, _ in published(moderation)] == ["question.updated", "question.updated"]


def test_question_edit_text_without_translation_is_not_stale(hall_session, settings):
    settings.TRANSLATE_URL = ""
    session, moderator = hall_session
    question = factories.question(session, status="approved", translation_suggestion="Why?")

    services.question_edit(question_id=question.pk, actor=moderator, text="Vì sao vậy?")

    question.refresh_from_db()
    assert (question.translation_suggestion, question.translation_stale) == ("", False)


def test_question_edit_same_text_keeps_translation_fresh(hall_session):
    session, moderator = hall_session
    question = factories.question(
        session, status="approved", translation="Why?", translation_suggestion="Why so?"
    )

    services.question_edit(question_id=question.pk, actor=moderator, text=question.text)

    question.refresh_from_db()
    assert (question.translation_suggestion, question.translation_stale, question.version) == (
        "Why so?",
        False,
        1,
    )


@pytest.mark.parametrize("words", ["When will it open?", "Does Hanoi have e-tickets?"])
def test_question_translate_after_edit_clears_stale(words, hall_session, settings):
    settings.TRANSLATE_URL = ""
    session, moderator = hall_session
    question = factories.question(
        session, status="approved", translation="Does Hanoi have e-tickets?",
        translation_language="en",
    )  # fmt: skip
    services.question_edit(question_id=question.pk, actor=moderator, text="Khi nào mở?")

    # New words, or the same ones confirmed against the new text: both clear the mark.
    services.question_translate(
        question_id=question.pk, actor=moderator, translation=words, version=2
    )

    question.refresh_from_db()
    assert (question.translation, question.translation_stale, question.version) == (
        words,
        False,
        3,
    )
    assert [row[1] for row in audit_rows(question)] == ["edit", "translate"]
    assert audit_rows(question)[1][4] == {
        "old_translation": "Does Hanoi have e-tickets?",
        "new_translation": words,
        "language": "en",
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("url", "text"), [("", "Hà Nội?"), (None, "Wann kommt die U-Bahn?")])
def test_no_suggestion_asked_without_server_or_for_other_languages(
    url, text, translate_server, settings
):
    if url is not None:
        settings.TRANSLATE_URL = url
    session = factories.session()

    question, _ = ask(session, text)
    assert translation.wait_idle(timeout=10)

    assert translate_server.requests == []
    question.refresh_from_db()
    assert question.translation_suggestion == ""


def test_translate_client_answers_and_errors(translate_server):
    translate_server.answers["Xin chào"] = "  Hello\u200b "
    assert translation.translate("Xin chào", source="vi", target="en") == "Hello"
    translate_server.mode = "error:429"
    with pytest.raises(translation.TranslationError) as error:
        translation.translate("Xin chào", source="vi", target="en")
    assert str(error.value) == "HTTP 429: Too many request limits violations"


@pytest.mark.django_db(transaction=True)
def test_suggestions_beyond_the_pool_bound_are_skipped_not_queued(
    translate_server, caplog, monkeypatch
):
    """A storm against a slow server: at most MAX_PENDING jobs wait; the rest are skipped."""
    monkeypatch.setattr(translation, "MAX_PENDING", 2)
    translate_server.mode = "slow"
    translate_server.delay = 3.0  # each job holds its place for the 1 s timeout
    session = factories.session()

    for i in range(4):
        ask(session, f"Câu hỏi số {i} về vé điện tử?")
    assert translation.wait_idle(timeout=10)

    assert len(translate_server.requests) == 2
    assert caplog.text.count("translation pool full (2 jobs)") == 2

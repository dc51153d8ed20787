"""The question admin is a door too: a question's text edited there goes through
`question_edit` (its rules, its audit row naming the admin user, its broadcast), so the hall
display shows the new words within a second; text the service refuses is a form error."""

import pytest
from django.urls import reverse

from live.realtime.db import database_sync_to_async
from qa.models import BlockedTerm, ModerationAction, Question
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_keys")]


@pytest.fixture
def admin_client(client):
    client.force_login(factories.superuser(username="root"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@database_sync_to_async
def question_on_screen(status="approved", text="Khi nào có vé điện tử?"):
    session = factories.session(status="qa")
    return factories.question(session, status=status, text=text, author_name="Minh Anh")


def change_data(question: Question, **overrides) -> dict:
    """The change form as the browser posts it (read-only fields, if posted, are ignored)."""
    data = {
        "session": question.session_id,
        "participant": question.participant_id,
        "text": question.text,
        "author_name": question.author_name,
        "merged_into": "",
        "answered_at_0": "",
        "answered_at_1": "",
    }
    if question.anonymous:
        data["anonymous"] = "on"
    data.update(overrides)
    return data


@database_sync_to_async
def post(client, question: Question, data: dict):
    return client.post(reverse("admin:qa_question_change", args=[question.pk]), data)


@database_sync_to_async
def state_of(question: Question):
    question = Question.objects.get(pk=question.pk)
    rows = list(
        ModerationAction.objects.filter(question=question)
        .order_by("pk")
        .values_list("actor__username", "action", "detail")
    )
    return (question.text, question.original_text, question.version), rows


async def test_admin_question_text_change_reaches_display_and_is_audited(
    admin_client, stream_client
):
    question = await question_on_screen()
    display = await stream_client(f"/ws/halls/{question.session.hall_id}/display/")

    response = await post(admin_client, question, change_data(question, text="Khi nào có vé?"))

    assert response.status_code == 302
    frame = await display.receive_type("question.updated", timeout=1.0)
    assert (frame["data"]["id"], frame["data"]["text"], frame["data"]["version"]) == (
        question.pk,
        "Khi nào có vé?",
        2,
    )
    assert await state_of(question) == (
        ("Khi nào có vé?", "Khi nào có vé điện tử?", 2),
        [
            (
                "root",
                "edit",
                {"old_text": "Khi nào có vé điện tử?", "new_text": "Khi nào có vé?"},
            )
        ],
    )


async def test_admin_question_text_change_reaches_moderators(admin_client, stream_client):
    from rest_framework.authtoken.models import Token

    from tests.realtime import token_header

    question = await question_on_screen(status="pending")

    @database_sync_to_async
    def moderator_token():
        return Token.objects.create(user=factories.moderator(question.session.event)).key

    console = await stream_client(
        f"/ws/sessions/{question.session_id}/moderation/", token_header(await moderator_token())
    )

    response = await post(admin_client, question, change_data(question, text="Vé điện tử?"))

    assert response.status_code == 302
    frame = await console.receive_type("question.updated", timeout=1.0)
    assert (frame["data"]["text"], frame["data"]["original_text"]) == (
        "Vé điện tử?",
        "Khi nào có vé điện tử?",
    )


async def test_admin_question_empty_text_shows_form_error_changes_nothing(
    admin_client, stream_client
):
    question = await question_on_screen()
    display = await stream_client(f"/ws/halls/{question.session.hall_id}/display/")

    response = await post(admin_client, question, change_data(question, text="   "))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"text": ["This field is required."]}
    assert await state_of(question) == (("Khi nào có vé điện tử?", "", 1), [])
    assert await display.nothing_more(0.5)


async def test_admin_question_text_of_archived_question_refused_changes_nothing(admin_client):
    question = await question_on_screen(status="archived")

    response = await post(admin_client, question, change_data(question, text="Câu hỏi khác"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "text": ["A question that is “Archived” cannot be edited."]
    }
    assert await state_of(question) == (("Khi nào có vé điện tử?", "", 1), [])


async def test_admin_question_other_fields_are_read_only(admin_client):
    question = await question_on_screen()

    response = await post(
        admin_client,
        question,
        change_data(question, author_name="Người khác", anonymous="on", text=question.text),
    )

    assert response.status_code == 302
    fresh = await database_sync_to_async(Question.objects.get)(pk=question.pk)
    assert (fresh.author_name, fresh.anonymous, fresh.version) == ("Minh Anh", False, 1)


def test_admin_question_added_gets_its_language(admin_client):
    """Issue 14: a question added in the admin is given its language, as at submit."""
    session = factories.session(status="qa")
    response = admin_client.post(
        reverse("admin:qa_question_add"),
        {
            "session": session.pk,
            "participant": "",
            "text": "ha noi co ve dien tu khong",
            "author_name": "",
            "merged_into": "",
            "answered_at_0": "",
            "answered_at_1": "",
        },
    )

    assert response.status_code == 302, response.content[:500]
    assert Question.objects.get(session=session).language == "vi"


# ---- the event's screened words (issue 14) ------------------------------------------------------


def test_admin_adds_a_screened_word_and_refuses_one_without_letters(admin_client):
    event = factories.event()
    url = reverse("admin:qa_blockedterm_add")

    added = admin_client.post(url, {"event": event.pk, "term": "  vé   chợ đen "})
    refused = admin_client.post(url, {"event": event.pk, "term": "=..."})

    assert added.status_code == 302
    assert list(BlockedTerm.objects.values_list("event_id", "term")) == [(event.pk, "vé chợ đen")]
    assert refused.status_code == 200
    assert "Write a word or a phrase (letters or digits)." in refused.content.decode()

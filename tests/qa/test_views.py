"""The Q&A pages (qa/views.py): the phone page and the moderator console render, guard, and
hand their scripts the labels, limits and question transitions of qa.enums and qa.models."""

import json
import re

import pytest
from django.utils import timezone, translation

from live.enums import SESSION_TRANSITIONS
from qa.enums import ACTION_BUTTONS, FLAG_ACTIONS, TRANSITIONS, QuestionStatus
from qa.models import AUTHOR_NAME_MAX_LENGTH, QUESTION_MAX_LENGTH
from tests import factories

pytestmark = pytest.mark.django_db

PAGE_CONFIG = re.compile(r'<script id="page-config" type="application/json">(.*?)</script>', re.S)


@pytest.fixture
def sessions():
    """An event with a live session and a later one in the same hall."""
    event = factories.event(slug="smart-city", join_code="HN2023")
    hall = factories.hall(event)
    live = factories.session(hall, title_vi="Giao thông thông minh", title_en="Smart mobility")
    later = factories.session(hall, title_vi="Năng lượng xanh", status="scheduled")
    return event, live, later


def page_config(response) -> dict:
    """The json_script block the page's script reads, as the browser gets it."""
    return json.loads(PAGE_CONFIG.search(response.content.decode()).group(1))


def as_moderator(client, event):
    client.force_login(factories.moderator(event))
    return client


def labels_in(language: str) -> tuple[dict[str, str], dict[str, str]]:
    with translation.override(language):
        statuses = {status.value: str(status.label) for status in QuestionStatus}
        actions = {str(action): str(label) for action, label in ACTION_BUTTONS.items()}
    return statuses, actions


# ---- phone page ---------------------------------------------------------------------------


def test_phone_page_lists_live_sessions_first(client, sessions):
    event, live, later = sessions
    response = client.get(f"/e/{event.slug}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Giao thông thông minh") < html.index("Năng lượng xanh")
    assert f"?session={live.pk}" in html
    assert f"?session={later.pk}" in html
    local = timezone.localtime(live.starts_at, event.tz)
    assert f"{local:%d/%m} · <time datetime=" in html
    assert f">{local:%H:%M}</time>" in html


def test_phone_page_with_session_renders_question_form_with_model_limits(client, sessions):
    event, live, later = sessions
    response = client.get(f"/e/{event.slug}/?session={live.pk}")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="ask-form"' in html
    assert f'id="q-text" name="text" rows="4" maxlength="{QUESTION_MAX_LENGTH}"' in html
    assert f'name="author_name" type="text" maxlength="{AUTHOR_NAME_MAX_LENGTH}"' in html
    assert page_config(response)["max_length"] == QUESTION_MAX_LENGTH == 500
    assert "Giao thông thông minh" in html


def test_phone_page_in_english_shows_english_titles(client, sessions):
    event, live, later = sessions
    client.get(f"/lang/en/?next=/e/{event.slug}/")
    response = client.get(f"/e/{event.slug}/?session={live.pk}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Smart mobility" in html
    assert "Ask a question" in html


def test_phone_page_default_language_is_vietnamese(client, sessions):
    event, live, later = sessions
    response = client.get(f"/e/{event.slug}/?session={live.pk}")
    html = response.content.decode()
    assert '<html lang="vi"' in html
    assert "Đặt câu hỏi" in html


def test_phone_page_unknown_session_is_404(client, sessions):
    event, live, later = sessions
    other = factories.session()
    assert client.get(f"/e/{event.slug}/?session={other.pk}").status_code == 404
    assert client.get("/e/no-such-event/").status_code == 404


@pytest.mark.parametrize("language", ["vi", "en"])
def test_phone_page_config_carries_the_question_status_labels(client, sessions, language):
    event, live, later = sessions
    client.cookies["django_language"] = language
    strings = page_config(client.get(f"/e/{event.slug}/?session={live.pk}"))["strings"]
    statuses, actions = labels_in(language)
    assert strings["question_statuses"] == statuses
    assert {"pending", "approved", "rejected", "answered", "archived"}.isdisjoint(strings)


# ---- moderator console ----------------------------------------------------------------------


def test_moderator_pages_anonymous_redirect_to_login(client, sessions):
    live = sessions[1]
    for url in ("/moderate/", f"/moderate/sessions/{live.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next={url}"


def test_moderator_console_non_moderator_is_forbidden(client, sessions):
    live = sessions[1]
    client.force_login(factories.moderator(factories.event()))
    assert client.get(f"/moderate/sessions/{live.pk}/").status_code == 403


def test_moderator_sessions_lists_only_moderated_events(client, sessions):
    event, live, later = sessions
    other = factories.session(title_vi="Phiên của sự kiện khác")
    as_moderator(client, event)
    response = client.get("/moderate/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Giao thông thông minh" in html
    assert "Phiên của sự kiện khác" not in html
    assert other.event.name_vi not in html


def test_moderator_sessions_switch_redirects(client, sessions):
    event, live, later = sessions
    as_moderator(client, event)
    response = client.get(f"/moderate/?session={later.pk}")
    assert response.status_code == 302
    assert response["Location"] == f"/moderate/sessions/{later.pk}/"


def test_moderator_console_renders_for_moderator(client, sessions):
    event, live, later = sessions
    as_moderator(client, event)
    response = client.get(f"/moderate/sessions/{live.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="col-incoming"' in html
    assert f'<textarea id="edit-text" rows="5" maxlength="{QUESTION_MAX_LENGTH}"' in html
    assert "csrftoken" in response.cookies


def test_moderator_console_config_carries_the_server_transition_tables(client, sessions):
    event, live, later = sessions
    as_moderator(client, event)
    config = page_config(client.get(f"/moderate/sessions/{live.pk}/"))
    moves = {action: dict(table) for action, table in TRANSITIONS.items()}
    keeps = {action: {s: s for s in statuses} for action, statuses in FLAG_ACTIONS.items()}
    assert config["question_transitions"] == moves | keeps
    assert config["transitions"] == {k: sorted(v) for k, v in SESSION_TRANSITIONS.items()}
    assert config["max_length"] == QUESTION_MAX_LENGTH


@pytest.mark.parametrize("language", ["vi", "en"])
def test_moderator_console_config_carries_the_enum_labels(client, sessions, language):
    event, live, later = sessions
    as_moderator(client, event)
    client.cookies["django_language"] = language
    strings = page_config(client.get(f"/moderate/sessions/{live.pk}/"))["strings"]
    statuses, actions = labels_in(language)
    assert strings["question_statuses"] == statuses
    assert strings["actions"] == actions
    assert not any(key.startswith("q_") or key in actions for key in strings)


def test_question_labels_are_the_enum_labels_on_both_pages_and_translated(client, sessions):
    """One word per status on every screen (the console once said "Rejected" where the phone
    said "Not approved"), and each in Vietnamese."""
    event, live, later = sessions
    as_moderator(client, event)
    phone = page_config(client.get(f"/e/{event.slug}/?session={live.pk}"))["strings"]
    console = page_config(client.get(f"/moderate/sessions/{live.pk}/"))["strings"]
    vi_statuses, vi_actions = labels_in("vi")
    en_statuses, en_actions = labels_in("en")

    assert phone["question_statuses"] == console["question_statuses"] == vi_statuses
    assert (en_statuses["rejected"], vi_statuses["rejected"]) == (
        "Not approved",
        "Không được duyệt",
    )
    assert all(vi_statuses[k] != en_statuses[k] for k in en_statuses)
    assert all(vi_actions[k] != en_actions[k] for k in en_actions)

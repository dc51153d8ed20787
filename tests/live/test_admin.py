"""The Django admin: every page of every registered model opens, search works, and bad input
(a session ending before it starts, a hall of another event, a duplicate slug) is refused with
a message and creates nothing."""

import datetime as dt
import zoneinfo

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.authtoken.models import Token

from live.models import Event, Session
from qa.models import ModerationAction, Vote
from tests import factories

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def admin_client(client):
    client.force_login(factories.superuser(username="root"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def one_of_each():
    """One row of every model the admin shows."""
    event = factories.event(slug="summit", name_vi="Hội nghị Thành phố thông minh")
    hall = factories.hall(event, name_vi="Hội trường A", name_en="Hall A", slug="hall-a")
    session = factories.session(
        hall, title_vi="Giao thông thông minh", title_en="Smart mobility", status="qa"
    )
    session.speakers.add(factories.speaker(event, name="Phạm Thu Trang"))
    moderator = factories.moderator(event, username="thuha")
    question = factories.question(session, status="approved", text="Khi nào có vé điện tử?")
    voter, _ = factories.participant(event, display_name="Minh Anh")
    Vote.objects.create(question=question, participant=voter)
    ModerationAction.objects.create(
        session=session,
        question=question,
        actor=moderator,
        action="approve",
        from_state="pending",
        to_state="approved",
    )
    Token.objects.create(user=moderator)
    Group.objects.create(name="Ban tổ chức")
    return {"event": event, "hall": hall, "session": session}


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_admin_registers_every_domain_model():
    labels = {model._meta.label for model in REGISTERED}

    assert {
        "live.Event",
        "live.Hall",
        "live.Speaker",
        "live.Session",
        "live.EventMembership",
        "qa.Participant",
        "qa.Question",
        "qa.Vote",
        "qa.ModerationAction",
    } <= labels


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_admin_changelist_loads_for_superuser(admin_client, one_of_each, model):
    response = admin_client.get(url(model, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == model._default_manager.count()
    assert response.context["cl"].result_count >= 1


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_admin_change_page_loads_for_superuser(admin_client, one_of_each, model):
    obj = model._default_manager.order_by("pk").first()

    response = admin_client.get(url(model, "change", obj.pk))

    assert response.status_code == 200
    assert response.context["original"] == obj


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_admin_add_page_loads_for_superuser(admin_client, model):
    response = admin_client.get(url(model, "add"))

    assert response.status_code == 200


@pytest.mark.django_db
def test_admin_event_page_shows_halls_and_sessions_inline(admin_client, one_of_each):
    response = admin_client.get(url(Event, "change", one_of_each["event"].pk))

    inlines = {
        formset.formset.model._meta.label: formset
        for formset in response.context["inline_admin_formsets"]
    }
    assert set(inlines) == {"live.Hall", "live.Session", "live.EventMembership"}
    assert [f.instance for f in inlines["live.Hall"].formset.forms] == [one_of_each["hall"]]
    assert [f.instance for f in inlines["live.Session"].formset.forms] == [one_of_each["session"]]
    content = response.content.decode()
    assert 'value="Hội trường A"' in content
    assert "Giao thông thông minh" in content


@pytest.mark.django_db
def test_admin_session_inline_offers_only_the_events_halls(admin_client, one_of_each):
    factories.hall(name_vi="Hội trường của sự kiện khác")

    response = admin_client.get(url(Event, "change", one_of_each["event"].pk))

    sessions = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.model is Session
    )
    halls = list(sessions.formset.forms[0].fields["hall"].queryset)
    assert halls == [one_of_each["hall"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "query", "expected"),
    [
        (Event, "thông minh", 1),
        (Event, "summit", 1),
        (Event, "nothing-like-this", 0),
        (Session, "Smart mobility", 1),
        (Session, "Phạm Thu Trang", 1),
        (Session, "Cybersecurity", 0),
    ],
)
def test_admin_search_finds_matching_rows(admin_client, one_of_each, model, query, expected):
    response = admin_client.get(url(model, "changelist"), {"q": query})

    assert response.status_code == 200
    assert response.context["cl"].result_count == expected


@pytest.mark.django_db
def test_admin_question_search_finds_text(admin_client, one_of_each):
    from qa.models import Question

    response = admin_client.get(url(Question, "changelist"), {"q": "vé điện tử"})

    assert [q.text for q in response.context["cl"].result_list] == ["Khi nào có vé điện tử?"]


def session_form(hall, **overrides) -> dict:
    data = {
        "event": hall.event_id,
        "hall": hall.pk,
        "title_vi": "Chính phủ số",
        "title_en": "Digital government",
        "description_vi": "",
        "description_en": "",
        "starts_at_0": "2023-11-29",
        "starts_at_1": "13:30:00",
        "ends_at_0": "2023-11-29",
        "ends_at_1": "15:00:00",
        "status": "scheduled",
        "qa_open": "on",
        "moderation": "pre",
        "livestream_url": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_admin_add_session_valid_created_in_hanoi_time(admin_client):
    hall = factories.hall()

    response = admin_client.post(url(Session, "add"), session_form(hall))

    assert response.status_code == 302
    session = Session.objects.get()
    assert session.starts_at == dt.datetime(2023, 11, 29, 13, 30, tzinfo=HANOI)
    assert session.ends_at == dt.datetime(2023, 11, 29, 15, 0, tzinfo=HANOI)


@pytest.mark.django_db
def test_admin_add_session_ending_before_start_shows_error_creates_nothing(admin_client):
    hall = factories.hall()

    response = admin_client.post(url(Session, "add"), session_form(hall, ends_at_1="12:00:00"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "ends_at": ["A session must end after it starts."]
    }
    assert "A session must end after it starts." in response.content.decode()
    assert Session.objects.count() == 0


@pytest.mark.django_db
def test_admin_add_session_hall_of_another_event_shows_error_creates_nothing(admin_client):
    hall = factories.hall()
    other_event = factories.event()

    response = admin_client.post(url(Session, "add"), session_form(hall, event=other_event.pk))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "hall": ["This hall belongs to another event."]
    }
    assert Session.objects.count() == 0


def event_form(**overrides) -> dict:
    data = {
        "slug": "summit",
        "name_vi": "Hội nghị mới",
        "name_en": "New summit",
        "venue": "",
        "starts_on": "2023-11-29",
        "ends_on": "2023-11-30",
        "timezone": "Asia/Ho_Chi_Minh",
        "join_code": "NEWSC2",
    }
    for prefix in ("halls", "sessions", "memberships"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_admin_add_event_valid_created(admin_client):
    response = admin_client.post(url(Event, "add"), event_form())

    assert response.status_code == 302
    assert list(Event.objects.values_list("slug", "join_code")) == [("summit", "NEWSC2")]


@pytest.mark.django_db
def test_admin_add_event_duplicate_slug_shows_error_creates_nothing(admin_client):
    factories.event(slug="summit")

    response = admin_client.post(url(Event, "add"), event_form())

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "slug": ["Event with this Slug already exists."]
    }
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_admin_add_event_last_day_before_first_shows_error(admin_client):
    response = admin_client.post(url(Event, "add"), event_form(ends_on="2023-11-28"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "ends_on": ["The last day cannot come before the first day."]
    }
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_admin_event_inline_session_ending_before_start_refused(admin_client, one_of_each):
    event = one_of_each["event"]
    data = event_form(slug=event.slug, name_vi=event.name_vi, join_code=event.join_code)
    data.update(
        {
            "sessions-TOTAL_FORMS": "1",
            "sessions-0-title_vi": "Phiên lỗi",
            "sessions-0-hall": one_of_each["hall"].pk,
            "sessions-0-starts_at_0": "2023-11-30",
            "sessions-0-starts_at_1": "10:00:00",
            "sessions-0-ends_at_0": "2023-11-30",
            "sessions-0-ends_at_1": "09:00:00",
            "sessions-0-status": "scheduled",
            "sessions-0-moderation": "pre",
        }
    )
    # The existing hall, session and membership rows are not part of this post.
    data.update({"halls-INITIAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})

    response = admin_client.post(url(Event, "change", event.pk), data)

    assert response.status_code == 200
    assert "A session must end after it starts." in response.content.decode()
    assert Session.objects.count() == 1

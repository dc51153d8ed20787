"""The Django admin: every page of every registered model opens, search works, bad input
(a session ending before it starts, a hall of another event, a duplicate slug) is refused with
a message and creates nothing, and what the admin edits that screens show goes through the
services: audited, and on the screens within a second."""

import datetime as dt
import zoneinfo

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from live.models import Event, HallAction, Session
from live.realtime.db import database_sync_to_async
from qa.models import BlockedTerm, ModerationAction, Vote
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
    BlockedTerm.objects.create(event=event, term="vé chợ đen")
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
        "qa.BlockedTerm",
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


# ---- the admin is a door too: its edits go through the services and reach the screens ----------
#
# A hall display (and, for speakers, a phone) is connected to the real stream; the admin form is
# posted as a superuser; the screen gets the new state within a second and the audit row names
# the admin user. An illegal status move is a form error and changes nothing.


def on_the_minute(minutes_ago: int) -> dt.datetime:
    """Admin forms post times to the second: a time with microseconds would count as changed."""
    now = timezone.now().replace(second=0, microsecond=0)
    return now - dt.timedelta(minutes=minutes_ago)


@database_sync_to_async
def live_hall(**session_kw):
    """An event with one hall whose display shows a session running now."""
    event = factories.event(slug="summit", name_vi="Hội nghị cũ", name_en="Old summit")
    hall = factories.hall(event, name_vi="Hội trường A", name_en="Hall A", slug="hall-a")
    starts_at = on_the_minute(10)
    kw = dict(
        title_vi="Giao thông thông minh",
        title_en="Smart mobility",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        status="live",
    )
    kw.update(session_kw)
    session = factories.session(hall, **kw)
    return event, hall, session


def local(value: dt.datetime) -> tuple[str, str]:
    value = timezone.localtime(value, HANOI)
    return value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")


def session_change_data(session: Session, **overrides) -> dict:
    """The SessionAdmin change form as the browser posts it, unchanged unless overridden."""
    starts, ends = local(session.starts_at), local(session.ends_at)
    data = {
        "event": session.event_id,
        "hall": session.hall_id,
        "title_vi": session.title_vi,
        "title_en": session.title_en,
        "description_vi": session.description_vi,
        "description_en": session.description_en,
        "speakers": [s.pk for s in session.speakers.all()],
        "starts_at_0": starts[0],
        "starts_at_1": starts[1],
        "ends_at_0": ends[0],
        "ends_at_1": ends[1],
        "status": session.status,
        "moderation": session.moderation,
        "livestream_url": session.livestream_url,
    }
    if session.qa_open:
        data["qa_open"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def event_change_data(event: Event, *, event_fields=None, halls=None, sessions=None) -> dict:
    """The Event change form with its three inlines, every existing row posted as it is;
    `halls` / `sessions` map a row's pk to the fields that change."""
    data = {
        "slug": event.slug,
        "name_vi": event.name_vi,
        "name_en": event.name_en,
        "venue": event.venue,
        "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(),
        "timezone": event.timezone,
        "join_code": event.join_code,
    }
    data.update(event_fields or {})
    hall_rows = list(event.halls.order_by("display_order", "id"))
    session_rows = list(Session.objects.filter(event=event).order_by("pk"))
    membership_rows = list(event.memberships.order_by("pk"))
    for prefix, rows in (
        ("halls", hall_rows),
        ("sessions", session_rows),
        ("memberships", membership_rows),
    ):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(len(rows))
    for i, hall in enumerate(hall_rows):
        row = {
            "id": hall.pk,
            "event": event.pk,
            "name_vi": hall.name_vi,
            "name_en": hall.name_en,
            "slug": hall.slug,
            "display_order": hall.display_order,
        }
        row.update((halls or {}).get(hall.pk, {}))
        data.update({f"halls-{i}-{k}": v for k, v in row.items()})
    for i, session in enumerate(session_rows):
        starts, ends = local(session.starts_at), local(session.ends_at)
        row = {
            "id": session.pk,
            "event": event.pk,
            "title_vi": session.title_vi,
            "title_en": session.title_en,
            "hall": session.hall_id,
            "starts_at_0": starts[0],
            "starts_at_1": starts[1],
            "ends_at_0": ends[0],
            "ends_at_1": ends[1],
            "status": session.status,
            "moderation": session.moderation,
        }
        if session.qa_open:
            row["qa_open"] = "on"
        row.update((sessions or {}).get(session.pk, {}))
        data.update({f"sessions-{i}-{k}": v for k, v in row.items()})
    for i, membership in enumerate(membership_rows):
        data.update(
            {
                f"memberships-{i}-id": membership.pk,
                f"memberships-{i}-event": event.pk,
                f"memberships-{i}-user": membership.user_id,
                f"memberships-{i}-role": membership.role,
            }
        )
    return data


def audit_rows(session: Session) -> list[tuple]:
    return list(
        ModerationAction.objects.filter(session=session)
        .order_by("pk")
        .values_list("actor__username", "action", "from_state", "to_state", "detail")
    )


def by_root(detail: dict, status: tuple[str, str] = ("", "")) -> tuple:
    """The audit row of a session change made by the admin user "root"."""
    return ("root", "session", *status, detail)


post = database_sync_to_async(lambda client, path, data: client.post(path, data))
change_data_of = database_sync_to_async(session_change_data)
rows_of = database_sync_to_async(audit_rows)


@database_sync_to_async
def reload(model, pk):
    return model.objects.get(pk=pk)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_admin_session_title_change_reaches_display_and_is_audited(
    admin_client, stream_client
):
    _, hall, session = await live_hall()
    display = await stream_client(f"/ws/halls/{hall.pk}/display/")

    response = await post(
        admin_client,
        url(Session, "change", session.pk),
        await change_data_of(session, title_vi="Giao thông xanh", title_en="Green mobility"),
    )

    assert response.status_code == 302
    frame = await display.receive_type("session.updated", timeout=1.0)
    assert frame["data"]["session"]["title"] == {"vi": "Giao thông xanh", "en": "Green mobility"}
    assert frame["data"]["session"]["version"] == 2
    assert (await reload(Session, session.pk)).version == 2
    assert await rows_of(session) == [
        by_root(
            {
                "title_vi": {"from": "Giao thông thông minh", "to": "Giao thông xanh"},
                "title_en": {"from": "Smart mobility", "to": "Green mobility"},
            }
        )
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_admin_session_status_change_reaches_display_and_is_audited(
    admin_client, stream_client
):
    _, hall, session = await live_hall(status="live")
    display = await stream_client(f"/ws/halls/{hall.pk}/display/")

    response = await post(
        admin_client, url(Session, "change", session.pk), await change_data_of(session, status="qa")
    )

    assert response.status_code == 302
    frame = await display.receive_type("session.updated", timeout=1.0)
    assert (frame["data"]["session"]["status"], frame["data"]["session"]["version"]) == ("qa", 2)
    assert await rows_of(session) == [
        by_root({"status": {"from": "live", "to": "qa"}}, status=("live", "qa"))
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_admin_session_times_and_speakers_reach_the_phone(admin_client, stream_client):
    event, _, session = await live_hall()
    speaker = await database_sync_to_async(factories.speaker)(event, name="Phạm Thu Trang")
    phone = await stream_client(f"/ws/sessions/{session.pk}/")
    later = session.ends_at + dt.timedelta(minutes=30)

    response = await post(
        admin_client,
        url(Session, "change", session.pk),
        await change_data_of(
            session, speakers=[speaker.pk], ends_at_0=local(later)[0], ends_at_1=local(later)[1]
        ),
    )

    assert response.status_code == 302
    frame = await phone.receive_type("session.updated", timeout=1.0)
    assert frame["data"]["session"]["ends_at"] == later.isoformat()
    assert [s["name"] for s in frame["data"]["session"]["speakers"]] == ["Phạm Thu Trang"]
    rows = await rows_of(session)
    assert [(r[0], r[1]) for r in rows] == [("root", "session")]
    assert rows[0][4] == {
        "ends_at": {"from": session.ends_at.isoformat(), "to": later.isoformat()},
        "speakers": {"from": [], "to": [speaker.pk]},
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_admin_session_illegal_status_shows_form_error_changes_nothing(
    admin_client, stream_client
):
    _, hall, session = await live_hall(status="live", title_vi="Giao thông thông minh")
    display = await stream_client(f"/ws/halls/{hall.pk}/display/")

    response = await post(
        admin_client,
        url(Session, "change", session.pk),
        await change_data_of(session, status="scheduled", title_vi="Không được lưu"),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "status": ["A session that is “Live” cannot become “Scheduled”."]
    }
    unchanged = await reload(Session, session.pk)
    assert (unchanged.status, unchanged.title_vi, unchanged.version) == (
        "live",
        "Giao thông thông minh",
        1,
    )
    assert await rows_of(session) == []
    assert await display.nothing_more(0.5)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_admin_event_inline_session_status_reaches_display_and_is_audited(
    admin_client, stream_client
):
    event, hall, session = await live_hall(status="live")
    display = await stream_client(f"/ws/halls/{hall.pk}/display/")
    data = await database_sync_to_async(event_change_data)(
        event, sessions={session.pk: {"status": "break", "title_vi": "Nghỉ giải lao"}}
    )

    response = await post(admin_client, url(Event, "change", event.pk), data)

    assert response.status_code == 302
    frame = await display.receive_type("session.updated", timeout=1.0)
    assert (frame["data"]["session"]["status"], frame["data"]["session"]["title"]["vi"]) == (
        "break",
        "Nghỉ giải lao",
    )
    assert await rows_of(session) == [
        by_root(
            {
                "status": {"from": "live", "to": "break"},
                "title_vi": {"from": "Giao thông thông minh", "to": "Nghỉ giải lao"},
            },
            status=("live", "break"),
        )
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_admin_event_inline_illegal_status_shows_error_changes_nothing(
    admin_client, stream_client
):
    event, hall, session = await live_hall(status="live")
    display = await stream_client(f"/ws/halls/{hall.pk}/display/")
    data = await database_sync_to_async(event_change_data)(
        event,
        event_fields={"name_vi": "Không được lưu"},
        sessions={session.pk: {"status": "scheduled"}},
    )

    response = await post(admin_client, url(Event, "change", event.pk), data)

    assert response.status_code == 200
    sessions = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.model is Session
    )
    assert sessions.formset.errors == [
        {"status": ["A session that is “Live” cannot become “Scheduled”."]}
    ]
    assert (await reload(Event, event.pk)).name_vi == "Hội nghị cũ"
    assert (await reload(Session, session.pk)).status == "live"
    assert await rows_of(session) == []
    assert await display.nothing_more(0.5)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_admin_event_rename_reaches_display_and_is_audited(admin_client, stream_client):
    event, hall, session = await live_hall()
    display = await stream_client(f"/ws/halls/{hall.pk}/display/")
    data = await database_sync_to_async(event_change_data)(
        event, event_fields={"name_vi": "Hội nghị mới", "join_code": "NEWSC2"}
    )

    response = await post(admin_client, url(Event, "change", event.pk), data)

    assert response.status_code == 302
    frame = await display.receive_type("display.session_changed", timeout=1.0)
    assert frame["data"]["event"]["name"] == {"vi": "Hội nghị mới", "en": "Old summit"}
    assert frame["data"]["event"]["join_code"] == "NEWSC2"
    assert frame["data"]["session"]["id"] == session.pk
    assert await rows_of(session) == [
        by_root(
            {
                "event.name_vi": {"from": "Hội nghị cũ", "to": "Hội nghị mới"},
                "event.join_code": {"from": event.join_code, "to": "NEWSC2"},
            }
        )
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_admin_hall_rename_reaches_its_display_and_is_audited(admin_client, stream_client):
    event, hall, session = await live_hall()
    display = await stream_client(f"/ws/halls/{hall.pk}/display/")

    response = await post(
        admin_client,
        reverse("admin:live_hall_change", args=[hall.pk]),
        {
            "event": event.pk,
            "name_vi": "Hội trường Sen",
            "name_en": "Lotus Hall",
            "slug": hall.slug,
            "display_order": hall.display_order,
            "display_mode": "questions",
            "top_questions": 5,
        },
    )

    assert response.status_code == 302
    frame = await display.receive_type("display.session_changed", timeout=1.0)
    assert frame["data"]["hall"]["name"] == {"vi": "Hội trường Sen", "en": "Lotus Hall"}
    assert frame["data"]["session"]["id"] == session.pk
    assert await rows_of(session) == [
        by_root(
            {
                "hall.name_vi": {"from": "Hội trường A", "to": "Hội trường Sen"},
                "hall.name_en": {"from": "Hall A", "to": "Lotus Hall"},
            }
        )
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_admin_hall_inline_rename_reaches_its_display(admin_client, stream_client):
    event, hall, _ = await live_hall()
    display = await stream_client(f"/ws/halls/{hall.pk}/display/")
    data = await database_sync_to_async(event_change_data)(
        event, halls={hall.pk: {"name_en": "Lotus Hall"}}
    )

    response = await post(admin_client, url(Event, "change", event.pk), data)

    assert response.status_code == 302
    frame = await display.receive_type("display.session_changed", timeout=1.0)
    assert frame["data"]["hall"]["name"] == {"vi": "Hội trường A", "en": "Lotus Hall"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_admin_speaker_rename_reaches_phone_and_display_and_is_audited(
    admin_client, stream_client
):
    event, hall, session = await live_hall()

    @database_sync_to_async
    def add_speaker():
        speaker = factories.speaker(event, name="Phạm Thu Trang", organisation="Sở GTVT")
        session.speakers.add(speaker)
        return speaker

    speaker = await add_speaker()
    display = await stream_client(f"/ws/halls/{hall.pk}/display/")
    phone = await stream_client(f"/ws/sessions/{session.pk}/")

    response = await post(
        admin_client,
        reverse("admin:live_speaker_change", args=[speaker.pk]),
        {"event": event.pk, "name": "Phạm Thu Trang", "title": "TS.", "organisation": "Bộ GTVT"},
    )

    assert response.status_code == 302
    for screen in (display, phone):
        frame = await screen.receive_type("session.updated", timeout=1.0)
        assert frame["data"]["session"]["speakers"] == [
            {"id": speaker.pk, "name": "Phạm Thu Trang", "title": "TS.", "organisation": "Bộ GTVT"}
        ]
        assert frame["data"]["session"]["version"] == 2
    assert await rows_of(session) == [
        by_root(
            {
                "speaker.organisation": {"from": "Sở GTVT", "to": "Bộ GTVT"},
            }
        )
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_admin_hall_display_mode_reaches_its_display_and_is_audited(
    admin_client, stream_client
):
    event, hall, _session = await live_hall()
    display = await stream_client(f"/ws/halls/{hall.pk}/display/")

    response = await post(
        admin_client,
        reverse("admin:live_hall_change", args=[hall.pk]),
        {
            "event": event.pk,
            "name_vi": hall.name_vi,
            "name_en": hall.name_en,
            "slug": hall.slug,
            "display_order": hall.display_order,
            "display_mode": "join",
            "top_questions": 2,
        },
    )

    assert response.status_code == 302
    frame = await display.receive_type("hall.updated", timeout=1.0)
    assert (frame["data"]["hall"]["display_mode"], frame["data"]["hall"]["top_questions"]) == (
        "join",
        2,
    )
    action = await HallAction.objects.aget(hall=hall)
    assert action.detail == {"display_mode": ["questions", "join"], "top_questions": [5, 2]}

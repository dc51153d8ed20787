import copy
import datetime as dt
import io
import zoneinfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms.models import model_to_dict
from django.utils import translation

from live.enums import EventRole, SessionStatus
from live.models import Event, EventMembership, Hall, Session, Speaker
from qa.management.commands.load_demo import DEMO, DEMO_SLUG, load
from qa.models import ModerationAction, Participant, Question, Vote
from tests import factories

MODELS = [
    Event,
    Hall,
    Speaker,
    Session,
    EventMembership,
    Participant,
    Question,
    Vote,
    ModerationAction,
]
HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def run_load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Every row of every model the demo writes, every field (timestamps included)."""
    rows = {}
    for model in MODELS:
        rows[model.__name__] = [
            {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
            for obj in model.objects.order_by("pk")
        ]
    rows["session_speakers"] = sorted(
        Session.speakers.through.objects.values_list("session_id", "speaker_id")
    )
    return rows


@pytest.mark.django_db
def test_load_demo_creates_the_summit():
    out = run_load_demo()

    event = Event.objects.get(slug=DEMO_SLUG)
    assert event.name_en == "Vietnam – Asia Smart City Summit 2023"
    assert event.name_vi == "Hội nghị Thượng đỉnh Thành phố thông minh Việt Nam – Châu Á 2023"
    assert (event.starts_on, event.ends_on) == (dt.date(2023, 11, 29), dt.date(2023, 11, 30))
    assert event.timezone == "Asia/Ho_Chi_Minh"
    assert event.join_code == "HNSC23"
    assert "Hà Nội" in event.venue
    assert list(event.halls.values_list("slug", flat=True)) == ["hall-a", "hall-b", "room-c"]
    assert event.sessions.count() == 10
    assert event.speakers.count() == 10
    assert out.startswith(
        "Demo event “Vietnam – Asia Smart City Summit 2023” (smart-city-summit-2023): "
        "3 halls, 10 sessions, join code HNSC23.\n"
    )


@pytest.mark.django_db
def test_load_demo_sessions_span_both_days_in_hanoi_time():
    run_load_demo()

    sessions = list(Session.objects.filter(event__slug=DEMO_SLUG).order_by("starts_at"))
    days = {s.starts_at.astimezone(HANOI).date() for s in sessions}
    assert days == {dt.date(2023, 11, 29), dt.date(2023, 11, 30)}
    opening = sessions[0]
    assert opening.starts_at == dt.datetime(2023, 11, 29, 8, 30, tzinfo=HANOI)
    assert opening.ends_at == dt.datetime(2023, 11, 29, 10, 30, tzinfo=HANOI)
    assert opening.hall.slug == "hall-a"
    assert opening.title_en.startswith("Opening plenary: Hanoi's digital transformation")
    assert "2025" in opening.title_en and "2030" in opening.title_en
    assert opening.title_vi.startswith("Phiên toàn thể khai mạc: Chuyển đổi số")
    assert all(s.ends_at > s.starts_at for s in sessions)
    assert all(
        s.title_vi and s.title_en and s.description_vi and s.description_en for s in sessions
    )
    assert all(s.speakers.exists() for s in sessions)
    titles = " ".join(s.title_en for s in sessions)
    for topic in (
        "Smart mobility",
        "Digital government",
        "Urban data platforms",
        "business matching",
    ):
        assert topic in titles
    # Vietnamese titles carry their diacritics.
    assert "Giao thông thông minh: dữ liệu thời gian thực cho một Hà Nội bớt ùn tắc" in {
        s.title_vi for s in sessions
    }


@pytest.mark.django_db
def test_load_demo_speakers_have_titles_and_organisations():
    run_load_demo()

    speaker = Speaker.objects.get(event__slug=DEMO_SLUG, name="Kenji Watanabe")
    assert speaker.title == "Senior Urban Development Advisor"
    assert speaker.organisation == "Japan International Cooperation Agency (JICA)"
    assert not Speaker.objects.filter(event__slug=DEMO_SLUG, organisation="").exists()
    assert not Speaker.objects.filter(event__slug=DEMO_SLUG, title="").exists()


@pytest.mark.django_db
def test_load_demo_one_session_in_qa_with_questions():
    run_load_demo()

    qa_session = Session.objects.get(event__slug=DEMO_SLUG, status=SessionStatus.QA)
    assert qa_session.title_en == "Smart mobility: real-time data for a less congested Hanoi"
    assert qa_session.qa_open is True
    questions = list(qa_session.questions.order_by("client_id"))
    assert [(q.client_id, q.status, q.pinned, q.vote_count) for q in questions] == [
        ("demo-1", "approved", True, 4),
        ("demo-2", "approved", False, 2),
        ("demo-3", "approved", False, 1),
        ("demo-4", "pending", False, 0),
    ]
    assert [q.vote_count for q in questions] == [q.votes.count() for q in questions]
    assert questions[0].author_name == "Minh Anh"
    assert (questions[2].anonymous, questions[2].author_name) == (True, "")
    # Approvals and the pin were written by the services, with their audit rows.
    actions = sorted(
        ModerationAction.objects.filter(session=qa_session).values_list("action", flat=True)
    )
    assert actions == ["approve", "approve", "approve", "pin"]
    assert Participant.objects.filter(event=qa_session.event).count() == 5


@pytest.mark.django_db
def test_load_demo_twice_changes_nothing():
    run_load_demo()
    first = snapshot()

    run_load_demo()

    assert snapshot() == first
    assert {name: len(rows) for name, rows in first.items()} == {
        "Event": 1,
        "Hall": 3,
        "Speaker": 10,
        "Session": 10,
        "EventMembership": 0,
        "Participant": 5,
        "Question": 4,
        "Vote": 7,
        "ModerationAction": 4,
        "session_speakers": 18,
    }


@pytest.mark.django_db
def test_load_demo_restores_a_changed_session_and_bumps_its_version():
    run_load_demo()
    session = Session.objects.get(event__slug=DEMO_SLUG, status=SessionStatus.QA)
    Session.objects.filter(pk=session.pk).update(status=SessionStatus.ENDED, qa_open=False)

    run_load_demo()

    session.refresh_from_db()
    assert (session.status, session.qa_open, session.version) == (SessionStatus.QA, True, 2)
    assert Session.objects.filter(event__slug=DEMO_SLUG).count() == 10


@pytest.mark.django_db
def test_load_demo_without_debug_creates_no_moderator(settings):
    settings.DEBUG = False

    out = run_load_demo()

    assert not get_user_model().objects.filter(username="moderator").exists()
    assert EventMembership.objects.count() == 0
    assert "no demo moderator was created" in out
    assert "password" not in out


@pytest.mark.django_db
def test_load_demo_in_debug_creates_moderator_once(settings, client):
    settings.DEBUG = True

    out = run_load_demo()
    run_load_demo()

    user = get_user_model().objects.get(username="moderator")
    assert user.check_password("moderator")
    assert (user.is_staff, user.is_superuser, user.is_active) == (True, False, True)
    membership = EventMembership.objects.get(user=user)
    assert (membership.event.slug, membership.role) == (DEMO_SLUG, EventRole.MODERATOR)
    assert get_user_model().objects.count() == 1
    assert "Demo moderator (debug mode only): username “moderator”, password “moderator”." in out
    assert client.login(username="moderator", password="moderator") is True


@pytest.mark.django_db
def test_load_demo_in_debug_twice_changes_nothing(settings):
    settings.DEBUG = True
    run_load_demo()
    first = snapshot()
    user = model_to_dict(get_user_model().objects.get(username="moderator"))

    run_load_demo()

    assert snapshot() == first
    assert model_to_dict(get_user_model().objects.get(username="moderator")) == user


def bad_demo(**changes) -> dict:
    data = copy.deepcopy(DEMO)
    for path, value in changes.items():
        section, index, field = path.split("__")
        data[section][int(index)][field] = value
    return data


@pytest.mark.django_db
def test_load_demo_session_ending_before_start_rejected_and_nothing_written():
    data = bad_demo(sessions__1__end="10:00")  # starts 10:45

    with translation.override("en"), pytest.raises(CommandError) as error:
        load(data)

    assert str(error.value) == (
        "Demo data rejected: session “Digital infrastructure and the Intelligent Operations "
        "Centre (IOC)”: ends_at: A session must end after it starts."
    )
    assert [model.objects.count() for model in MODELS] == [0] * len(MODELS)


@pytest.mark.django_db
def test_load_demo_unknown_hall_rejected():
    data = bad_demo(sessions__0__hall="hall-z")

    with pytest.raises(CommandError) as error:
        load(data)

    assert str(error.value) == (
        "Demo data rejected: session “Opening plenary: Hanoi's digital transformation and smart "
        "city programme to 2025, with a view to 2030”: unknown hall 'hall-z'."
    )
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_load_demo_duplicate_hall_slug_rejected():
    data = bad_demo(halls__1__slug="hall-a")

    with pytest.raises(CommandError) as error:
        load(data)

    assert str(error.value) == "Demo data rejected: duplicate hall slug: hall-a."
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_load_demo_join_code_taken_by_another_event_rejected():
    factories.event(slug="other", join_code="HNSC23")

    with translation.override("en"), pytest.raises(CommandError) as error:
        call_command("load_demo", stdout=io.StringIO())

    assert str(error.value) == (
        "Demo data rejected: event smart-city-summit-2023: join_code: "
        "Event with this Join code already exists."
    )
    assert list(Event.objects.values_list("slug", flat=True)) == ["other"]

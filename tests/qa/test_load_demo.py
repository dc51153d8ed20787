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

from live import selectors
from live.enums import EventRole, SessionStatus
from live.models import Event, EventMembership, Hall, Session, Speaker
from live.realtime import streams
from live.representations import session_data
from qa.management.commands.load_demo import DEMO, DEMO_SLUG, Command, load
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
    assert (membership.event.slug, membership.role) == (DEMO_SLUG, EventRole.ORGANISER)
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


# ---- load_demo --today: the summit on today's schedule -----------------------------------------

PANEL = "Smart mobility: real-time data for a less congested Hanoi"


def run_load_demo_today(now: str) -> str:
    out = io.StringIO()
    call_command("load_demo", "--today", f"--now={now}", stdout=out)
    return out.getvalue()


def schedule() -> list[tuple]:
    """(hall, start, end, status, qa_open) of every demo session, in Hanoi time, by start."""
    sessions = Session.objects.filter(event__slug=DEMO_SLUG).order_by("starts_at", "hall__slug")
    return [
        (
            s.hall.slug,
            s.starts_at.astimezone(HANOI).strftime("%Y-%m-%d %H:%M"),
            s.ends_at.astimezone(HANOI).strftime("%Y-%m-%d %H:%M"),
            s.status,
            s.qa_open,
        )
        for s in sessions
    ]


def panel_questions() -> list[tuple]:
    panel = Session.objects.get(event__slug=DEMO_SLUG, title_en=PANEL)
    return [
        (q.client_id, q.status, q.pinned, q.vote_count)
        for q in panel.questions.order_by("client_id")
    ]


PLAIN_QUESTIONS = [
    ("demo-1", "approved", True, 4),
    ("demo-2", "approved", False, 2),
    ("demo-3", "approved", False, 1),
    ("demo-4", "pending", False, 0),
]


@pytest.mark.django_db
def test_load_demo_today_in_the_panels_hours_keeps_every_time_of_day():
    out = run_load_demo_today("2026-12-01T14:10:37+07:00")

    event = Event.objects.get(slug=DEMO_SLUG)
    assert (event.starts_on, event.ends_on) == (dt.date(2026, 12, 1), dt.date(2026, 12, 2))
    assert schedule() == [
        ("hall-a", "2026-12-01 08:30", "2026-12-01 10:30", "ended", False),
        ("hall-a", "2026-12-01 10:45", "2026-12-01 12:00", "ended", False),
        ("hall-a", "2026-12-01 13:30", "2026-12-01 15:00", "qa", True),
        ("hall-b", "2026-12-01 13:30", "2026-12-01 15:00", "live", True),
        ("room-c", "2026-12-01 13:30", "2026-12-01 17:00", "live", False),
        ("hall-a", "2026-12-02 08:30", "2026-12-02 10:00", "scheduled", True),
        ("hall-b", "2026-12-02 08:30", "2026-12-02 10:00", "scheduled", True),
        ("hall-a", "2026-12-02 10:15", "2026-12-02 11:45", "scheduled", True),
        ("hall-b", "2026-12-02 10:15", "2026-12-02 11:45", "scheduled", True),
        ("hall-a", "2026-12-02 14:00", "2026-12-02 15:30", "scheduled", True),
    ]
    assert panel_questions() == PLAIN_QUESTIONS
    assert (
        "Placed on today's schedule (Asia/Ho_Chi_Minh, now 2026-12-01 14:10): day one is "
        "2026-12-01, the smart mobility panel runs 13:30–15:00.\n"
    ) in out


@pytest.mark.django_db
def test_load_demo_today_at_3am_runs_the_panel_now_keeping_the_gaps():
    run_load_demo_today("2026-11-30T20:00:45+00:00")  # 03:00:45 in Hanoi

    event = Event.objects.get(slug=DEMO_SLUG)
    assert (event.starts_on, event.ends_on) == (dt.date(2026, 11, 30), dt.date(2026, 12, 2))
    assert schedule() == [
        ("hall-a", "2026-11-30 21:30", "2026-11-30 23:30", "ended", False),
        ("hall-a", "2026-11-30 23:45", "2026-12-01 01:00", "ended", False),
        ("hall-a", "2026-12-01 02:30", "2026-12-01 04:00", "qa", True),
        ("hall-b", "2026-12-01 02:30", "2026-12-01 04:00", "live", True),
        ("room-c", "2026-12-01 02:30", "2026-12-01 06:00", "live", False),
        ("hall-a", "2026-12-01 21:30", "2026-12-01 23:00", "scheduled", True),
        ("hall-b", "2026-12-01 21:30", "2026-12-01 23:00", "scheduled", True),
        ("hall-a", "2026-12-01 23:15", "2026-12-02 00:45", "scheduled", True),
        ("hall-b", "2026-12-01 23:15", "2026-12-02 00:45", "scheduled", True),
        ("hall-a", "2026-12-02 03:00", "2026-12-02 04:30", "scheduled", True),
    ]
    assert panel_questions() == PLAIN_QUESTIONS


@pytest.mark.parametrize(
    "hanoi_time", ["00:00", "03:00", "08:29", "13:30", "14:59", "15:00", "17:30", "23:59"]
)
@pytest.mark.django_db
def test_load_demo_today_statuses_follow_the_clock(hanoi_time):
    now = dt.datetime.fromisoformat(f"2026-12-01T{hanoi_time}:00+07:00")

    run_load_demo_today(now.isoformat())

    sessions = list(Session.objects.filter(event__slug=DEMO_SLUG))
    panel = next(s for s in sessions if s.title_en == PANEL)
    assert (panel.status, panel.qa_open) == (SessionStatus.QA, True)
    assert panel.starts_at <= now < panel.ends_at
    inconsistent = []
    for s in sessions:
        if s.ends_at <= now:
            expected = {SessionStatus.ENDED}
        elif s.starts_at <= now:
            expected = {SessionStatus.LIVE, SessionStatus.QA}
        else:
            expected = {SessionStatus.SCHEDULED}
        if s.status not in expected:
            inconsistent.append((s.title_en, s.status))
    assert inconsistent == []
    assert panel_questions() == PLAIN_QUESTIONS


@pytest.mark.django_db
def test_load_demo_today_twice_in_the_same_minute_changes_nothing():
    run_load_demo_today("2026-12-01T03:00:05+07:00")
    first = snapshot()

    run_load_demo_today("2026-12-01T03:00:55+07:00")

    assert snapshot() == first


@pytest.mark.django_db
def test_load_demo_today_then_plain_restores_2023_on_the_same_rows():
    run_load_demo()
    plain = schedule()
    pks = sorted(Session.objects.values_list("pk", flat=True))
    question_sessions = sorted(Question.objects.values_list("client_id", "session_id"))

    run_load_demo_today("2026-12-01T03:00:00+07:00")
    run_load_demo_today("2026-12-02T14:00:00+07:00")
    assert sorted(Session.objects.values_list("pk", flat=True)) == pks
    run_load_demo()

    event = Event.objects.get(slug=DEMO_SLUG)
    assert (event.starts_on, event.ends_on) == (dt.date(2023, 11, 29), dt.date(2023, 11, 30))
    assert schedule() == plain
    assert plain[0] == ("hall-a", "2023-11-29 08:30", "2023-11-29 10:30", "ended", False)
    assert sorted(Session.objects.values_list("pk", flat=True)) == pks
    assert sorted(Question.objects.values_list("client_id", "session_id")) == question_sessions
    assert panel_questions() == PLAIN_QUESTIONS


@pytest.mark.django_db
def test_load_demo_today_tells_open_screens(django_capture_on_commit_callbacks, published):
    run_load_demo()
    panel_id = Session.objects.get(title_en=PANEL).pk

    with django_capture_on_commit_callbacks(execute=True):
        run_load_demo_today("2026-12-01T14:10:00+07:00")
    with django_capture_on_commit_callbacks(execute=True):
        run_load_demo_today("2026-12-01T14:10:30+07:00")  # changes nothing: publishes nothing

    panel = selectors.sessions_with_people().get(pk=panel_id)
    assert panel.version == 2
    assert published(streams.session_stream(panel_id)) == [
        ("session.updated", {"session": session_data(panel)})
    ]


def test_load_demo_now_is_hidden_from_help():
    text = Command().create_parser("manage.py", "load_demo").format_help()

    assert "--today" in text
    assert "--now" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--now=2026-12-01T14:10:00+07:00"], "--now needs --today."),
        (
            ["--today", "--now=2026-12-01T14:10:00"],
            "--now needs a time zone offset: 2026-12-01T14:10:00.",
        ),
        (["--today", "--now=yesterday"], "--now is not an ISO date and time: yesterday."),
    ],
)
@pytest.mark.django_db
def test_load_demo_bad_now_rejected(args, message):
    with pytest.raises(CommandError) as error:
        call_command("load_demo", *args, stdout=io.StringIO())

    assert str(error.value) == message
    assert Event.objects.count() == 0

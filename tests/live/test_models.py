"""The domain model: readable names, and the rules the database itself enforces."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from live.models import JOIN_CODE_ALPHABET, Event, Hall, Session
from qa.models import ModerationAction, Participant, Question, Vote
from tests import factories

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared in English (Vietnamese is the default language)."""
    with translation.override("en"):
        yield


def start() -> dt.datetime:
    return dt.datetime(2023, 11, 29, 13, 30, tzinfo=HANOI)


def unsaved_session(hall: Hall, **kw) -> Session:
    values = dict(
        event=hall.event,
        hall=hall,
        title_vi="Giao thông thông minh",
        title_en="Smart mobility",
        starts_at=start(),
        ends_at=start() + dt.timedelta(hours=1),
    )
    values.update(kw)
    return Session(**values)


# ---- __str__ --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_str_of_live_models_readable():
    event = factories.event(slug="summit", name_vi="Hội nghị Thành phố thông minh")
    hall = factories.hall(event, name_vi="Hội trường A", slug="hall-a")
    session = factories.session(hall, title_vi="Giao thông thông minh", starts_at=start())
    with_org = factories.speaker(event, name="Phạm Thu Trang", organisation="Sở GTVT Hà Nội")
    without_org = factories.speaker(event, name="Sarah Lim", organisation="")
    moderator = factories.moderator(event, username="thuha")

    assert str(event) == "Hội nghị Thành phố thông minh (2023-11-29)"
    assert str(hall) == "Hội trường A - summit"
    # In the event's own time zone, not UTC (06:30Z).
    assert str(session) == "Giao thông thông minh (29/11 13:30)"
    assert str(with_org) == "Phạm Thu Trang, Sở GTVT Hà Nội"
    assert str(without_org) == "Sarah Lim"
    assert str(moderator.event_memberships.get()) == "thuha - Moderator - summit"


@pytest.mark.django_db
def test_str_of_qa_models_readable():
    session = factories.session()
    named, _ = factories.participant(session.event, display_name="Minh Anh")
    nameless, _ = factories.participant(session.event)
    short = factories.question(session, participant=named, text="Khi nào có vé điện tử?")
    long = factories.question(session, participant=named, text="Dữ liệu " * 20)
    vote = Vote.objects.create(question=short, participant=nameless)
    admin = factories.superuser(username="admin")
    action = ModerationAction.objects.create(
        session=session,
        question=short,
        actor=admin,
        action="approve",
        from_state="pending",
        to_state="approved",
    )
    session_action = ModerationAction.objects.create(session=session, action="session")

    assert str(named) == f"Minh Anh #{named.pk}"
    assert str(nameless) == f"Anonymous #{nameless.pk}"
    assert str(short) == f"#{short.pk} Khi nào có vé điện tử?"
    assert str(long) == f"#{long.pk} " + ("Dữ liệu " * 20)[:59] + "…"
    assert str(vote) == f"{nameless.pk} -> {short.pk}"
    assert str(action) == f"admin approve #{short.pk}: pending -> approved"
    assert str(session_action) == f"- session session {session.pk}:  -> "


# ---- sessions -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_session_ending_before_start_rejected_by_full_clean():
    session = unsaved_session(factories.hall(), ends_at=start() - dt.timedelta(minutes=1))

    with pytest.raises(ValidationError) as error:
        session.full_clean()

    assert error.value.message_dict["ends_at"] == ["A session must end after it starts."]


@pytest.mark.django_db
def test_session_ending_when_it_starts_rejected_by_full_clean():
    session = unsaved_session(factories.hall(), ends_at=start())

    with pytest.raises(ValidationError) as error:
        session.full_clean()

    assert error.value.message_dict["ends_at"] == ["A session must end after it starts."]


@pytest.mark.django_db
def test_session_ending_before_start_rejected_by_database():
    session = unsaved_session(factories.hall(), ends_at=start() - dt.timedelta(minutes=1))

    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()

    assert Session.objects.count() == 0


@pytest.mark.django_db
def test_session_hall_of_another_event_rejected_by_full_clean():
    hall = factories.hall()
    other_event = factories.event()
    session = unsaved_session(hall, event=other_event)

    with pytest.raises(ValidationError) as error:
        session.full_clean()

    assert error.value.message_dict == {"hall": ["This hall belongs to another event."]}


@pytest.mark.django_db
def test_session_valid_passes_full_clean():
    session = unsaved_session(factories.hall())

    session.full_clean()
    session.save()

    assert Session.objects.count() == 1


# ---- events ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_event_duplicate_slug_rejected_by_full_clean():
    factories.event(slug="summit")
    duplicate = Event(
        slug="summit",
        name_vi="Hội nghị",
        starts_on=dt.date(2023, 11, 29),
        ends_on=dt.date(2023, 11, 30),
    )

    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()

    assert error.value.message_dict == {"slug": ["Event with this Slug already exists."]}


@pytest.mark.django_db
def test_event_duplicate_slug_rejected_by_database():
    factories.event(slug="summit")

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.event(slug="summit")

    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_event_last_day_before_first_rejected():
    event = Event(
        slug="summit",
        name_vi="Hội nghị",
        starts_on=dt.date(2023, 11, 30),
        ends_on=dt.date(2023, 11, 29),
    )

    with pytest.raises(ValidationError) as error:
        event.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()

    assert error.value.message_dict == {
        "ends_on": ["The last day cannot come before the first day."]
    }


@pytest.mark.django_db
def test_event_join_code_default_short_and_unambiguous():
    event = factories.event()

    assert len(event.join_code) == 6
    assert set(event.join_code) <= set(JOIN_CODE_ALPHABET)
    assert not set("01OIL") & set(JOIN_CODE_ALPHABET)


@pytest.mark.django_db
def test_event_unknown_timezone_rejected_by_full_clean():
    event = Event(
        slug="summit",
        name_vi="Hội nghị",
        starts_on=dt.date(2023, 11, 29),
        ends_on=dt.date(2023, 11, 30),
        timezone="Asia/Hanoi-ish",
    )

    with pytest.raises(ValidationError) as error:
        event.full_clean()

    assert error.value.message_dict == {"timezone": ["Asia/Hanoi-ish is not a known time zone."]}


@pytest.mark.django_db
def test_hall_duplicate_slug_in_one_event_rejected_by_database():
    hall = factories.hall(slug="hall-a")
    factories.hall(slug="hall-a")  # another event: fine

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.hall(hall.event, slug="hall-a")

    assert Hall.objects.filter(slug="hall-a").count() == 2


# ---- questions ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_question_second_pin_in_session_rejected_by_database():
    session = factories.session()
    factories.question(session, status="approved", pinned=True)
    other = factories.question(session, status="approved")
    other.pinned = True

    with pytest.raises(IntegrityError), transaction.atomic():
        other.save(update_fields=["pinned"])

    assert Question.objects.filter(session=session, pinned=True).count() == 1


@pytest.mark.django_db
def test_question_pins_in_two_sessions_allowed():
    first = factories.question(factories.session(), status="approved", pinned=True)
    second = factories.question(factories.session(), status="approved", pinned=True)

    assert Question.objects.filter(pinned=True).count() == 2
    assert first.session_id != second.session_id


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["pending", "rejected", "answered", "archived"])
def test_question_pinned_unless_approved_rejected_by_database(status):
    session = factories.session()

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.question(session, status=status, pinned=True)

    assert Question.objects.count() == 0


@pytest.mark.django_db
def test_question_client_id_repeated_by_participant_rejected_by_database():
    session = factories.session()
    participant, _ = factories.participant(session.event)
    factories.question(session, participant=participant, client_id="c-1")

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.question(session, participant=participant, client_id="c-1")

    assert Question.objects.count() == 1


@pytest.mark.django_db
def test_question_client_id_shared_by_two_participants_allowed():
    session = factories.session()
    first, _ = factories.participant(session.event)
    second, _ = factories.participant(session.event)

    factories.question(session, participant=first, client_id="c-1")
    factories.question(session, participant=second, client_id="c-1")
    factories.question(session, participant=first, client_id=None)
    factories.question(session, participant=first, client_id=None)

    assert Question.objects.count() == 4


@pytest.mark.django_db
def test_vote_twice_by_participant_rejected_by_database():
    question = factories.question(factories.session(), status="approved")
    voter, _ = factories.participant(question.session.event)
    Vote.objects.create(question=question, participant=voter)

    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(question=question, participant=voter)

    assert Vote.objects.count() == 1


@pytest.mark.django_db
def test_participant_token_stored_hashed():
    participant, token = factories.participant(factories.event())

    assert token not in participant.token_hash
    assert len(participant.token_hash) == 64
    assert Participant.objects.filter(token_hash=participant.token_hash).count() == 1

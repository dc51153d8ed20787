"""Rehearse and reset (issue 15): after the rehearsal an organiser removes a session's
questions and votes; refused while the session runs; audited; every screen of the session
starts over with a fresh snapshot."""

import pytest

from live.errors import Conflict
from live.models import Session
from live.realtime.db import database_sync_to_async
from qa import services
from qa.models import Ballot, BallotChoice, ModerationAction, Poll, PollAuditEntry, Question, Vote
from tests import factories
from tests.api_clients import anonymous, as_participant, as_user


def rehearsed(status="scheduled"):
    session = factories.session(status=status)
    voter, _ = factories.participant(session.event)
    questions = [factories.question(session, status="approved") for _ in range(3)]
    services.question_merge(question_id=questions[2].pk, into_id=questions[0].pk, actor=None)
    services.vote_cast(question_id=questions[0].pk, participant=voter)
    services.question_pin(question_id=questions[1].pk, actor=None)
    return session


@pytest.mark.django_db
def test_reset_removes_questions_and_votes_audits_and_keeps_other_sessions():
    session = rehearsed()
    other = factories.session(factories.hall(session.event))
    kept = factories.question(other)
    organiser = factories.moderator(session.event, role="organiser")
    version = session.version

    done = services.session_reset(session_id=session.pk, actor=organiser)

    assert (done.questions, done.votes, done.ballots) == (3, 1, 0)
    assert not Question.objects.filter(session=session).exists()
    assert not Vote.objects.filter(question__session=session).exists()
    assert Question.objects.filter(pk=kept.pk).exists()
    audit = ModerationAction.objects.get(session=session, question=None, action="session")
    assert (audit.actor, audit.detail) == (
        organiser,
        {"reset": {"questions": 3, "votes": 1, "ballots": 0}},
    )
    assert Session.objects.get(pk=session.pk).version == version + 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["live", "qa", "break"])
def test_reset_is_refused_while_the_session_runs(status):
    session = rehearsed(status)
    with pytest.raises(Conflict) as refused:
        services.session_reset(session_id=session.pk, actor=None)
    assert refused.value.code == "session.reset_while_running"
    assert Question.objects.filter(session=session).count() == 3


@pytest.mark.django_db
def test_reset_endpoint_is_for_organisers():
    session = rehearsed()
    url = f"/api/v1/sessions/{session.pk}/reset/"
    assert anonymous().post(url).status_code == 401
    phone, _ = as_participant(session.event)
    assert phone.post(url).status_code == 403
    moderator = as_user(factories.moderator(session.event))
    refused = moderator.post(url)
    assert (refused.status_code, refused.json()["code"]) == (403, "organiser.forbidden")
    stranger = factories.moderator(factories.event(), role="organiser")
    assert as_user(stranger).post(url).status_code == 403
    assert Question.objects.filter(session=session).count() == 3

    organiser = as_user(factories.moderator(session.event, role="organiser"))
    response = organiser.post(url)
    assert response.status_code == 200
    assert response.json() == {"questions": 3, "votes": 1, "ballots": 0}
    assert as_user(factories.superuser()).post(url).json() == {
        "questions": 0,
        "votes": 0,
        "ballots": 0,
    }
    assert organiser.post("/api/v1/sessions/999999/reset/").status_code == 404


@pytest.mark.django_db
def test_reset_endpoint_while_running_is_409_and_changes_nothing():
    session = rehearsed("live")
    organiser = as_user(factories.moderator(session.event, role="organiser"))
    response = organiser.post(f"/api/v1/sessions/{session.pk}/reset/")
    assert (response.status_code, response.json()["code"]) == (409, "session.reset_while_running")
    assert Question.objects.filter(session=session).count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_a_connected_display_and_phone_see_the_reset(stream_client):
    session = await database_sync_to_async(rehearsed)()
    display = await stream_client(f"/ws/halls/{session.hall_id}/display/")
    phone = await stream_client(f"/ws/sessions/{session.pk}/")
    assert display.frames[0]["data"]["session"]["id"] == session.pk
    assert len(display.frames[0]["data"]["questions"]) == 2  # the merged one is not public
    epochs = (display.epoch, phone.epoch)

    await database_sync_to_async(services.session_reset)(session_id=session.pk, actor=None)

    for client in (display, phone):
        snapshot = await client.receive_type("snapshot")
        assert snapshot["data"]["questions"] == []
    assert (display.epoch, phone.epoch) != epochs
    assert display.epoch != epochs[0] and phone.epoch != epochs[1]


# ---- the session's polls ------------------------------------------------------------------------

OPTIONS = [("Buýt điện", "Electric buses"), ("Metro", "Metro"), ("Xe đạp", "Bicycles")]


def rehearsed_polls(session):
    """What a rehearsal leaves: a poll closed on screen with its results, one still open, a
    draft, each voted on by the phones that could; and a poll of another session."""
    organiser = factories.moderator(session.event, role="organiser")
    phones = [factories.participant(session.event)[0] for _ in range(3)]

    def poll(target, *moves, kind="single"):
        made = services.poll_create(
            session=target,
            actor=organiser,
            question_vi="Phương tiện nào?",
            question_en="Which transport?",
            kind=kind,
            options=[services.PollOptionText(vi, en) for vi, en in OPTIONS],
        )
        for move in moves:
            move(poll_id=made.pk, actor=organiser)
        return made

    closed = poll(session, services.poll_open, kind="multiple")
    opened = poll(session, services.poll_open)
    draft = poll(session)
    elsewhere = poll(factories.session(factories.hall(session.event)), services.poll_open)
    for target, chosen in ((closed, [0, 1]), (opened, [2]), (elsewhere, [0])):
        ids = list(target.options.order_by("position").values_list("pk", flat=True))
        for phone in phones:
            services.ballot_cast(
                poll_id=target.pk, participant=phone, options=[ids[i] for i in chosen]
            )
    for move in (services.poll_show_results, services.poll_show, services.poll_close):
        move(poll_id=closed.pk, actor=organiser)
    return organiser, (closed, opened, draft), elsewhere


@pytest.mark.django_db
def test_reset_removes_ballots_and_puts_the_polls_back_to_draft_with_their_options():
    session = rehearsed()
    organiser, polls, elsewhere = rehearsed_polls(session)
    before = {p.pk: Poll.objects.get(pk=p.pk) for p in (*polls, elsewhere)}
    options = {
        p.pk: list(p.options.order_by("position").values_list("pk", "text_vi", "text_en"))
        for p in polls
    }
    audit_entries = PollAuditEntry.objects.filter(session=session).count()

    done = services.session_reset(session_id=session.pk, actor=organiser)

    assert (done.questions, done.votes, done.ballots) == (3, 1, 6)
    assert not Ballot.objects.filter(poll__session=session).exists()
    assert not BallotChoice.objects.filter(poll__session=session).exists()
    for poll in polls:
        after = Poll.objects.get(pk=poll.pk)
        assert (
            after.state,
            after.results_shown,
            after.on_screen,
            after.opened_at,
            after.closed_at,
            after.version,
        ) == ("draft", False, False, None, None, before[poll.pk].version + 1)
        assert (after.question_vi, after.question_en, after.kind, after.max_choices) == (
            before[poll.pk].question_vi,
            before[poll.pk].question_en,
            before[poll.pk].kind,
            before[poll.pk].max_choices,
        )
        assert (
            list(after.options.order_by("position").values_list("pk", "text_vi", "text_en"))
            == options[poll.pk]
        )
    # Another session's poll and ballots are untouched; the polls' audit trail stays.
    assert Poll.objects.get(pk=elsewhere.pk).state == "open"
    assert Ballot.objects.filter(poll=elsewhere).count() == 3
    assert PollAuditEntry.objects.filter(session=session).count() == audit_entries
    audit = ModerationAction.objects.get(session=session, question=None, action="session")
    assert audit.detail == {"reset": {"questions": 3, "votes": 1, "ballots": 6}}


@pytest.mark.django_db
def test_reset_polls_can_run_again_and_count_only_the_real_ballots():
    session = rehearsed()
    organiser, (closed, _opened, _draft), _elsewhere = rehearsed_polls(session)
    services.session_reset(session_id=session.pk, actor=organiser)
    phone, _ = factories.participant(session.event)
    first = closed.options.order_by("position").first()

    services.poll_open(poll_id=closed.pk, actor=organiser)
    services.ballot_cast(poll_id=closed.pk, participant=phone, options=[first.pk])

    assert list(BallotChoice.objects.filter(poll=closed).values_list("option_id", flat=True)) == [
        first.pk
    ]


@pytest.mark.django_db
def test_reset_refused_while_running_keeps_the_ballots_and_polls():
    session = rehearsed()
    organiser, (closed, opened, _draft), _elsewhere = rehearsed_polls(session)
    Session.objects.filter(pk=session.pk).update(status="live")
    with pytest.raises(Conflict):
        services.session_reset(session_id=session.pk, actor=organiser)
    assert Ballot.objects.filter(poll__session=session).count() == 6
    assert list(
        Poll.objects.filter(session=session).order_by("pk").values_list("state", "on_screen")
    ) == [("closed", True), ("open", False), ("draft", False)]


@pytest.mark.django_db
def test_reset_endpoint_counts_the_ballots():
    session = rehearsed()
    rehearsed_polls(session)
    organiser = as_user(factories.moderator(session.event, role="organiser"))
    response = organiser.post(f"/api/v1/sessions/{session.pk}/reset/")
    assert (response.status_code, response.json()) == (
        200,
        {"questions": 3, "votes": 1, "ballots": 6},
    )
    assert (
        list(Poll.objects.filter(session=session).values_list("state", flat=True)) == ["draft"] * 3
    )
    assert not Ballot.objects.filter(poll__session=session).exists()

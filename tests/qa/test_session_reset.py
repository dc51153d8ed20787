"""Rehearse and reset (issue 15): after the rehearsal an organiser removes a session's
questions and votes; refused while the session runs; audited; every screen of the session
starts over with a fresh snapshot."""

import pytest
from channels.db import database_sync_to_async

from live.errors import Conflict
from live.models import Session
from qa import services
from qa.models import ModerationAction, Question, Vote
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

    assert (done.questions, done.votes) == (3, 1)
    assert not Question.objects.filter(session=session).exists()
    assert not Vote.objects.filter(question__session=session).exists()
    assert Question.objects.filter(pk=kept.pk).exists()
    audit = ModerationAction.objects.get(session=session, question=None, action="session")
    assert (audit.actor, audit.detail) == (organiser, {"reset": {"questions": 3, "votes": 1}})
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
    assert response.json() == {"questions": 3, "votes": 1}
    assert as_user(factories.superuser()).post(url).json() == {"questions": 0, "votes": 0}
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

"""Real concurrency against the database (threads, each with its own connection): a phone's
racing retries never make a duplicate; 200 phones voting at once are counted exactly."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connections
from django.test import override_settings

from qa import services
from qa.models import Question, Vote
from tests import factories
from tests.api_clients import as_participant

pytestmark = pytest.mark.django_db(transaction=True)


def run_threads(count, work):
    """Run work(i) in `count` threads started together; return their results by index."""
    results = [None] * count
    errors = []
    barrier = threading.Barrier(count)

    def target(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # reported below, with the thread's failure
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    return results


def settle_broadcasts():
    """Let the vote coalescing timers (live/realtime/coalesce.py) run before the tables go."""
    time.sleep(settings.REALTIME["COALESCE_MS"] * 3 / 1000)


def test_submit_same_client_id_racing_retries_make_one_question():
    session = factories.session()
    client, participant = as_participant(session.event)
    url = f"/api/v1/sessions/{session.pk}/questions/"
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {
        **rest["DEFAULT_THROTTLE_RATES"],
        "participant_question": "100/min",
    }

    def post(_i):
        response = client.post(
            url, {"text": "Wi-Fi chập chờn?", "client_id": "retry-1"}, format="json"
        )
        return response.status_code, response.json()["id"]

    with override_settings(REST_FRAMEWORK=rest):
        results = run_threads(8, post)
    question = Question.objects.get()
    assert question.participant_id == participant.pk
    assert sorted(status for status, _ in results) == [200] * 7 + [201]
    assert {qid for _, qid in results} == {question.pk}


def test_vote_200_participants_concurrently_counted_exactly():
    session = factories.session()
    question = factories.question(session, status="approved")
    clients = [as_participant(session.event)[0] for _ in range(200)]
    url = f"/api/v1/questions/{question.pk}/vote/"
    workers = 20

    def vote(i):
        return [clients[j].post(url).status_code for j in range(i, 200, workers)]

    results = run_threads(workers, vote)
    settle_broadcasts()
    assert [status for batch in results for status in batch] == [200] * 200
    question.refresh_from_db()
    assert question.vote_count == 200
    assert Vote.objects.filter(question=question).count() == 200


def test_vote_cast_and_withdraw_racing_stay_consistent():
    session = factories.session()
    question = factories.question(session, status="approved")
    clients = [as_participant(session.event)[0] for _ in range(40)]
    url = f"/api/v1/questions/{question.pk}/vote/"

    def vote_twice_then_withdraw_odd(i):
        client = clients[i]
        client.post(url)
        client.post(url)
        if i % 2:
            client.delete(url)
        return True

    run_threads(40, vote_twice_then_withdraw_odd)
    settle_broadcasts()
    question.refresh_from_db()
    assert question.vote_count == 20
    assert Vote.objects.filter(question=question).count() == 20


def test_vote_batches_and_single_votes_racing_count_exactly():
    """The socket's group commits (many votes, two questions, one transaction) racing the
    HTTP API's single votes on the same rows: the tallies equal the rows."""
    session = factories.session()
    first = factories.question(session, status="approved")
    second = factories.question(session, status="approved")
    participants = [factories.participant(session.event)[0] for _ in range(80)]
    event_id = session.event_id

    def work(i):
        if i % 2:  # a batch: 10 phones, both questions
            group = participants[i * 5 : i * 5 + 10]
            changes = [
                services.VoteChange(p.pk, event_id, q.pk, True)
                for p in group
                for q in (second, first)
            ]
            return services.votes_apply(changes)
        return [
            services.vote_cast(question_id=q.pk, participant=p)
            for p in participants[i * 5 : i * 5 + 10]
            for q in (first, second)
        ]

    run_threads(15, work)
    settle_broadcasts()
    for question in (first, second):
        question.refresh_from_db()
        rows = Vote.objects.filter(question=question).count()
        assert rows == 80
        assert question.vote_count == rows

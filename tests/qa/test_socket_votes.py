"""Votes over the phone's socket (qa/consumers.py): identify, vote, unvote, every refusal,
the throttle, and the group commit that takes many sockets' votes in one transaction."""

import asyncio

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from live.realtime.db import database_sync_to_async
from qa import consumers, services
from qa.models import Participant, Question, Vote
from tests import factories
from tests.api_clients import rates
from tests.realtime import CLIENT_ADDRESS as SOCKET_ADDRESS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_keys")]


@database_sync_to_async
def hall_with_question(status="approved", **kw):
    session = factories.session(**kw)
    question = factories.question(session, status=status)
    participant, token = factories.participant(session.event)
    return session, question, participant, token


@database_sync_to_async
def new_participant(event):
    return factories.participant(event)


def http_vote(question, token):
    client = APIClient(REMOTE_ADDR=SOCKET_ADDRESS)
    client.credentials(HTTP_X_PARTICIPANT_TOKEN=token)
    return client.post(f"/api/v1/questions/{question.pk}/vote/")


@database_sync_to_async
def tally(question_id):
    question = Question.objects.get(pk=question_id)
    return question.vote_count, Vote.objects.filter(question_id=question_id).count()


async def identified(stream_client, session, token, **extra):
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    await client.send({"type": "identify", "token": token, **extra})
    answer = await client.receive_type("identified")
    assert set(answer) == {"type", "data"}  # a local frame: no seq, no epoch
    return client


async def test_vote_over_socket_is_committed_and_answered_with_tally(stream_client):
    session, question, participant, token = await hall_with_question()
    client = await identified(stream_client, session, token)

    await client.send({"type": "vote", "question": question.pk, "ref": "v1"})
    done = await client.receive_type("vote.done")

    assert done["data"] == {"ref": "v1", "question": question.pk, "voted": True, "votes": 1}
    assert await tally(question.pk) == (1, 1)
    update = await client.receive_type("votes.updated")
    assert update["data"] == {"votes": {str(question.pk): 1}}
    assert update["seq"] == client.frames[0]["seq"] + 1  # the stream's seq is untouched


async def test_vote_twice_counts_once_and_unvote_withdraws(stream_client):
    session, question, _, token = await hall_with_question()
    client = await identified(stream_client, session, token)

    for ref in ("a", "b"):
        await client.send({"type": "vote", "question": question.pk, "ref": ref})
        assert (await client.receive_type("vote.done"))["data"]["votes"] == 1
    await client.send({"type": "unvote", "question": question.pk, "ref": "c"})
    done = await client.receive_type("vote.done")

    assert done["data"] == {"ref": "c", "question": question.pk, "voted": False, "votes": 0}
    assert await tally(question.pk) == (0, 0)


async def test_vote_before_identify_is_refused_and_changes_nothing(stream_client):
    session, question, _, _ = await hall_with_question()
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    await client.send({"type": "vote", "question": question.pk, "ref": "x"})
    error = await client.receive_type("error")

    assert error["data"]["code"] == "vote.unidentified"
    assert error["data"]["ref"] == "x" and error["data"]["question"] == question.pk
    assert await tally(question.pk) == (0, 0)


async def test_identify_with_unknown_or_other_event_token_is_refused(stream_client):
    session, question, _, _ = await hall_with_question()
    _, _, _, stranger_token = await hall_with_question()  # a participant of another event
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    for token in ("not-a-token", stranger_token, 42, "x" * 500):
        await client.send({"type": "identify", "token": token})
        assert (await client.receive_type("error"))["data"]["code"] == "identify.invalid"
    await client.send({"type": "vote", "question": question.pk})
    assert (await client.receive_type("error"))["data"]["code"] == "vote.unidentified"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "vote"},
        {"type": "vote", "question": "12"},
        {"type": "vote", "question": True},
        {"type": "vote", "question": -1},
        {"type": "vote", "question": 2**70},
    ],
)
async def test_malformed_vote_gets_vote_invalid(stream_client, frame):
    session, question, _, token = await hall_with_question()
    client = await identified(stream_client, session, token)

    await client.send(frame)
    error = await client.receive_type("error")

    assert error["data"]["code"] == "vote.invalid"
    assert await tally(question.pk) == (0, 0)
    await client.send({"type": "ping"})
    assert (await client.receive_type("pong"))["type"] == "pong"  # the socket stays


async def test_vote_on_pending_or_foreign_question_is_refused(stream_client):
    session, pending, _, token = await hall_with_question(status="pending")
    _, foreign, _, _ = await hall_with_question()
    client = await identified(stream_client, session, token, lang="en")

    await client.send({"type": "vote", "question": pending.pk, "ref": "p"})
    not_public = await client.receive_type("error")
    await client.send({"type": "vote", "question": foreign.pk, "ref": "f"})
    not_found = await client.receive_type("error")

    assert not_public["data"]["code"] == "vote.not_public"
    assert not_public["data"]["message"] == "Only questions on screen can be voted on."
    assert not_found["data"]["code"] == "question.not_found"
    assert not_found["data"]["ref"] == "f"
    assert await tally(pending.pk) == (0, 0)
    assert await tally(foreign.pk) == (0, 0)


async def test_socket_errors_speak_vietnamese_by_default(stream_client):
    session, pending, _, token = await hall_with_question(status="pending")
    client = await identified(stream_client, session, token)

    await client.send({"type": "vote", "question": pending.pk})
    error = await client.receive_type("error")

    assert error["data"]["code"] == "vote.not_public"
    assert error["data"]["message"] != "Only questions on screen can be voted on."
    assert any(
        ch in error["data"]["message"]
        for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    )


@override_settings(
    REST_FRAMEWORK={
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "participant_vote": "3/min",
        },
    }
)
async def test_votes_past_the_participant_rate_are_throttled(stream_client):
    session, question, _, token = await hall_with_question()
    client = await identified(stream_client, session, token)

    for i in range(4):
        await client.send({"type": "vote", "question": question.pk, "ref": str(i)})
    answers = [await client.receive_type(("vote.done", "error")) for _ in range(4)]

    assert [a["type"] for a in answers].count("vote.done") == 3
    throttled = [a for a in answers if a["type"] == "error"]
    assert throttled[0]["data"]["code"] == "vote.throttled"
    assert throttled[0]["data"]["ref"] == "3"


async def test_many_sockets_voting_at_once_share_transactions_and_count_exactly(stream_client):
    session, question, _, _ = await hall_with_question()
    second = await database_sync_to_async(factories.question)(session, status="approved")
    phones = [await new_participant(session.event) for _ in range(30)]
    clients = [await identified(stream_client, session, token) for _, token in phones]
    rounds_before = consumers.vote_commits.rounds

    for client in clients:
        await client.send({"type": "vote", "question": question.pk})
        await client.send({"type": "vote", "question": second.pk})
    answers = [await c.receive_type("vote.done") for c in clients for _ in range(2)]

    assert {a["data"]["voted"] for a in answers} == {True}
    assert await tally(question.pk) == (30, 30)
    assert await tally(second.pk) == (30, 30)
    assert consumers.vote_commits.rounds - rounds_before < 60  # fewer transactions than votes
    # Every phone ends holding the committed tallies.
    for client in clients:
        while not await client.nothing_more(0.6):
            await client.receive()
        held = {}
        for frame in client.frames:
            if frame["type"] == "votes.updated":
                held.update(frame["data"]["votes"])
        assert held == {str(question.pk): 30, str(second.pk): 30}
        assert client.gaps == []


# ---- the service both paths use ----------------------------------------------------------------


def test_votes_apply_answers_each_change_in_order_and_last_change_wins():
    session = factories.session()
    open_q = factories.question(session, status="approved")
    pending = factories.question(session, status="pending")
    p1, _ = factories.participant(session.event)
    p2, _ = factories.participant(session.event)
    change = services.VoteChange
    event_id = session.event_id

    results = services.votes_apply(
        [
            change(p1.pk, event_id, open_q.pk, True),
            change(p2.pk, event_id, pending.pk, True),
            change(p2.pk, event_id, open_q.pk, True),
            change(p2.pk, event_id, open_q.pk, False),  # p2 changed their mind: last wins
            change(p1.pk, event_id + 1000, open_q.pk, True),  # not this participant's event
        ]
    )

    assert results[0] == results[2] == results[3] == 1
    assert results[1].code == "vote.not_public"
    assert results[4].code == "question.not_found"
    assert list(Vote.objects.values_list("participant_id", "question_id")) == [(p1.pk, open_q.pk)]


def test_votes_apply_recounts_a_drifted_tally_from_the_rows():
    session = factories.session()
    question = factories.question(session, status="approved")
    participant, _ = factories.participant(session.event)
    Question.objects.filter(pk=question.pk).update(vote_count=17)  # drifted

    (result,) = services.votes_apply(
        [services.VoteChange(participant.pk, session.event_id, question.pk, True)]
    )

    assert result == 1
    assert Question.objects.get(pk=question.pk).vote_count == 1


def test_votes_apply_with_only_refusals_writes_nothing():
    session = factories.session()
    participant, _ = factories.participant(session.event)

    (result,) = services.votes_apply(
        [services.VoteChange(participant.pk, session.event_id, 987654, True)]
    )

    assert result.code == "question.not_found"
    assert Vote.objects.count() == 0


async def test_group_commit_failure_reaches_every_item_and_later_rounds_run():
    from live.realtime.batch import GroupCommit

    calls = []

    def apply(items):
        calls.append(list(items))
        if "boom" in items:
            raise RuntimeError("database went away")
        return [item.upper() for item in items]

    commits = GroupCommit(apply)
    first = commits.submit("boom")
    await asyncio.sleep(0)  # the first round has started
    second, third = commits.submit("b"), commits.submit("c")
    results = await asyncio.gather(first, second, third, return_exceptions=True)

    assert isinstance(results[0], RuntimeError)
    assert results[1:] == ["B", "C"]
    assert calls == [["boom"], ["b", "c"]]  # what arrived during the first call went together


async def test_a_vote_of_a_participant_gone_meanwhile_is_refused_and_the_others_count(
    stream_client,
):
    session, question, participant, token = await hall_with_question()
    client = await identified(stream_client, session, token)
    other_participant, other_token = await new_participant(session.event)
    other = await identified(stream_client, session, other_token)
    # The identified participant disappears (its row deleted): its vote cannot be stored.
    await database_sync_to_async(Participant.objects.filter(pk=participant.pk).delete)()

    await client.send({"type": "vote", "question": question.pk, "ref": "gone"})
    await other.send({"type": "vote", "question": question.pk, "ref": "here"})
    error = await client.receive_type("error")
    done = await other.receive_type("vote.done")

    assert error["data"]["code"] == "participant.unknown" and error["data"]["ref"] == "gone"
    assert done["data"]["votes"] == 1
    assert await tally(question.pk) == (1, 1)
    await client.send({"type": "ping"})
    assert (await client.receive_type("pong"))["type"] == "pong"


# ---- one throttle for both doors ---------------------------------------------------------------


async def test_a_phone_over_several_sockets_and_reidentifying_gets_the_documented_burst(
    stream_client,
):
    """60 votes a minute per phone (THROTTLE_PARTICIPANT_VOTE), however many sockets it opens
    and however often it identifies again."""
    session, question, _, token = await hall_with_question()
    clients = [await identified(stream_client, session, token) for _ in range(3)]

    for round in range(2):
        for client in clients:
            await client.send({"type": "identify", "token": token, "ref": f"again-{round}"})
            for i in range(20):
                await client.send({"type": "vote", "question": question.pk, "ref": f"{round}-{i}"})
    answers = [
        await client.receive_type(("vote.done", "error"), timeout=10)
        for client in clients
        for _ in range(40)
    ]

    kinds = [a["data"]["code"] if a["type"] == "error" else a["type"] for a in answers]
    assert kinds.count("vote.done") == 60
    assert kinds.count("vote.throttled") == 60


async def test_socket_votes_count_against_the_ip_vote_limit_with_http_votes(stream_client):
    session, question, _, token = await hall_with_question()
    _, other_token = await new_participant(session.event)
    with rates(ip_vote="5/min"):
        phones = [await identified(stream_client, session, t) for t in (token, other_token)]
        for phone in phones:
            for i in range(3):
                await phone.send({"type": "vote", "question": question.pk, "ref": str(i)})
        answers = [
            await p.receive_type(("vote.done", "error"), timeout=10)
            for p in phones
            for _ in range(3)
        ]
        over_http = await database_sync_to_async(http_vote)(question, token)

    assert [a["type"] for a in answers].count("vote.done") == 5
    assert {a["data"]["code"] for a in answers if a["type"] == "error"} == {"vote.throttled"}
    assert over_http.status_code == 429  # the same address's counter, whichever door


async def test_http_votes_count_against_the_phone_limit_of_its_socket_votes(stream_client):
    session, question, _, token = await hall_with_question()
    with rates(participant_vote="2/min"):
        over_http = [await database_sync_to_async(http_vote)(question, token) for _ in range(2)]
        client = await identified(stream_client, session, token)
        await client.send({"type": "vote", "question": question.pk, "ref": "v"})
        refused = await client.receive_type(("vote.done", "error"), timeout=10)

    assert [r.status_code for r in over_http] == [200, 200]
    assert (refused["type"], refused["data"]["code"]) == ("error", "vote.throttled")
    assert refused["data"]["ref"] == "v"


async def test_identify_flood_on_one_socket_is_limited(stream_client):
    session, _, participant, token = await hall_with_question()
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    for i in range(30):
        await client.send({"type": "identify", "token": token, "ref": f"i{i}"})
    answers = [await client.receive_type(("identified", "error"), timeout=10) for _ in range(30)]

    assert answers[0]["data"] == {"ref": "i0", "participant": participant.pk, "ballots": {}}
    assert [a["type"] for a in answers].count("identified") == consumers.IDENTIFY_BURST
    refused = [a["data"] for a in answers if a["type"] == "error"]
    assert {r["code"] for r in refused} == {"identify.throttled"}
    assert refused[-1]["ref"] == "i29"


async def test_identified_and_its_errors_echo_the_ref(stream_client):
    session, _, participant, token = await hall_with_question()
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    await client.send({"type": "identify", "token": "nobody", "ref": "bad"})
    refused = await client.receive_type("error")
    await client.send({"type": "identify", "token": token, "ref": "good"})
    answer = await client.receive_type("identified")

    assert (refused["data"]["code"], refused["data"]["ref"]) == ("identify.invalid", "bad")
    assert answer["data"] == {"ref": "good", "participant": participant.pk, "ballots": {}}

"""Polls over the phone's socket (qa/consumers.py `ballot`) and on the streams: the answer,
every refusal, the group round, the phone's own ballot after a reconnect, the coalesced
`poll.results`, and a client that followed the messages holding what a fresh snapshot holds."""

import asyncio

import pytest

from live.realtime.db import database_sync_to_async
from qa import consumers, services
from qa.models import Ballot, BallotChoice
from tests import factories
from tests.qa.test_polls import make_poll, option_ids
from tests.realtime import state_of, token_header

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_keys")]


@database_sync_to_async
def hall_with_poll(**kw):
    session = factories.session()
    poll = make_poll(session, **{"state": "open", **kw})
    participant, token = factories.participant(session.event)
    return session, poll, option_ids(poll), participant, token


async def results_until(client, poll_id, voters, votes=None):
    """poll.results frames until one says this, then until the stream is quiet for half a
    second: every coalesced flush has run (a flush may re-arm its window once)."""
    while True:
        data = (await client.receive_type("poll.results", timeout=5))["data"]
        if data["poll"] == poll_id and data["voters"] == voters and votes in (None, data["votes"]):
            break
    while not await client.nothing_more(timeout=0.5):
        await client.receive()
    return data


async def identified(stream_client, session, token):
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    await client.send({"type": "identify", "token": token})
    return client, (await client.receive_type("identified"))["data"]


@database_sync_to_async
def stored(poll_id):
    return sorted(
        BallotChoice.objects.filter(poll_id=poll_id).values_list(
            "ballot__participant_id", "option_id"
        )
    )


async def test_ballot_over_socket_is_stored_answered_and_tallied(stream_client):
    session, poll, (a, b, c), participant, token = await hall_with_poll(results_shown=True)
    client, _ = await identified(stream_client, session, token)

    await client.send({"type": "ballot", "poll": poll.pk, "options": [b], "ref": "b1"})
    done = await client.receive_type("ballot.done")
    results = await client.receive_type("poll.results")

    assert done["data"] == {"ref": "b1", "poll": poll.pk, "options": [b]}
    assert await stored(poll.pk) == [(participant.pk, b)]
    assert results["data"] == {
        "poll": poll.pk,
        "voters": 1,
        "votes": {str(a): 0, str(b): 1, str(c): 0},
    }


async def test_ballot_changed_and_seen_again_after_a_reconnect(stream_client):
    session, poll, (a, b, c), participant, token = await hall_with_poll(
        kind="multiple", max_choices=2, results_shown=True
    )
    client, _ = await identified(stream_client, session, token)
    await client.send({"type": "ballot", "poll": poll.pk, "options": [a], "ref": "1"})
    await client.receive_type("ballot.done")
    await client.send({"type": "ballot", "poll": poll.pk, "options": [b, a], "ref": "2"})
    assert (await client.receive_type("ballot.done"))["data"]["options"] == [a, b]
    await results_until(client, poll.pk, 1, {str(a): 1, str(b): 1, str(c): 0})
    await client.disconnect()

    _, again = await identified(stream_client, session, token)

    assert again["ballots"] == {str(poll.pk): [a, b]}
    assert await stored(poll.pk) == sorted([(participant.pk, a), (participant.pk, b)])


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"poll": "x", "options": []}, "ballot.invalid"),
        ({"poll": 1, "options": "a"}, "ballot.invalid"),
        ({"poll": 1, "options": [True]}, "ballot.invalid"),
        ({"poll": 1, "options": list(range(1, 12))}, "ballot.invalid"),
    ],
)
async def test_malformed_ballot_is_refused(stream_client, message, code):
    session, _, _, _, token = await hall_with_poll()
    client, _ = await identified(stream_client, session, token)
    await client.send({"type": "ballot", "ref": "r", **message})
    error = await client.receive_type("error")
    assert (error["data"]["code"], error["data"]["ref"]) == (code, "r")


async def test_ballot_before_identify_is_refused(stream_client):
    session, poll, ids, _, _ = await hall_with_poll()
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    await client.send({"type": "ballot", "poll": poll.pk, "options": ids[:1], "ref": "r"})
    error = await client.receive_type("error")
    assert (error["data"]["code"], error["data"]["poll"]) == ("ballot.unidentified", poll.pk)


async def test_ballot_refusals_over_the_socket(stream_client):
    """Another session's poll, a closed one, an option of another poll, too many options."""
    session, poll, ids, _, token = await hall_with_poll()

    @database_sync_to_async
    def others():
        other_session = factories.session(factories.hall(session.event))
        elsewhere = make_poll(other_session, state="open")
        closed = make_poll(session, state="closed")
        sibling = make_poll(session, state="open")
        return elsewhere, closed, sibling

    elsewhere, closed, sibling = await others()
    client, _ = await identified(stream_client, session, token)
    cases = [
        (elsewhere.pk, await database_sync_to_async(option_ids)(elsewhere), "poll.not_found"),
        (closed.pk, await database_sync_to_async(option_ids)(closed), "poll.closed"),
        (poll.pk, (await database_sync_to_async(option_ids)(sibling))[:1], "poll.bad_option"),
        (poll.pk, ids[:2], "poll.too_many_choices"),
    ]
    for i, (poll_id, options, _) in enumerate(cases):
        await client.send(
            {"type": "ballot", "poll": poll_id, "options": options[:2], "ref": str(i)}
        )
    errors = [(await client.receive_type("error"))["data"] for _ in cases]

    assert sorted((e["ref"], e["code"]) for e in errors) == [
        (str(i), code) for i, (_, _, code) in enumerate(cases)
    ]
    assert await database_sync_to_async(Ballot.objects.count)() == 0


async def test_many_phones_ballots_commit_in_few_rounds_each_stored_once(stream_client):
    session, poll, (a, b, c), _, _ = await hall_with_poll(results_shown=True)
    phones = [await database_sync_to_async(factories.participant)(session.event) for _ in range(30)]
    clients = [(await identified(stream_client, session, token))[0] for _, token in phones]
    rounds_before = consumers.ballot_commits.rounds

    for i, client in enumerate(clients):
        await client.send({"type": "ballot", "poll": poll.pk, "options": [(a, b, c)[i % 3]]})
    await asyncio.gather(*(client.receive_type("ballot.done", timeout=10) for client in clients))

    assert consumers.ballot_commits.rounds - rounds_before < 30
    choices = await stored(poll.pk)
    assert len(choices) == 30 and len({p for p, _ in choices}) == 30
    assert sorted(o for _, o in choices) == sorted([a, b, c] * 10)
    # Every phone ends holding the stored tallies (coalesced poll.results, absolute counts).
    final = {"poll": poll.pk, "voters": 30, "votes": {str(a): 10, str(b): 10, str(c): 10}}
    for client in clients:
        while not await client.nothing_more(0.6):
            await client.receive()
        held = [f["data"] for f in client.frames if f["type"] == "poll.results"][-1]
        assert held == final
        assert client.gaps == []


async def drain(client) -> None:
    """Receive until nothing more comes for half a second (a coalescing window and more)."""
    while not await client.nothing_more(timeout=0.5):
        await client.receive()


async def test_a_client_that_followed_the_stream_holds_what_a_snapshot_holds(stream_client):
    """Poll messages share the stream's seq: a client applying them in order ends with the
    state of a client that connects afterwards (the phone, the display and the console)."""
    from live import services as live_services

    session, poll, ids, _, token = await hall_with_poll()
    moderator = await database_sync_to_async(factories.moderator)(session.event)
    api_token = await database_sync_to_async(live_services.api_token_issue)(user=moderator)
    paths = [
        (f"/ws/sessions/{session.pk}/", None),
        (f"/ws/halls/{session.hall_id}/display/", None),
        (f"/ws/sessions/{session.pk}/moderation/", token_header(api_token)),
    ]
    phone, _ = await identified(stream_client, session, token)
    display = await stream_client(*paths[1])
    console = await stream_client(*paths[2])
    call = database_sync_to_async

    await phone.send({"type": "ballot", "poll": poll.pk, "options": ids[:1], "ref": "b"})
    await phone.receive_type("ballot.done")
    for client in (phone, display, console):
        await client.receive_type("poll.results", timeout=5)
    second = await call(make_poll)(session)
    await call(services.poll_open)(poll_id=second.pk, actor=moderator)
    await call(services.poll_show)(poll_id=second.pk, actor=moderator)
    await call(services.poll_show_results)(poll_id=poll.pk, actor=moderator)
    await call(services.poll_close)(poll_id=poll.pk, actor=moderator)

    held = {}
    for client, (path, headers) in zip((phone, display, console), paths, strict=True):
        await drain(client)
        assert client.gaps == []
        fresh = await stream_client(path, headers)
        followed, snapshot = state_of(client.frames)["polls"], state_of(fresh.frames)["polls"]
        assert followed == snapshot
        held[path] = sorted(snapshot)
    # The closed poll left the phones and the display (not on screen); the console keeps it.
    assert list(held.values()) == [[second.pk], [second.pk], sorted([poll.pk, second.pk])]

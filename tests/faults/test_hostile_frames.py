"""Anonymous clients sending what no screen sends: deeply nested JSON under the frame limit,
huge frames, binary and invalid UTF-8 frames, floods of pings and votes. Each must be answered
as docs/protocol.md says (an error frame, or a close with a code the client can act on),
never crash its socket; and once they are gone, presence counts the honest screens only and
a broadcast reaches every screen promptly (no leaked hub members to serve)."""

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.faultclient import ACCEPTABLE_CLOSES, HOSTILE_KINDS, PING, hostile_frames
from tests.faults.harness import Fleet, Moderators, audience_at_work, settle, ws_options

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOSTILE_SOCKETS = 200
FLOOD = 150
# What to send and which closes a client can act on: one list for this test and the bench's
# larger run of the same scenario (bench/faultclient.py).
KINDS = HOSTILE_KINDS


@dataclass
class Outcome:
    kind: str
    server: str
    errors: list[str] = field(default_factory=list)
    pongs: int = 0
    answers: int = 0
    close: int | str | None = "open"

    def acceptable(self, pings: int, answers: int) -> bool:
        if self.close == "open":  # still open: it must have answered everything
            return self.pongs == pings and self.answers == answers
        if self.kind == "bad_utf8" and self.close is None:
            return True  # RFC 6455 8.1: the server may fail the connection by dropping it
        return self.close in ACCEPTABLE_CLOSES


async def hostile_socket(ws_url: str, path: str, kind: str, question: int) -> tuple[Outcome, bool]:
    """Send the hostile frames and one ping; wait for every answer or a close (bounded)."""
    outcome = Outcome(kind, ws_url)
    frames, pings, answers = hostile_frames(kind, question, FLOOD)
    pings += 1
    try:
        async with asyncio.timeout(15):
            async with connect(ws_url + path, **ws_options()) as ws:
                await ws.recv()  # the snapshot
                with contextlib.suppress(ConnectionClosed):
                    for payload, text in frames:
                        await ws.send(payload, text=text)
                    await ws.send(PING)
                while outcome.pongs < pings or outcome.answers < answers:
                    frame = json.loads(await ws.recv())
                    data = frame.get("data") or {}
                    if frame.get("type") == "pong":
                        outcome.pongs += 1
                    elif frame.get("type") == "error":
                        outcome.errors.append(data.get("code"))
                    if "seq" not in frame and "ref" in data:
                        outcome.answers += 1
    except ConnectionClosed as closed:
        outcome.close = closed.rcvd.code if closed.rcvd is not None else None
    except TimeoutError:
        outcome.close = "silent"
    return outcome, outcome.acceptable(pings, answers)


async def wait_presence(fleet: Fleet, phones: int, timeout: float) -> float:
    """Until every moderator console shows `phones` phones; the seconds it took."""
    started = time.monotonic()
    consoles = [c for c in fleet.clients if c.kind == "moderation"]
    while time.monotonic() - started < timeout:
        shown = {c.state.get("presence", {}).get("phones") for c in consoles}
        if shown == {phones}:
            return time.monotonic() - started
        await asyncio.sleep(0.25)
    shown = sorted({str(c.state.get("presence", {}).get("phones")) for c in consoles})
    raise AssertionError(
        f"presence shows {shown} phones {timeout}s on, there are {phones} honest ones"
    )


async def broadcast_time(moderators: Moderators, fleet: Fleet, session_id: int) -> float:
    """Approve a question; seconds until every phone and display shows it (bounded)."""
    question = moderators.pending[session_id][0]
    started = time.monotonic()
    assert await moderators.act("approve", session_id) == 200
    screens = [c for c in fleet.clients if c.kind != "moderation"]
    while time.monotonic() - started < 10:
        if all(question in c.state.get("questions", {}) for c in screens):
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    missing = [c.describe() for c in screens if question not in c.state.get("questions", {})]
    raise AssertionError(f"{len(missing)} screens never showed the approval: {missing[:2]}")


async def test_hostile_frames_leave_presence_and_broadcasts_as_they_were(fault_stack, venue):
    stack = fault_stack(generous_throttles=False)
    session_id = venue.session_ids[0]
    phones_path = venue.streams(0)[0].path
    gate = asyncio.Semaphore(25)
    kinds = itertools.cycle(KINDS)

    async def one(i: int):
        async with gate:
            url = stack.ws_urls[i % len(stack.ws_urls)]
            return await hostile_socket(url, phones_path, next(kinds), venue.public[session_id][0])

    screens = dict(phones=60, displays=10, moderators=6)
    async with audience_at_work(stack, venue, acting=False, **screens) as (fleet, moderators):
        honest_phones = screens["phones"]
        await wait_presence(fleet, honest_phones, 20)  # the count is right to begin with
        before = await broadcast_time(moderators, fleet, session_id)
        outcomes = await asyncio.gather(*(one(i) for i in range(HOSTILE_SOCKETS)))
        gone = time.monotonic()
        # One more honest phone: presence must then count exactly the honest ones, which
        # only a report made after the hostile sockets left (leaks included) can show.
        witness = fleet.add(venue.streams(0)[0], 1, stack.ws_urls)
        await fleet.start(witness)
        presence_back = await wait_presence(fleet, honest_phones + 1, 20)
        after = await broadcast_time(moderators, fleet, session_id)
        result = await settle(fleet, stack, since=gone, timeout=20)

    bad = sorted({(o.kind, str(o.close), tuple(o.errors[:2])) for o, ok in outcomes if not ok})
    print(
        f"\nhostile: {HOSTILE_SOCKETS} sockets; presence right {presence_back:.1f}s after; "
        f"broadcast {before * 1000:.0f} ms before, {after * 1000:.0f} ms after; "
        f"in sync {result.seconds:.1f}s"
    )
    assert bad == [], f"answered badly (kind, close, errors): {bad}\n{stack.log_excerpt(6)}"
    assert after < 5.0

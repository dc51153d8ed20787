"""Redis restarts under load (issue 10, items 1-3): the history is lost, so every screen must end
on the new epoch with a fresh snapshot; streams opened during the outage must be served after
it; no socket may be left open and silent."""

import asyncio
import time

import pytest

from tests.faults.harness import Fleet, add_audience, audience_at_work, settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The issue promises every client back within 10 s; a shared 2-core CI machine gets margin.
RECOVERY_BOUND = 25.0


def assert_no_silent_sockets(fleet: Fleet, stack) -> None:
    silent = fleet.silent()
    assert silent == [], (
        f"{len(silent)} of {len(fleet.clients)} sockets stopped answering pings without being "
        f"closed, e.g. {silent[0].describe()}\n{stack.log_excerpt()}"
    )
    assert fleet.unusable_closes() == [], fleet.unusable_closes()[:10]


async def test_redis_restart_brings_every_client_to_the_new_epoch(fault_stack, venue):
    stack = fault_stack()
    async with audience_at_work(stack, venue) as (fleet, moderators):
        old_epochs = {c.position[0] for c in fleet.clients}
        await asyncio.sleep(3)
        acted_before = moderators.succeeded
        stack.redis.stop()
        await asyncio.sleep(2)
        stack.redis.start()
        back = time.monotonic()
        await asyncio.sleep(3)  # moderators keep acting after the restart
        await moderators.stop()
        result = await settle(fleet, stack, since=back, timeout=RECOVERY_BOUND)

    print(f"\nredis restart: {len(fleet.clients)} clients recovered in {result.seconds:.1f}s")
    assert acted_before > 5 and moderators.succeeded > acted_before + 5, moderators.results
    new_epochs = {c.position[0] for c in fleet.clients}
    assert not new_epochs & old_epochs, (old_epochs, new_epochs)
    assert_no_silent_sockets(fleet, stack)


async def test_sockets_opening_new_streams_while_redis_is_down_are_served_after(fault_stack, venue):
    """Issue items 1 and 3: a stream first opened during the outage must not wedge the
    process (the subscriber's lock held across the wait for Redis) nor fail forever (a failed
    subscription cached): after Redis is back, the new sockets get their snapshot and every
    later message, and the old ones keep receiving."""
    stack = fault_stack()
    counts = dict(phones=50, displays=6, moderators=4)
    both = venue.session_ids
    async with audience_at_work(stack, venue, sessions=both, **counts) as (fleet, moderators):
        await asyncio.sleep(2)
        stack.redis.stop()
        # The second hall's session, display and moderation streams: no process follows them.
        second = add_audience(fleet, venue, stack.ws_urls, 1, **counts)
        await fleet.start(second)
        await asyncio.sleep(3)
        stack.redis.start()
        back = time.monotonic()
        await asyncio.sleep(4)  # moderators act on both sessions after Redis is back
        await moderators.stop()
        result = await settle(fleet, stack, since=back, timeout=RECOVERY_BOUND)

    print(f"\nnew streams during outage: {len(fleet.clients)} in sync after {result.seconds:.1f}s")
    assert moderators.results[("approve", 200)] > 4, moderators.results
    assert all(c.snapshots >= 1 for c in second)


async def test_failed_recovery_ends_in_a_close_the_client_can_act_on(fault_stack, venue):
    """Issue item 2: every socket asks for a snapshot while Redis is down. Each recovery fails;
    the socket must then be closed with a code the client acts on (not 1011, which Daphne
    refuses to send) or keep answering: none may stay open and silent, and all are back in
    sync after Redis returns."""
    stack = fault_stack()
    async with audience_at_work(stack, venue, acting=False) as (fleet, _):
        stack.redis.stop()
        sent = await asyncio.gather(*(client.resync() for client in fleet.clients))
        # Longer than a ping period and its pong timeout: a socket nobody serves shows.
        await asyncio.sleep(fleet.ping_every + fleet.pong_timeout + 1)
        assert all(sent)
        assert_no_silent_sockets(fleet, stack)  # during the outage
        stack.redis.start()
        back = time.monotonic()
        result = await settle(fleet, stack, since=back, timeout=RECOVERY_BOUND)

    print(f"\nfailed recoveries: {len(fleet.clients)} in sync {result.seconds:.1f}s after Redis")
    assert_no_silent_sockets(fleet, stack)

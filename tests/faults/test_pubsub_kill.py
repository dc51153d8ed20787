"""Redis drops every pub/sub connection (CLIENT KILL TYPE pubsub) while moderators act: each
process reconnects its subscription and catches its sockets up from the streams' history."""

import asyncio
import time

import pytest

from tests.faults.harness import audience_at_work, kill_pubsub, settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECOVERY_BOUND = 25.0


async def test_pubsub_connections_killed_while_moderators_act(fault_stack, venue):
    stack = fault_stack()
    killed = []
    async with audience_at_work(stack, venue) as (fleet, moderators):
        for _ in range(3):
            await asyncio.sleep(1.5)
            killed.append(kill_pubsub(stack.redis))
        last_kill = time.monotonic()
        await asyncio.sleep(2)
        await moderators.stop()
        result = await settle(fleet, stack, since=last_kill, timeout=RECOVERY_BOUND)

    print(f"\npub/sub killed {killed}: {len(fleet.clients)} in sync after {result.seconds:.1f}s")
    assert killed[0] >= len(stack.servers), killed  # every process's subscriber, at least
    assert moderators.succeeded >= 10, moderators.results
    assert fleet.silent() == [], fleet.silent()[0].describe()
    assert fleet.unusable_closes() == [], fleet.unusable_closes()[:10]

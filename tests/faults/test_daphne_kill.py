"""One Daphne process SIGKILLed under load: its clients reconnect to the other process with
their position and resume by replay (the history is in Redis), no snapshot needed."""

import asyncio
import time

import pytest

from tests.faults.harness import audience_at_work, settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECOVERY_BOUND = 25.0


async def test_sigkill_of_one_process_its_clients_resume_on_the_other(fault_stack, venue):
    stack = fault_stack()
    victim, survivor = stack.servers
    async with audience_at_work(stack, venue) as (fleet, moderators):
        await asyncio.sleep(2)
        moved = [c for c in fleet.clients if c.server == victim.ws_url]
        snapshots_before = {c.name: c.snapshots for c in moved}
        victim.kill()
        killed_at = time.monotonic()
        moderators.http_urls = stack.http_urls  # the load balancer takes it out
        await asyncio.sleep(4)
        await moderators.stop()
        result = await settle(fleet, stack, since=killed_at, timeout=RECOVERY_BOUND)

    print(f"\nSIGKILL: {len(moved)} clients moved, all in sync after {result.seconds:.1f}s")
    assert len(moved) >= 40
    assert {c.server for c in moved} == {survivor.ws_url}
    by_snapshot = [c.describe() for c in moved if c.snapshots != snapshots_before[c.name]]
    assert by_snapshot == [], f"{len(by_snapshot)} resumed with a snapshot, not a replay"
    assert moderators.succeeded >= 10, moderators.results
    assert fleet.silent() == [], fleet.silent()[0].describe()

"""The HTTP fallback under a burst, with the default settings (no DATABASE_POOL_SIZE, default
throttles): 300 phones vote at once over HTTP on two processes. Each vote is counted, or
refused as the API documents (JSON 429/503 with Retry-After) - never a 500 or an HTML page -
and the database holds exactly the votes that were answered as counted."""

import asyncio
import time

import httpx
import pytest
from channels.db import database_sync_to_async

from qa.models import Vote
from tests.faults.harness import Fleet, add_audience, settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONES = 300


async def join(http: httpx.AsyncClient, url: str, slug: str, gate: asyncio.Semaphore) -> str:
    async with gate:
        response = await http.post(f"{url}/api/v1/events/{slug}/join/", json={})
    assert response.status_code == 201, (response.status_code, response.text[:200])
    return response.json()["participant_token"]


def verdict(response: httpx.Response | Exception) -> str:
    """'counted', 'refused' (a documented refusal), or what went wrong."""
    if isinstance(response, Exception):
        return f"no answer: {type(response).__name__}"
    status, kind = response.status_code, response.headers.get("content-type", "")
    if status in (200, 201):
        return "counted"
    documented = status in (429, 503) and "Retry-After" in response.headers
    if documented and kind.startswith("application/json") and "code" in response.json():
        return "refused"
    return f"{status} {kind.split(';')[0]} {response.text[:60]!r}"


async def test_http_vote_burst_with_default_settings(fault_stack, venue):
    stack = fault_stack(generous_throttles=False)
    session_id = venue.session_ids[0]
    question = venue.public[session_id][0]
    fleet = Fleet()
    add_audience(fleet, venue, stack.ws_urls)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    try:
        await fleet.start()
        async with httpx.AsyncClient(timeout=30.0, limits=limits) as http:
            gate = asyncio.Semaphore(8)
            tokens = await asyncio.gather(
                *(join(http, stack.http_urls[i % 2], venue.event_slug, gate) for i in range(PHONES))
            )
            await fleet.wait_ready(30)
            started = time.monotonic()
            answers = await asyncio.gather(
                *(
                    http.post(
                        f"{stack.http_urls[i % 2]}/api/v1/questions/{question}/vote/",
                        headers={"X-Participant-Token": token},
                    )
                    for i, token in enumerate(tokens)
                ),
                return_exceptions=True,
            )
            burst_seconds = time.monotonic() - started
        done = time.monotonic()
        result = await settle(fleet, stack, since=done, timeout=20.0)
    finally:
        await fleet.stop()

    verdicts = [verdict(a) for a in answers]
    counted = verdicts.count("counted")
    wrong = sorted({v for v in verdicts if v not in ("counted", "refused")})
    stored = await database_sync_to_async(Vote.objects.filter(question_id=question).count)()
    print(
        f"\nHTTP burst: {counted} counted, {verdicts.count('refused')} refused of {PHONES} "
        f"in {burst_seconds:.1f}s; screens in sync {result.seconds:.1f}s later"
    )
    assert wrong == [], (
        f"{len(verdicts) - counted - verdicts.count('refused')} of {PHONES} votes got neither "
        f"a count nor a documented refusal: {wrong[:5]}\n{stack.log_excerpt(5)}"
    )
    assert stored == counted
    assert counted > 0

"""The HTTP fallback under a burst, with the default settings (no DATABASE_POOL_SIZE, default
throttles): 300 phones vote at once over HTTP on two processes. Each vote is counted, or
refused as the API documents (JSON 429/503 with Retry-After) - never a 500 or an HTML page -
and the database holds exactly the votes that were answered as counted."""

import asyncio
import time

import httpx
import pytest

from live.realtime.db import database_sync_to_async
from qa.models import Vote
from tests.faults.harness import audience_at_work, settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONES = 300


async def join(http: httpx.AsyncClient, url: str, slug: str, gate: asyncio.Semaphore) -> str:
    """A phone joins the event, as the phone page does: a documented refusal is retried after
    its Retry-After (a few times, bounded)."""
    for _ in range(5):
        async with gate:
            response = await http.post(f"{url}/api/v1/events/{slug}/join/", json={})
        if verdict(response) != "refused":
            break
        await asyncio.sleep(min(2.0, float(response.headers["Retry-After"])))
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
    question = venue.public[venue.session_ids[0]][0]
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    async with (
        audience_at_work(stack, venue, acting=False) as (fleet, _),
        httpx.AsyncClient(timeout=30.0, limits=limits) as http,
    ):
        gate = asyncio.Semaphore(8)
        urls = stack.http_urls
        tokens = await asyncio.gather(
            *(join(http, urls[i % 2], venue.event_slug, gate) for i in range(PHONES))
        )
        started = time.monotonic()
        answers = await asyncio.gather(
            *(
                http.post(
                    f"{urls[i % 2]}/api/v1/questions/{question}/vote/",
                    headers={"X-Participant-Token": token},
                )
                for i, token in enumerate(tokens)
            ),
            return_exceptions=True,
        )
        done = time.monotonic()
        result = await settle(fleet, stack, since=done, timeout=20.0)

    verdicts = [verdict(a) for a in answers]
    counted, refused = verdicts.count("counted"), verdicts.count("refused")
    wrong = [v for v in verdicts if v not in ("counted", "refused")]
    stored = await database_sync_to_async(Vote.objects.filter(question_id=question).count)()
    print(
        f"\nHTTP burst: {counted} counted, {refused} refused of {PHONES} in "
        f"{done - started:.1f}s; screens in sync {result.seconds:.1f}s later"
    )
    assert wrong == [], (
        f"{len(wrong)} of {PHONES} votes got neither a count nor a documented refusal: "
        f"{sorted(set(wrong))[:5]}\n{stack.log_excerpt(5)}"
    )
    assert stored == counted
    assert counted > 0

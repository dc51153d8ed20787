"""Fixtures of the fault suite: a Redis of the test's own, Daphne processes with production
settings pointed at it, and a venue in the test database. Every process is stopped in the
fixtures' teardown, whatever the test did."""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from rest_framework.authtoken.models import Token

from tests import factories
from tests.faults.harness import Stack, Venue
from tests.redis_process import RedisProcess
from tests.servers import DaphneServer

# One line per request in the captured log of a failure is noise.
logging.getLogger("httpx").setLevel(logging.WARNING)

# Throttles out of the way, for the scenarios that are not about them.
GENEROUS_THROTTLES = {
    "THROTTLE_PARTICIPANT_QUESTION": "100000/min",
    "THROTTLE_PARTICIPANT_VOTE": "100000/min",
    "THROTTLE_IP_QUESTION": "100000/min",
    "THROTTLE_IP_VOTE": "100000/min",
    "THROTTLE_IP_JOIN": "100000/hour",
    "THROTTLE_IP_JOIN_DAY": "1000000/day",
}


def production_env(redis_url: str, prefix: str, *, generous_throttles: bool) -> dict[str, str]:
    """What a deployment sets (README, docker-compose), on the test database: the production
    settings module, the Redis cache for throttles, the real-time defaults (not the faster
    ones of tests/settings.py). DATABASE_POOL_SIZE is left unset: the default is tested."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "fault-suite-secret-key-not-for-production",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "REDIS_URL": redis_url,
        "REALTIME_PREFIX": prefix,
        "REALTIME_COALESCE_MS": "500",
        "REALTIME_WATCHDOG_SECONDS": "5",
        "REALTIME_PRESENCE_SECONDS": "3",
        "LOG_LEVEL": "WARNING",
    }
    if generous_throttles:
        env.update(GENEROUS_THROTTLES)
    return env


@pytest.fixture
def fault_stack():
    """start(processes=2, generous_throttles=True) -> a Stack: a fresh redis-server on a free
    port and that many Daphne processes pointed at it, each with its own key prefix."""
    servers: list[DaphneServer] = []
    redises: list[RedisProcess] = []

    def start(processes: int = 2, generous_throttles: bool = True) -> Stack:
        redis_process = RedisProcess()
        redises.append(redis_process)
        redis_process.start()
        assert redis_process.port != 6379  # the shared Redis is never ours to stop
        env = production_env(
            redis_process.url,
            f"fault-{uuid.uuid4().hex[:8]}",
            generous_throttles=generous_throttles,
        )
        new = [DaphneServer(**env) for _ in range(processes)]
        servers.extend(new)
        with ThreadPoolExecutor(processes) as pool:
            list(pool.map(lambda server: server.start(timeout=60), new))
        return Stack(redis_process, new)

    yield start
    for server in servers:
        server.cleanup()
    for redis_process in redises:
        redis_process.cleanup()


@pytest.fixture
def venue(transactional_db) -> Venue:
    """An event with two halls, a live session in each (Q&A open, pre-moderation), questions
    waiting and approved, a moderator with an API token, and phones that joined."""
    event = factories.event()
    moderator = factories.moderator(event)
    halls = [factories.hall(event) for _ in range(2)]
    sessions = [factories.session(hall) for hall in halls]
    pending, public = {}, {}
    for session in sessions:
        pending[session.pk] = [factories.question(session).pk for _ in range(30)]
        public[session.pk] = [factories.question(session, status="approved").pk for _ in range(6)]
    return Venue(
        event_slug=event.slug,
        hall_ids=[h.pk for h in halls],
        session_ids=[s.pk for s in sessions],
        moderator_token=Token.objects.create(user=moderator).key,
        pending=pending,
        public=public,
        phone_tokens=[factories.participant(event)[1] for _ in range(40)],
    )

import asyncio
import json

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and cached state must not leak between tests."""
    from qa.selectors import forget_screening_matcher

    cache.clear()
    forget_screening_matcher()
    yield
    cache.clear()
    forget_screening_matcher()


@pytest.fixture
async def stream_client():
    """connect(path, headers=None) -> a connected StreamClient; all are closed after the test,
    and the event loop's hub (Redis subscription, tasks) is shut down cleanly."""
    from live.realtime.hub import close_hub
    from tests.realtime import StreamClient

    clients: list[StreamClient] = []

    async def connect(path: str, headers=None, expect_snapshot: bool = True) -> StreamClient:
        client = StreamClient(path, headers)
        assert await client.connect()
        clients.append(client)
        if expect_snapshot:
            first = await client.receive()
            assert first["type"] == "snapshot", first
        return client

    yield connect
    for client in clients:
        await client.disconnect()
    await close_hub()


@pytest.fixture
def memory_backend():
    """The in-memory realtime backend (one process, as `make run` without Redis) for this
    test, fresh and empty; the previous backend comes back after."""
    from live.realtime import backend as backend_module
    from live.realtime.memory_backend import MemoryBackend

    previous = backend_module._backend
    backend_module._backend = MemoryBackend(history=500)
    yield backend_module._backend
    backend_module._backend = previous


@pytest.fixture
def published(memory_backend):
    """published(stream) -> [(type, data)] of every message published on that stream during
    this test, read back from the (in-memory) backend's history as a client resuming would."""

    async def history(stream: str) -> list[str]:
        position = await memory_backend.position(stream)
        frames = await memory_backend.history_after(stream, position.epoch, 0)
        assert frames is not None, f"{stream}: history not kept"
        return frames

    def read(stream: str) -> list[tuple[str, dict]]:
        frames = [json.loads(frame) for frame in asyncio.run(history(stream))]
        return [(frame["type"], frame["data"]) for frame in frames]

    return read


@pytest.fixture
def realtime_keys():
    """Wipe this run's real-time keys in Redis (only ours: the per-run prefix)."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = settings.REALTIME["PREFIX"]

    def wipe():
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)

    wipe()
    yield client
    wipe()
    client.close()


@pytest.fixture
def redis_down(settings):
    """Redis is down: the cache (throttles, page cache) and REDIS_URL point at a redis-server
    that was started and stopped again (tests/redis_server.py). Yields its URL."""
    from tests.redis_server import stopped_redis_url

    url = stopped_redis_url()
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    return url


@pytest.fixture
def daphne():
    """start(**env) -> a running DaphneServer (real process, free port); all stopped after."""
    from tests.servers import DaphneServer

    servers: list[DaphneServer] = []

    def start(port: int | None = None, **env: str) -> DaphneServer:
        server = DaphneServer(port, **env).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.cleanup()


@pytest.fixture
def own_redis():
    """A real Redis of this test's own (tests/redis_process.py), stopped after."""
    from tests.redis_process import RedisProcess

    server = RedisProcess().start()
    yield server
    server.cleanup()


@pytest.fixture
def translate_server(settings):
    """A LibreTranslate-speaking server on a real socket (tests/translate_server.py), set as
    TRANSLATE_URL with a short timeout; whatever the pool still runs is awaited after."""
    from qa import translation
    from tests.translate_server import TranslateServer

    server = TranslateServer().start()
    settings.TRANSLATE_URL = server.url
    settings.TRANSLATE_API_KEY = ""
    settings.TRANSLATE_TIMEOUT = 1.0
    yield server
    translation.wait_idle(timeout=10)
    server.stop()

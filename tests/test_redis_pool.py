"""The cache's Redis connections are shared by every thread of a process."""

import threading

from django.conf import settings
from django.core.cache.backends.redis import RedisCache

from config.redis_pool import SharedConnectionPool


def _cache():
    options = settings.CACHES.get("default", {}).get("OPTIONS", {})
    return RedisCache(
        settings.REDIS_URL,
        {
            "KEY_PREFIX": settings.REALTIME["PREFIX"] + ":pooltest",
            "OPTIONS": {"pool_class": "config.redis_pool.SharedConnectionPool", **options},
        },
    )


def test_cache_objects_of_every_thread_share_one_pool():
    pools = []

    def use_cache():
        cache = _cache()
        cache.set("k", "giá trị", 5)
        assert cache.get("k") == "giá trị"
        pools.append(cache._cache._get_connection_pool(write=True))

    threads = [threading.Thread(target=use_cache) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(pools) == 8
    assert len({id(p) for p in pools}) == 1
    # Eight threads, one after another or together: never more connections than threads.
    assert len(pools[0]._available_connections) + len(pools[0]._in_use_connections) <= 8


def test_production_settings_use_the_shared_pool():
    # tests.settings swaps the cache for a local one; the production block is what ships.
    import importlib
    import os

    saved = dict(os.environ)
    os.environ.update(DJANGO_DEBUG="1", REDIS_URL=settings.REDIS_URL)
    try:
        import config.settings as production

        production = importlib.reload(production)
        pool_class = production.CACHES["default"]["OPTIONS"]["pool_class"]
        assert pool_class == f"{SharedConnectionPool.__module__}.{SharedConnectionPool.__name__}"
    finally:
        os.environ.clear()
        os.environ.update(saved)

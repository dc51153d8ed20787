"""One Redis connection pool per process for Django's cache.

Django keeps a cache object per thread, and under Daphne every HTTP request runs in a thread
of its own, so each request built a new pool and opened a new connection to Redis (about a
sixth of a join's CPU in the bench profile, issue #6). This pool class hands every cache
object of the process the same pool."""

import threading

import redis

_pools: dict[tuple, redis.ConnectionPool] = {}
_lock = threading.Lock()


class SharedConnectionPool(redis.ConnectionPool):
    @classmethod
    def from_url(cls, url: str, **kwargs) -> redis.ConnectionPool:
        key = (url, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = redis.ConnectionPool.from_url(url, **kwargs)
            return pool

"""The project's settings with the channel layer chosen by BENCH_LAYER, for the textbook
consumer's Daphne processes: pubsub (RedisPubSubChannelLayer), redis (RedisChannelLayer) or
memory (InMemoryChannelLayer, one process only)."""

import os

from config.settings import *  # noqa: F403
from config.settings import REDIS_MAX_CONNECTIONS, REDIS_URL

_LAYER = os.environ.get("BENCH_LAYER", "pubsub")
# redis-py 8 defaults (a 100-connection pool, a 5 s socket timeout) break both Redis layers
# under load (channels_redis issue 422); both get the fix the project's settings use.
_HOST = {
    "address": REDIS_URL,
    "socket_timeout": None,
    "socket_connect_timeout": 5,
    "max_connections": REDIS_MAX_CONNECTIONS,
}
_PREFIX = os.environ.get("REALTIME_PREFIX", "bench") + ":textbook"

if _LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [_HOST], "prefix": _PREFIX},
        }
    }
elif _LAYER == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [_HOST], "prefix": _PREFIX},
        }
    }
elif _LAYER == "memory":
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    raise ValueError(f"BENCH_LAYER must be pubsub, redis or memory, not {_LAYER!r}")

"""Throttles: the counters both doors share, and the error a throttle function raises.

An action's throttle function (qa/throttles.py: `throttle_join`, `throttle_ask`,
`throttle_votes`) says which counters the action goes through; this module counts them
(`count_requests`) and turns a refusal into `Throttled`, a domain error with the action's code
(`join.throttled`...) and the seconds to wait. The socket answers that code; the HTTP door
calls the same function through an `ActionThrottle`, which DRF answers with 429 `throttled`
and Retry-After."""

from __future__ import annotations

import time
from abc import ABCMeta, abstractmethod
from collections.abc import Sequence

from django.core.cache import cache as django_cache
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from live import metrics
from live.client_address import client_ip
from live.errors import DomainError

PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# A hit: one request of `ident` (an address, a participant id) under a rate's scope.
Hit = tuple[str, str]


class Throttled(DomainError):
    """Over a limit: `code` names the action (`vote.throttled`), `wait` is the seconds until
    the window that refused it closes."""

    status = 429

    def __init__(self, code: str, wait: float):
        super().__init__(
            _("Too many requests; try again in %(n)d s.") % {"n": max(1, round(wait))},
            code=code,
        )
        self.wait = wait


def throttle_rate(scope: str) -> tuple[int, int]:
    """REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope] as (number, seconds): "60/min" is
    (60, 60); a period may have a multiple, "2500/10min" is (2500, 600)."""
    number, period = api_settings.DEFAULT_THROTTLE_RATES[scope].split("/")
    multiple = period.rstrip("abcdefghijklmnopqrstuvwxyz")
    return int(number), int(multiple or 1) * PERIOD_SECONDS[period[len(multiple)]]


def refusal(verdicts: Sequence[tuple[bool, float]], *, code: str) -> Throttled | None:
    """The verdicts of one action's hits (count_requests) as one answer: Throttled with the
    longest wait if any hit is over its limit, else None. Every hit is counted either way."""
    refused = [wait for allowed, wait in verdicts if not allowed]
    if not refused:
        return None
    metrics.throttle_refused(code)
    return Throttled(code, max(refused))


def throttle(hits: Sequence[Hit], *, code: str) -> None:
    """Count an action's hits (in one round trip); raise Throttled(code) if one is over."""
    refused = refusal(count_requests(hits), code=code)
    if refused is not None:
        raise refused


def count_request(scope: str, ident: str) -> tuple[bool, float]:
    """One request of `ident` against the rate of `scope`: (allowed, seconds to wait)."""
    return count_requests([(scope, ident)])[0]


def count_requests(hits: Sequence[Hit]) -> list[tuple[bool, float]]:
    """Each hit (scope, ident) counted against the rate of its scope, in order: for each,
    (allowed, seconds to wait). The one accounting both doors use: an HTTP request counts its
    action's hits, a socket's round of votes (qa/consumers.py) all its votes' hits at once.

    A counter in the Django cache (Redis in production, shared by every process) for a
    window that opens with the caller's first request and lasts the rate's period. DRF's
    SimpleRateThrottle keeps a list of every request time per caller and rewrites it on each
    request: thousands of entries for a hall behind one NAT address, and lost updates under
    concurrency. Here an atomic increment counts, by the number of hits per key, and with
    Redis every key of the call goes in one Lua script (_COUNT): one round trip for a whole round of
    votes. Rates are read from settings REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] each time.
    Redis errors propagate (the caller answers 503: nothing is counted, nothing is done)."""
    rates = {scope: throttle_rate(scope) for scope in {scope for scope, _ in hits}}
    windows: dict[str, tuple[int, int]] = {}  # key -> (limit, seconds)
    wanted: dict[str, int] = {}  # key -> hits in this call
    for scope, ident in hits:
        key = f"throttle:{scope}:{ident or 'unknown'}"
        windows[key] = rates[scope]
        wanted[key] = wanted.get(key, 0) + 1
    backend = caches["default"]  # `cache` is a proxy: the backend says whether it is Redis
    if isinstance(backend, RedisCache):
        counted = _count_in_redis(backend, windows, wanted)
    else:
        counted = {key: _count_in_cache(key, windows[key][1], n) for key, n in wanted.items()}
    seen: dict[str, int] = {}
    verdicts = []
    for scope, ident in hits:
        key = f"throttle:{scope}:{ident or 'unknown'}"
        total, wait = counted[key]
        seen[key] = seen.get(key, 0) + 1
        position = total - wanted[key] + seen[key]  # this hit's number in the window
        verdicts.append((True, 0.0) if position <= windows[key][0] else (False, wait))
    return verdicts


# Per key: add the hits (INCRBY), open the window where this count started it (EXPIRE), read
# what is left of it (TTL); every key of a call in one script, so one round trip and one reply
# to parse for a whole round of votes (a pipeline of three commands per key cost ~55 µs of CPU
# per vote in Daphne's database thread: bench/throttle_cost.py).
_COUNT = """
local out = {}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i])
  local total = redis.call('INCRBY', key, ARGV[2 * i - 1])
  local ttl = redis.call('TTL', key)
  if ttl < 0 then
    redis.call('EXPIRE', key, window)
    ttl = window
  end
  out[2 * i - 1] = total
  out[2 * i] = ttl
end
return out
"""


def _count_in_redis(backend: RedisCache, windows: dict, wanted: dict) -> dict:
    """Every key's count in one Lua script (_COUNT). Values are plain integers, as Django's
    RedisCache stores them, so cache.get reads them too."""
    client = backend._cache.get_client(write=True)
    keys = list(wanted)
    args = [value for key in keys for value in (wanted[key], windows[key][1])]
    replies = client.register_script(_COUNT)(keys=[backend.make_key(k) for k in keys], args=args)
    return {key: (replies[2 * i], float(max(1, replies[2 * i + 1]))) for i, key in enumerate(keys)}


def _count_in_cache(key: str, seconds: int, n: int) -> tuple[int, float]:
    """The same with the Django cache API alone (one process: the local memory cache)."""
    now = time.time()
    if django_cache.add(key, 0, timeout=seconds):
        django_cache.set(f"{key}:start", now, timeout=seconds)
    try:
        total = django_cache.incr(key, n)
    except ValueError:  # the window closed between add and incr
        django_cache.add(key, n, timeout=seconds)
        django_cache.set(f"{key}:start", now, timeout=seconds)
        total = n
    start = django_cache.get(f"{key}:start", now)
    return total, max(1.0, start + seconds - now)


# ---- the HTTP door ------------------------------------------------------------------------------


class ActionThrottle(BaseThrottle, metaclass=ABCMeta):
    """A DRF throttle that runs an action's throttle function, the one the socket command
    runs too: `check(request)` calls it; the Throttled it raises becomes DRF's 429 `throttled`
    with Retry-After (the error format's code for every HTTP throttle)."""

    _wait: float | None = None

    @abstractmethod
    def check(self, request: Request) -> None:
        """Call the action's throttle function for this request (qa/permissions.py)."""

    def allow_request(self, request: Request, view) -> bool:
        try:
            self.check(request)
        except Throttled as refused:
            self._wait = refused.wait
            return False
        return True

    def wait(self) -> float | None:
        return self._wait


class IPThrottle(BaseThrottle):
    """Counts requests per client IP (see live.client_address) under `scope`."""

    scope = ""

    def allow_request(self, request: Request, view) -> bool:
        allowed, self._wait = count_request(self.scope, client_ip(request) or "unknown")
        if not allowed:
            metrics.throttle_refused(f"{self.scope.removeprefix('ip_')}.throttled")
        return allowed

    def wait(self) -> float:
        return self._wait


class IPAuthThrottle(IPThrottle):
    """Moderator sign-in: password guessing (HTTP only)."""

    scope = "ip_auth"

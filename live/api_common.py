"""What every API view shares: the error format, the client's IP, the throttles and the
moderator check.

Errors always look like {"code": "...", "detail": "..."}: a fixed code for programs, a human
message (in the request's language) for people. Validation errors add "fields". An app can
register extra data for its own errors (qa adds the current question to a version conflict)
without this module knowing about it."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from functools import cache

import redis
from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from live.errors import DomainError
from live.parsers import PayloadTooLarge
from live.selectors import user_can_moderate

log = logging.getLogger(__name__)


class ServiceUnavailable(exceptions.APIException):
    """Redis or the database is out of reach (or the connection pool stayed full): the
    request changed nothing and may be sent again after `wait` seconds (Retry-After)."""

    status_code = 503
    default_detail = _("The service is briefly unavailable; nothing was changed. Try again.")
    default_code = "service.unavailable"
    wait = 5


# What a request meets when a part it needs is down, not when our code is wrong: the database
# unreachable, too busy or its pool's wait timed out (psycopg-pool's PoolTimeout reaches us as
# Django's OperationalError), Redis refusing or timing out (the cache holds the throttles).
UNAVAILABLE_ERRORS = (
    OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)

# Fixed codes for the errors DRF itself raises.
DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "auth.required",
    exceptions.AuthenticationFailed: "auth.failed",
    exceptions.PermissionDenied: "auth.forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "parse_error",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "invalid",
    PayloadTooLarge: PayloadTooLarge.default_code,
    ServiceUnavailable: ServiceUnavailable.default_code,
}

SERVER_ERROR_DETAIL = _("Something went wrong on our side.")

# DomainError subclass -> function returning extra keys for its error body.
error_extras: dict[type[DomainError], Callable[[DomainError], dict]] = {}


def error_body(code: str, detail) -> dict:
    return {"code": code, "detail": str(detail)}


def error_fields(detail):
    """DRF's nested ErrorDetail structure as plain strings, lists and dicts."""
    if isinstance(detail, dict):
        return {key: error_fields(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [error_fields(value) for value in detail]
    return str(detail)


def api_exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: domain errors and DRF's own, one JSON shape."""
    if isinstance(exc, DomainError):
        body = error_body(exc.code, exc.message)
        for kind, extra in error_extras.items():
            if isinstance(exc, kind):
                body.update(extra(exc))
        set_rollback()
        return Response(body, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, UNAVAILABLE_ERRORS):
        log.warning("%s answered 503: %s", _request_line(context), type(exc).__name__)
        exc = ServiceUnavailable()
    response = drf_exception_handler(exc, context)
    if response is None:  # a bug: logged with its traceback, never str(exception) to the client
        log.error("%s failed", _request_line(context), exc_info=exc)
        set_rollback()
        return Response(error_body("server.error", SERVER_ERROR_DETAIL), status=500)
    if isinstance(exc, exceptions.ValidationError):
        fields = error_fields(exc.detail) if isinstance(exc.detail, dict) else {}
        messages = exc.detail if isinstance(exc.detail, list) else []
        summary = str(messages[0]) if messages else _("Some fields are not valid.")
        response.data = {"code": "invalid", "detail": str(summary), "fields": fields}
        return response
    code = _custom_code(exc) or next(
        (c for kind, c in DRF_CODES.items() if isinstance(exc, kind)), "error"
    )
    detail = exc.detail if not isinstance(exc.detail, list | dict) else exc.default_detail
    response.data = error_body(code, detail)
    return response


def _request_line(context) -> str:
    request = context.get("request")
    return f"{request.method} {request.path}" if request is not None else "an API view"


def _custom_code(exc: exceptions.APIException) -> str | None:
    """A code given where the error was raised (e.g. "moderation.forbidden")."""
    code = getattr(exc.detail, "code", None)
    if code and code != exc.default_code and "." in str(code):
        return str(code)
    return None


# ---- who is calling ---------------------------------------------------------------------------


@cache
def _trusted_networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str:
    """The caller's address. X-Forwarded-For is believed only when the request arrives from a
    trusted proxy (settings.TRUSTED_PROXIES, addresses or networks); then the right-most entry
    that is not itself a trusted proxy is the client (what the proxy saw, not what the client
    claimed)."""
    return forwarded_client(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", "")
    )


def scope_client_ip(scope) -> str:
    """client_ip for a WebSocket's ASGI scope."""
    remote = (scope.get("client") or [""])[0] or ""
    forwarded = ",".join(
        value.decode("latin1")
        for name, value in scope.get("headers", ())
        if name == b"x-forwarded-for"
    )
    return forwarded_client(remote, forwarded)


def forwarded_client(remote: str, forwarded: str) -> str:
    if not _is_trusted(remote):
        return remote
    for entry in reversed([e.strip() for e in forwarded.split(",") if e.strip()]):
        try:
            ipaddress.ip_address(entry)
        except ValueError:
            break
        if not _is_trusted(entry):
            return entry
    return remote


# ---- throttles ---------------------------------------------------------------------------------


PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def throttle_rate(scope: str) -> tuple[int, int]:
    """REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope] as (number, seconds): "60/min" is
    (60, 60); a period may have a multiple, "2500/10min" is (2500, 600)."""
    number, period = api_settings.DEFAULT_THROTTLE_RATES[scope].split("/")
    multiple = period.rstrip("abcdefghijklmnopqrstuvwxyz")
    return int(number), int(multiple or 1) * PERIOD_SECONDS[period[len(multiple)]]


def count_request(scope: str, ident: str) -> tuple[bool, float]:
    """One request of `ident` against the rate of `scope`: (allowed, seconds to wait)."""
    return count_requests([(scope, ident)])[0]


def count_requests(hits: list[tuple[str, str]]) -> list[tuple[bool, float]]:
    """Each hit (scope, ident) counted against the rate of its scope, in order: for each,
    (allowed, seconds to wait). The one accounting both doors use: the HTTP throttles count
    one request at a time, the socket's rounds (qa/consumers.py) all their hits at once.

    A counter in the Django cache (Redis in production, shared by every process) for a
    window that opens with the caller's first request and lasts the rate's period. DRF's
    SimpleRateThrottle keeps a list of every request time per caller and rewrites it on each
    request: thousands of entries for a hall behind one NAT address, and lost updates under
    concurrency. Here an atomic increment counts, by the number of hits per key, and with
    Redis every key of the call goes in one pipeline: one round trip for a whole round of
    votes. Rates are read from settings REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] each time.
    Redis errors propagate (the caller answers 503: nothing is counted, nothing is done)."""
    windows: dict[str, tuple[int, int]] = {}  # key -> (limit, seconds)
    wanted: dict[str, int] = {}  # key -> hits in this call
    for scope, ident in hits:
        key = f"throttle:{scope}:{ident or 'unknown'}"
        windows[key] = throttle_rate(scope)
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


def _count_in_redis(backend: RedisCache, windows: dict, wanted: dict) -> dict:
    """Per key: open the window if it is not (SET NX EX), add the hits (INCRBY), read what
    is left of it (TTL); all keys in one pipeline. Values are plain integers, as Django's
    RedisCache stores them, so cache.get reads them too."""
    client = backend._cache.get_client(write=True)
    real_keys = {key: backend.make_and_validate_key(key) for key in wanted}
    pipe = client.pipeline(transaction=False)
    for key, n in wanted.items():
        pipe.set(real_keys[key], 0, ex=windows[key][1], nx=True)
        pipe.incrby(real_keys[key], n)
        pipe.ttl(real_keys[key])
    replies = pipe.execute()
    counted = {}
    for i, key in enumerate(wanted):
        total, ttl = replies[3 * i + 1], replies[3 * i + 2]
        if ttl < 0:  # the window expired between SET and INCRBY: this count opens the next
            client.expire(real_keys[key], windows[key][1])
            ttl = windows[key][1]
        counted[key] = (total, float(max(1, ttl)))
    return counted


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


# A hall of 2,000 phones behind one venue NAT address joins in the same minute; a script on
# one address must not mint the whole hourly quota in seconds. So three windows, checked
# together: a burst (default 2,500 per 10 minutes: one hall and its re-joins), the hour
# (3,000) and the day (10,000). A script gets 2,500 at once, then waits ten minutes.
JOIN_SCOPES = ("ip_join_burst", "ip_join", "ip_join_day")


def join_allowed(ip: str) -> tuple[bool, float]:
    """A new identity from `ip`, counted in every join window (both doors use this)."""
    verdicts = count_requests([(scope, ip) for scope in JOIN_SCOPES])
    refused = [wait for allowed, wait in verdicts if not allowed]
    return (False, max(refused)) if refused else (True, 0.0)


class IPThrottle(BaseThrottle):
    """Counts requests per client IP (see `client_ip`) under `scope`."""

    scope = ""

    def allow_request(self, request: Request, view) -> bool:
        allowed, self._wait = count_request(self.scope, client_ip(request) or "unknown")
        return allowed

    def wait(self) -> float:
        return self._wait


class IPJoinThrottle(BaseThrottle):
    """Every join window (JOIN_SCOPES) in one count, as the socket's join counts them."""

    def allow_request(self, request: Request, view) -> bool:
        allowed, self._wait = join_allowed(client_ip(request) or "unknown")
        return allowed

    def wait(self) -> float:
        return self._wait


class IPAuthThrottle(IPThrottle):
    scope = "ip_auth"


# ---- moderators --------------------------------------------------------------------------------


class ModeratorCandidate(BasePermission):
    """Permission for the moderation endpoints, before the object is known: a signed-in user.
    Anonymous callers get 401, participants 403. Which event the user may moderate is
    checked by `ensure_moderator` once the view knows the event."""

    message = _("Only moderators of this event can do this.")
    code = "moderation.forbidden"

    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)


def ensure_moderator(request: Request, *, event_id: int) -> None:
    """401 for anonymous callers, 403 for everybody who may not moderate this event
    (participants, moderators of another event): live.selectors.user_can_moderate decides."""
    if user_can_moderate(request.user, event_id=event_id):
        return
    if not request.user.is_authenticated and request.successful_authenticator is None:
        raise exceptions.NotAuthenticated()
    raise exceptions.PermissionDenied(ModeratorCandidate.message, code=ModeratorCandidate.code)


# ---- schema -------------------------------------------------------------------------------------

ERROR_DESCRIPTIONS = {
    400: "Invalid request: `invalid` (with `fields`) or a domain code.",
    401: "`auth.required`, `auth.failed` or `participant.invalid_token`.",
    403: "`auth.forbidden`, `moderation.forbidden` or `participant.required`.",
    404: "`not_found` or a domain code such as `question.not_found`.",
    409: "A domain conflict, e.g. `qa.closed` or `question.version_conflict`.",
    429: "`throttled`; the `Retry-After` header says how many seconds to wait.",
}


def error_responses(*statuses: int) -> dict:
    """OpenAPI responses for the error statuses an endpoint can answer."""
    from drf_spectacular.utils import OpenApiResponse

    from live.serializers import ErrorSerializer, ValidationErrorSerializer

    return {
        status: OpenApiResponse(
            ValidationErrorSerializer if status == 400 else ErrorSerializer,
            description=ERROR_DESCRIPTIONS[status],
        )
        for status in statuses
    }

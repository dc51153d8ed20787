"""Views of the site as a whole: the probes a load balancer calls, and the error handlers.

`/healthz` is liveness: the process runs and answers (restart it if not). `/readyz` is
readiness: this process can serve, because the database and Redis answer; a load balancer
takes a process that answers 503 out of its pool until it answers 200 again. `/metrics` is
this process's counters for Prometheus (live/metrics.py), for trusted callers only.

Errors under /api/ answer in the API's format, `{"code", "detail"}`, whatever raised them
(the DRF exception handler covers the API views; these handlers cover what happens before a
view runs: an unknown path, a body too large for Django, a crash in a middleware). Pages get
Django's plain error pages (never the debug pages: DEBUG is off in production)."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from rest_framework import exceptions

from live import metrics as live_metrics
from live.api_errors import SERVER_ERROR_DETAIL, ServiceUnavailable
from live.parsers import PayloadTooLarge

log = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 2


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def database_ready(db=connection) -> bool:
    try:
        with db.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        log.warning("readiness: the database does not answer", exc_info=True)
        return False


def redis_ready(url: str) -> bool:
    """A PING on a connection of its own with a short timeout: the probe must answer even
    when Redis hangs instead of refusing."""
    if not url:
        return True  # one process with the in-memory layer: nothing to wait for
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
    )
    try:
        return bool(client.ping())
    except (redis.exceptions.RedisError, OSError):
        log.warning("readiness: Redis does not answer", exc_info=True)
        return False
    finally:
        client.close()


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    checks = {
        "database": "ok" if database_ready() else "unavailable",
        "redis": "ok" if redis_ready(settings.REDIS_URL) else "unavailable",
    }
    if all(state == "ok" for state in checks.values()):
        return JsonResponse({"status": "ready", "checks": checks})
    failed = ", ".join(name for name, state in checks.items() if state != "ok")
    response = JsonResponse(
        {
            "code": ServiceUnavailable.default_code,
            "detail": f"Unavailable: {failed}.",
            "checks": checks,
        },
        status=503,
    )
    response["Retry-After"] = str(ServiceUnavailable.wait)
    return response


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus text format; 403 without detail for an untrusted caller."""
    if not live_metrics.may_scrape(request):
        return HttpResponseForbidden()
    return HttpResponse(live_metrics.exposition(), content_type=live_metrics.CONTENT_TYPE)


# ---- error handlers (config/urls.py: handler400, handler404, handler500) ------------------------


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _api_error(code: str, detail, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "detail": str(detail)}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return _api_error(PayloadTooLarge.default_code, PayloadTooLarge.default_detail, 413)
    return _api_error("bad_request", exceptions.ParseError.default_detail, 400)


def api_path_not_found(request: HttpRequest) -> HttpResponse:
    return _api_error("not_found", exceptions.NotFound.default_detail, 404)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return _api_error("not_found", exceptions.NotFound.default_detail, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if not _is_api(request):
        return defaults.server_error(request)
    return _api_error("server.error", SERVER_ERROR_DETAIL, 500)

"""The error format: what a client gets when the API (or a socket command) refuses.

Errors always look like {"code": "...", "detail": "..."}: a fixed code for programs, a human
message (in the request's language) for people. Validation errors add "fields". An app can
register extra data for its own errors (`register_error_extra`, from its AppConfig.ready(): qa
adds the current question to a version conflict) without this module knowing about it.
`error_responses` describes the same shapes in the OpenAPI schema."""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from live.errors import DomainError
from live.parsers import PayloadTooLarge

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


def register_error_extra(kind: type[DomainError], extra: Callable[[DomainError], dict]) -> None:
    """Add extra(exc) to the body of every `kind` error (called from an AppConfig.ready())."""
    error_extras[kind] = extra


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
        if exc.field:
            body["fields"] = {exc.field: [str(exc.message)]}
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


# ---- in the OpenAPI schema ---------------------------------------------------------------------

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

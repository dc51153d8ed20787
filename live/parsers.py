"""The API's JSON parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]). A module of its own: DRF
imports it while loading its settings, so it must not import rest_framework.views."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from live.realtime.envelope import loads_bounded


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = _("The request body is too large.")
    default_code = "request.too_large"


class BoundedJSONParser(JSONParser):
    """JSON bodies bounded before parsing, in size (MAX_BYTES: a body of this API is a few
    hundred bytes, a bulk action of 500 ids a few KB) and in nesting depth
    (envelope.loads_bounded: a few KB of brackets exhaust the recursion limit of json.loads,
    which was a 500). Both answer in the error format: 413 `request.too_large`, 400
    `parse_error`."""

    MAX_BYTES = 64 * 1024

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(self.MAX_BYTES + 1) if stream is not None else b""
        if len(raw) > self.MAX_BYTES:
            raise PayloadTooLarge()
        try:
            return loads_bounded(raw)
        except ValueError:
            raise exceptions.ParseError(_("The body is not valid JSON.")) from None

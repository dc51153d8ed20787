"""Who a phone is on the API.

A phone joins an event once and then sends `X-Participant-Token: <token>` with every call.
The participant is an *authentication* (DRF puts it in `request.auth`, the user stays
anonymous), so DRF answers 403 rather than 401 when a participant reaches a moderator-only
endpoint, and 401 only when nobody identified themselves.

Listed in REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"], so this module is imported while
rest_framework.views loads: it must not import DRF views (nor anything that does)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from qa.selectors import participant_for_token

HEADER = "HTTP_X_PARTICIPANT_TOKEN"


class ParticipantAuthentication(BaseAuthentication):
    def authenticate(self, request):
        token = request.META.get(HEADER)
        if token is None:
            return None
        participant = participant_for_token(token=token.strip())
        if participant is None:
            raise exceptions.AuthenticationFailed(
                _("This phone's identity is unknown; join the event again."),
                code="participant.invalid_token",
            )
        return AnonymousUser(), participant

    def authenticate_header(self, request) -> str:
        return "X-Participant-Token"

"""What a phone may do on the API: the participant permission, the HTTP door of the phone's
throttle functions (qa/throttles.py), and the OpenAPI description of the participant token
(qa/authentication.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from live.client_address import client_ip
from live.throttling import ActionThrottle
from qa.models import Participant
from qa.throttles import throttle_ask, throttle_join, throttle_votes


class ParticipantAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "qa.authentication.ParticipantAuthentication"
    name = "participantToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Participant-Token"}


def request_participant(request: Request) -> Participant | None:
    return request.auth if isinstance(request.auth, Participant) else None


class IsParticipant(BasePermission):
    """Only a phone that joined the event (401 without a token, 403 for a signed-in user)."""

    message = _("Join the event first: this is for the audience's phones.")
    code = "participant.required"

    def has_permission(self, request: Request, view) -> bool:
        return request_participant(request) is not None


# DRF checks throttles after permissions: the ask and vote throttles below only meet requests
# IsParticipant let through, so a participant is there.


class JoinThrottle(ActionThrottle):
    def check(self, request: Request) -> None:
        throttle_join(ip=client_ip(request))


class AskThrottle(ActionThrottle):
    def check(self, request: Request) -> None:
        client_id = request.data.get("client_id") if isinstance(request.data, dict) else None
        throttle_ask(
            participant_id=request_participant(request).pk,
            ip=client_ip(request),
            client_id=client_id,
        )


class VoteThrottle(ActionThrottle):
    def check(self, request: Request) -> None:
        refused = throttle_votes([(request_participant(request).pk, client_ip(request))])[0]
        if refused is not None:
            raise refused

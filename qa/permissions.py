"""What a phone may do on the API: the participant permission and throttles, and the
OpenAPI description of the participant token (qa/authentication.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from live.api_common import IPThrottle, count_request
from qa.models import Participant, Question


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


class ParticipantThrottle(BaseThrottle):
    """Counts a participant's requests under `scope`; callers without a participant token are
    left to the IP throttles."""

    scope = ""

    def allow_request(self, request: Request, view) -> bool:
        participant = request_participant(request)
        if participant is None:
            return True
        allowed, self._wait = count_request(self.scope, str(participant.pk))
        return allowed

    def wait(self) -> float:
        return self._wait


def is_question_retry(participant_id: int, client_id) -> bool:
    """A retry of a question already stored (same client_id) is not a new question, so the
    question throttles do not count it: a phone on bad Wi-Fi must always get its answer back."""
    return (
        isinstance(client_id, str)
        and bool(client_id)
        and Question.objects.filter(participant_id=participant_id, client_id=client_id).exists()
    )


class ParticipantQuestionThrottle(ParticipantThrottle):
    scope = "participant_question"

    def allow_request(self, request: Request, view) -> bool:
        participant = request_participant(request)
        client_id = request.data.get("client_id") if isinstance(request.data, dict) else None
        if participant is not None and is_question_retry(participant.pk, client_id):
            return True
        return super().allow_request(request, view)


class ParticipantVoteThrottle(ParticipantThrottle):
    scope = "participant_vote"


class IPQuestionThrottle(IPThrottle):
    scope = "ip_question"


class IPVoteThrottle(IPThrottle):
    scope = "ip_vote"

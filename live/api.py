"""The event, session and sign-in endpoints. Thin: validate, call one service, serialise."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import authenticate
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status as http
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from live import selectors, services
from live.api_errors import error_responses
from live.broadcast import stage_message_data
from live.enums import Capability
from live.errors import DomainError
from live.models import Event, Hall
from live.permissions import ModeratorCandidate, ensure_may, ensure_moderator
from live.representations import event_data, hall_data, session_data
from live.serializers import (
    EventDetailSerializer,
    HallConflictSerializer,
    HallPatchSerializer,
    HallSerializer,
    SessionConflictSerializer,
    SessionPatchSerializer,
    SessionSerializer,
    StageKeySerializer,
    StageMessageRequestSerializer,
    StageMessageSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from live.throttling import IPAuthThrottle


def get_session(session_id: int):
    session = selectors.sessions_with_people().filter(pk=session_id).first()
    if session is None:
        raise DomainError(_("No such session."), code="session.not_found", status=404)
    return session


class TokenView(APIView):
    """A moderator's API token, for `Authorization: Token <key>`."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [IPAuthThrottle]

    @extend_schema(
        operation_id="auth_token",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **error_responses(400, 429)},
        auth=[],
    )
    def post(self, request):
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=form.validated_data["username"],
            password=form.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise DomainError(
                _("Wrong user name or password."), code="auth.invalid_credentials", status=400
            )
        return Response({"token": services.api_token_issue(user=user)})


class EventView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="event_detail",
        responses={200: EventDetailSerializer, **error_responses(404)},
    )
    def get(self, request, slug: str):
        event = Event.objects.filter(slug=slug).first()
        if event is None:
            raise DomainError(_("No such event."), code="event.not_found", status=404)
        data = event_data(event)
        data["halls"] = [hall_data(h) for h in selectors.halls_of(event=event)]
        data["sessions"] = [
            session_data(s) for s in selectors.event_sessions_live_first(event=event)
        ]
        return Response(data)


class ReadForAllWriteForModerators(APIView):
    """GET for anyone; PATCH for a signed-in user, checked against the object's event by the
    view (ensure_moderator)."""

    def get_permissions(self):
        if self.request.method == "PATCH":
            return [ModeratorCandidate()]
        return [AllowAny()]


def version_conflict(exc: DomainError, **current: dict) -> Response:
    """409 with the object as it is now (`session=...`, `hall=...`), for the client to show."""
    return Response(
        {"code": exc.code, "detail": str(exc.message), **current}, status=http.HTTP_409_CONFLICT
    )


# Which capability each field of a session PATCH needs, beyond moderating the event (the
# role table: a moderator may open and close Q&A, only an organiser runs the session).
SESSION_FIELD_CAPABILITY = {
    "qa_open": Capability.OPEN_CLOSE_QA,
    "status": Capability.RUN_SESSIONS,
    "moderation": Capability.RUN_SESSIONS,
}


class SessionView(ReadForAllWriteForModerators):
    @extend_schema(
        operation_id="session_detail",
        responses={200: SessionSerializer, **error_responses(404)},
    )
    def get(self, request, session_id: int):
        return Response(session_data(get_session(session_id)))

    @extend_schema(
        operation_id="session_update",
        request=SessionPatchSerializer,
        responses={
            200: SessionSerializer,
            **error_responses(400, 401, 403, 404),
            409: OpenApiResponse(
                SessionConflictSerializer,
                description="`session.version_conflict` (with the current session) or "
                "`session.illegal_status`.",
            ),
        },
    )
    def patch(self, request, session_id: int):
        session = get_session(session_id)
        ensure_moderator(request, event_id=session.event_id)
        form = SessionPatchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        for field in form.validated_data:
            if field in SESSION_FIELD_CAPABILITY:
                ensure_may(request, SESSION_FIELD_CAPABILITY[field], event_id=session.event_id)
        try:
            session = services.session_update(
                session_id=session.pk, actor=request.user, **form.validated_data
            )
        except DomainError as exc:
            if exc.code != "session.version_conflict":
                raise
            return version_conflict(exc, session=session_data(get_session(session_id)))
        return Response(session_data(session))


def get_hall(hall_id: int) -> Hall:
    hall = Hall.objects.filter(pk=hall_id).first()
    if hall is None:
        raise DomainError(_("No such hall."), code="hall.not_found", status=404)
    return hall


class HallView(ReadForAllWriteForModerators):
    """A hall and what its displays show."""

    @extend_schema(
        operation_id="hall_detail",
        responses={200: HallSerializer, **error_responses(404)},
    )
    def get(self, request, hall_id: int):
        return Response(hall_data(get_hall(hall_id)))

    @extend_schema(
        operation_id="hall_update",
        request=HallPatchSerializer,
        responses={
            200: HallSerializer,
            **error_responses(400, 401, 403, 404),
            409: OpenApiResponse(
                HallConflictSerializer,
                description="`hall.version_conflict`, with the hall as it is now.",
            ),
        },
    )
    def patch(self, request, hall_id: int):
        hall = get_hall(hall_id)
        ensure_may(request, Capability.RUN_DISPLAYS, event_id=hall.event_id)
        form = HallPatchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            hall = services.hall_display_update(
                hall_id=hall.pk, actor=request.user, **form.validated_data
            )
        except DomainError as exc:
            if exc.code != "hall.version_conflict":
                raise
            return version_conflict(exc, hall=hall_data(get_hall(hall_id)))
        return Response(hall_data(hall))


class StageMessageView(APIView):
    """The moderator's word to the speaker on the hall's stage screen."""

    permission_classes = [ModeratorCandidate]

    @extend_schema(
        operation_id="hall_stage_message",
        request=StageMessageRequestSerializer,
        responses={200: StageMessageSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, hall_id: int):
        hall = get_hall(hall_id)
        ensure_moderator(request, event_id=hall.event_id)
        form = StageMessageRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        hall = services.hall_stage_message(
            hall_id=hall.pk, actor=request.user, text=form.validated_data["text"]
        )
        return Response(stage_message_data(hall))


class StageKeyView(APIView):
    """A new stage key for the hall (organisers of the event only): the old one locks out."""

    permission_classes = [ModeratorCandidate]

    @extend_schema(
        operation_id="hall_stage_key_renew",
        request=None,
        responses={200: StageKeySerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, hall_id: int):
        hall = get_hall(hall_id)
        ensure_may(request, Capability.RUN_DISPLAYS, event_id=hall.event_id)
        hall = services.hall_stage_key_renew(hall_id=hall.pk, actor=request.user)
        path = reverse("pages:stage", kwargs={"hall_id": hall.pk})
        return Response(
            {
                "stage_key": hall.stage_key,
                "stage_url": f"{path}?{urlencode({'key': hall.stage_key})}",
            }
        )

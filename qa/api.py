"""The audience and moderation endpoints for questions and votes.

Thin views: a serializer that names its fields validates the input, one service call makes the
change (and writes the audit row, and broadcasts), a representation from
qa/representations.py is the answer. Who may see what: `question_public` for everybody,
`question_own` for the author, `question_moderation` for moderators of the event."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status as http
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from live.api_errors import error_responses
from live.enums import Capability
from live.errors import DomainError
from live.models import Event, Session
from live.permissions import ModeratorCandidate, ensure_may
from live.selectors import user_may
from live.serializers import ErrorSerializer
from qa import selectors, services
from qa.authentication import ParticipantAuthentication
from qa.enums import QuestionAction
from qa.exports import (
    CSVExportRenderer,
    JSONExportRenderer,
    XLSXExportRenderer,
    event_export_data,
    export_data,
)
from qa.models import Poll, Question
from qa.permissions import (
    AskThrottle,
    IsParticipant,
    JoinThrottle,
    VoteThrottle,
    request_participant,
)
from qa.representations import (
    action_data,
    poll_moderation,
    poll_public,
    question_moderation,
    question_own,
    question_public,
)
from qa.serializers import (
    AuditEntrySerializer,
    BallotResponseSerializer,
    BallotSerializer,
    BulkSerializer,
    ExportSerializer,
    JoinResponseSerializer,
    JoinSerializer,
    MergeSerializer,
    PollCreateSerializer,
    PollEditSerializer,
    PollModerationSerializer,
    PollPublicSerializer,
    PollVersionConflictSerializer,
    QuestionEditSerializer,
    QuestionListQuerySerializer,
    QuestionModerationSerializer,
    QuestionPublicSerializer,
    QuestionSubmitSerializer,
    QueueConflictSerializer,
    QueueSerializer,
    SessionResetSerializer,
    VersionConflictSerializer,
    VersionSerializer,
    VotesSerializer,
)


def moderation_view(question: Question) -> dict:
    return question_moderation(question, selectors.last_action_of(question))


def version_conflict_extra(exc: services.VersionConflict) -> dict:
    """A version conflict's body also carries the question as it is now, so the console can
    show it (registered in QaConfig.ready())."""
    return {"question": moderation_view(exc.question)}


VERSION_CONFLICT = OpenApiResponse(
    VersionConflictSerializer,
    description="`question.version_conflict` (with the current question), "
    "`question.cannot_<action>` or another conflict.",
)


def get_session(session_id: int) -> Session:
    session = Session.objects.select_related("event").filter(pk=session_id).first()
    if session is None:
        raise DomainError(_("No such session."), code="session.not_found", status=404)
    return session


def get_question(question_id: int) -> Question:
    question = (
        Question.objects.select_related("session", "addressed_to").filter(pk=question_id).first()
    )
    if question is None:
        raise DomainError(_("No such question."), code="question.not_found", status=404)
    return question


class ModerationView(APIView):
    """Base of the endpoints of an event's staff: 401 anonymous, 403 everyone else whom the
    role table does not give `capability` at the event (checked once the event is known)."""

    permission_classes = [ModeratorCandidate]
    capability = Capability.MODERATE

    def moderated_question(self, question_id: int) -> Question:
        question = get_question(question_id)
        ensure_may(self.request, self.capability, event_id=question.session.event_id)
        return question

    def moderated_session(self, session_id: int) -> Session:
        session = get_session(session_id)
        ensure_may(self.request, self.capability, event_id=session.event_id)
        return session


# ---- the audience ------------------------------------------------------------------------------


class JoinView(APIView):
    """A phone's anonymous identity for one event."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [JoinThrottle]

    @extend_schema(
        operation_id="event_join",
        request=JoinSerializer,
        responses={201: JoinResponseSerializer, **error_responses(400, 404, 429)},
        auth=[],
    )
    def post(self, request, slug: str):
        event = Event.objects.filter(slug=slug).first()
        if event is None:
            raise DomainError(_("No such event."), code="event.not_found", status=404)
        form = JoinSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        participant, token = services.participant_join(
            event=event, display_name=form.validated_data["display_name"]
        )
        return Response(
            {
                "participant_token": token,
                "participant": {"id": participant.pk, "display_name": participant.display_name},
            },
            status=http.HTTP_201_CREATED,
        )


# The phone page sends X-Participant-Token. A moderator signed in on the same browser must
# still count as that phone there, so these views look at the token before the session.
PHONE_FIRST_AUTHENTICATION = [
    ParticipantAuthentication,
    TokenAuthentication,
    SessionAuthentication,
]


class SessionQuestionsView(APIView):
    authentication_classes = PHONE_FIRST_AUTHENTICATION

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsParticipant()]
        return [AllowAny()]

    def get_throttles(self):
        if self.request.method == "POST":
            return [AskThrottle()]
        return []

    @extend_schema(
        operation_id="session_questions",
        parameters=[QuestionListQuerySerializer],
        responses={
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="QuestionListItem",
                    serializers=[QuestionPublicSerializer, QuestionModerationSerializer],
                    resource_type_field_name=None,
                    many=True,
                ),
                description="Public view (pinned first, then by votes, then oldest; answered "
                "last) for everybody; own view with `mine=1`; for moderators of the event, "
                "every status, oldest first, each with the moderation fields of "
                "`QuestionModeration` (original text, last action...).",
            ),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request, session_id: int):
        query = QuestionListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        status, mine = query.validated_data.get("status"), query.validated_data["mine"]
        session = get_session(session_id)
        if mine:
            participant = request_participant(request)
            if participant is None:
                self.permission_denied(request, IsParticipant.message, IsParticipant.code)
            questions = selectors.own_questions(session_id=session.pk, participant=participant)
            if status:
                questions = questions.filter(status=status)
            return Response([question_own(q) for q in questions])
        if user_may(request.user, Capability.MODERATE, event_id=session.event_id):
            questions = list(selectors.moderation_questions(session_id=session.pk, status=status))
            actions = selectors.last_actions(session_id=session.pk) if questions else {}
            return Response([question_moderation(q, actions.get(q.pk)) for q in questions])
        questions = selectors.public_questions(session_id=session.pk)
        if status:
            questions = questions.filter(status=status)
        return Response([question_public(q) for q in questions])

    @extend_schema(
        operation_id="question_submit",
        request=QuestionSubmitSerializer,
        responses={
            201: OpenApiResponse(QuestionPublicSerializer, description="Created."),
            200: OpenApiResponse(
                QuestionPublicSerializer,
                description="This client_id was sent before: the first question.",
            ),
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request, session_id: int):
        session = get_session(session_id)
        form = QuestionSubmitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        question, created = services.question_submit(
            session=session, participant=request_participant(request), **form.validated_data
        )
        return Response(
            question_own(question), status=http.HTTP_201_CREATED if created else http.HTTP_200_OK
        )


class VoteView(APIView):
    authentication_classes = PHONE_FIRST_AUTHENTICATION
    permission_classes = [IsParticipant]
    throttle_classes = [VoteThrottle]

    @extend_schema(
        operation_id="vote_cast",
        request=None,
        responses={200: VotesSerializer, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request, question_id: int):
        votes = services.vote_cast(
            question_id=question_id, participant=request_participant(request)
        )
        return Response({"votes": votes})

    @extend_schema(
        operation_id="vote_withdraw",
        request=None,
        responses={200: VotesSerializer, **error_responses(401, 403, 404, 409, 429)},
    )
    def delete(self, request, question_id: int):
        votes = services.vote_withdraw(
            question_id=question_id, participant=request_participant(request)
        )
        return Response({"votes": votes})


# ---- moderation ----------------------------------------------------------------------------------


class QuestionActionView(ModerationView):
    """POST /questions/<id>/<action>/: one subclass per moderation action, each its own
    operation in the schema, naming the service that makes the move."""

    service = None  # one of the question_<action> services

    @extend_schema(
        request=VersionSerializer,
        responses={
            200: QuestionModerationSerializer,
            **error_responses(400, 401, 403, 404),
            409: VERSION_CONFLICT,
        },
    )
    def post(self, request, question_id: int):
        self.moderated_question(question_id)
        form = VersionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        question = self.service(question_id=question_id, actor=request.user, **form.validated_data)
        return Response(moderation_view(question))


class QuestionApproveView(QuestionActionView):
    """approve a question."""

    service = staticmethod(services.question_approve)


class QuestionRejectView(QuestionActionView):
    """reject a question."""

    service = staticmethod(services.question_reject)


class QuestionPinView(QuestionActionView):
    """pin a question."""

    service = staticmethod(services.question_pin)


class QuestionUnpinView(QuestionActionView):
    """unpin a question."""

    service = staticmethod(services.question_unpin)


class QuestionAnswerView(QuestionActionView):
    """answer a question."""

    service = staticmethod(services.question_answer)


class QuestionArchiveView(QuestionActionView):
    """archive a question."""

    service = staticmethod(services.question_archive)


class QuestionRestoreView(QuestionActionView):
    """restore a question."""

    service = staticmethod(services.question_restore)


class QuestionUnqueueView(QuestionActionView):
    """take a question out of the stage queue (the ones behind it close up)."""

    service = staticmethod(services.question_unqueue)


class QueueView(ModerationView):
    """Queue a question for the stage, or move it in the queue."""

    @extend_schema(
        operation_id="question_queue",
        request=QueueSerializer,
        responses={
            200: QuestionModerationSerializer,
            **error_responses(400, 401, 403, 404),
            409: OpenApiResponse(
                QueueConflictSerializer,
                description="`question.version_conflict` (with the current question), "
                "`question.cannot_queue` (not approved) or `question.queue_pinned`.",
            ),
        },
    )
    def post(self, request, question_id: int):
        self.moderated_question(question_id)
        form = QueueSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        question = services.question_queue(
            question_id=question_id, actor=request.user, **form.validated_data
        )
        return Response(moderation_view(question))


# POST /questions/<id>/<action>/ (config/api_urls.py), in the order of the URLs.
QUESTION_ACTION_VIEWS: dict[str, type[QuestionActionView]] = {
    QuestionAction.APPROVE: QuestionApproveView,
    QuestionAction.REJECT: QuestionRejectView,
    QuestionAction.PIN: QuestionPinView,
    QuestionAction.UNPIN: QuestionUnpinView,
    QuestionAction.ANSWER: QuestionAnswerView,
    QuestionAction.ARCHIVE: QuestionArchiveView,
    QuestionAction.RESTORE: QuestionRestoreView,
    QuestionAction.UNQUEUE: QuestionUnqueueView,
}


class QuestionView(ModerationView):
    @extend_schema(
        operation_id="question_edit",
        request=QuestionEditSerializer,
        responses={
            200: QuestionModerationSerializer,
            **error_responses(400, 401, 403, 404),
            409: VERSION_CONFLICT,
        },
    )
    def patch(self, request, question_id: int):
        self.moderated_question(question_id)
        form = QuestionEditSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if "translation" in data:  # issue 14
            question = services.question_translate(
                question_id=question_id, actor=request.user, **data
            )
        else:
            question = services.question_edit(question_id=question_id, actor=request.user, **data)
        return Response(moderation_view(question))


class MuteAuthorView(ModerationView):
    """Mute the author of a question for the whole event: their new questions are kept for
    the moderators, never public. Nothing they asked before changes."""

    service = staticmethod(services.participant_mute)

    @extend_schema(
        request=None,
        responses={
            200: QuestionModerationSerializer,
            **error_responses(401, 403, 404),
            409: OpenApiResponse(
                ErrorSerializer, description="`question.author_unknown`: the event was anonymised."
            ),
        },
    )
    def post(self, request, question_id: int):
        self.moderated_question(question_id)
        question = self.service(question_id=question_id, actor=request.user)
        return Response(moderation_view(question))


class UnmuteAuthorView(MuteAuthorView):
    """Unmute the author of a question. Questions they asked while muted stay held: a
    moderator may approve them one by one."""

    service = staticmethod(services.participant_unmute)


class MergeView(ModerationView):
    @extend_schema(
        operation_id="question_merge",
        request=MergeSerializer,
        responses={
            200: QuestionModerationSerializer,
            **error_responses(400, 401, 403, 404),
            409: VERSION_CONFLICT,
        },
    )
    def post(self, request, question_id: int):
        self.moderated_question(question_id)
        form = MergeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        question = services.question_merge(
            question_id=question_id,
            into_id=data["into"],
            actor=request.user,
            version=data.get("version"),
        )
        return Response(moderation_view(question))


class BulkView(ModerationView):
    @extend_schema(
        operation_id="questions_bulk",
        request=BulkSerializer,
        responses={
            200: QuestionModerationSerializer(many=True),
            **error_responses(400, 401, 403, 404),
            409: VERSION_CONFLICT,
        },
    )
    def post(self, request, session_id: int):
        session = self.moderated_session(session_id)
        form = BulkSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        questions = services.question_bulk(
            session_id=session.pk, actor=request.user, **form.validated_data
        )
        actions = selectors.last_actions(session_id=session.pk)
        return Response([question_moderation(q, actions.get(q.pk)) for q in questions])


class ExportView(ModerationView):
    capability = Capability.EXPORT
    renderer_classes = [JSONExportRenderer, CSVExportRenderer]

    @extend_schema(
        operation_id="session_export",
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["json", "csv"],
                description="`csv`: UTF-8 with BOM for Excel; `json` (the default).",
            )
        ],
        responses={
            (200, "application/json"): ExportSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV file."),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request, session_id: int):
        session = self.moderated_session(session_id)
        data = export_data(
            session,
            selectors.export_questions(session_id=session.pk),
            selectors.session_polls(session_id=session.pk),
        )
        response = Response(data)
        if request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = (
                f'attachment; filename="session-{session.pk}-questions.csv"'
            )
        return response


class AuditView(ModerationView):
    @extend_schema(
        operation_id="session_audit",
        responses={200: AuditEntrySerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, session_id: int):
        session = self.moderated_session(session_id)
        return Response(
            [
                {
                    "id": a.pk,
                    "question_id": a.question_id,
                    **action_data(a),
                    "detail": a.detail,
                }
                for a in selectors.session_audit(session_id=session.pk)
            ]
        )


class SessionResetView(APIView):
    """After the rehearsal: the session's questions, votes and poll ballots removed, its polls
    drafts again (organisers only)."""

    permission_classes = [ModeratorCandidate]

    @extend_schema(
        operation_id="session_reset",
        request=None,
        responses={
            200: SessionResetSerializer,
            **error_responses(401, 403, 404),
            409: OpenApiResponse(
                ErrorSerializer, description="`session.reset_while_running`: end it first."
            ),
        },
    )
    def post(self, request, session_id: int):
        session = get_session(session_id)
        ensure_may(request, Capability.RUN_SESSIONS, event_id=session.event_id)
        done = services.session_reset(session_id=session.pk, actor=request.user)
        return Response({"questions": done.questions, "votes": done.votes, "ballots": done.ballots})


class EventExportView(APIView):
    """Every session's questions of an event, for the organisers' report."""

    permission_classes = [ModeratorCandidate]
    renderer_classes = [JSONExportRenderer, CSVExportRenderer, XLSXExportRenderer]

    @extend_schema(
        operation_id="event_export",
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["json", "csv", "xlsx"],
                description="`xlsx`: a summary sheet and one sheet per session; `csv`: one "
                "table, UTF-8 with BOM for Excel; `json` (the default).",
            )
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="The event's sessions and their questions."
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV file."),
            (200, XLSXExportRenderer.media_type): OpenApiResponse(
                OpenApiTypes.BINARY, description="The Excel workbook."
            ),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request, slug: str):
        event = Event.objects.filter(slug=slug).first()
        if event is None:
            raise DomainError(_("No such event."), code="event.not_found", status=404)
        ensure_may(request, Capability.EXPORT, event_id=event.pk)
        data = event_export_data(event, selectors.event_export_sessions(event_id=event.pk))
        response = Response(data)
        extension = request.accepted_renderer.format
        if extension in ("csv", "xlsx"):
            response["Content-Disposition"] = (
                f'attachment; filename="{event.slug}-questions.{extension}"'
            )
        return response


# ---- polls ----------------------------------------------------------------------------------------


def poll_moderation_view(poll: Poll) -> dict:
    poll = selectors.session_polls(session_id=poll.session_id).get(pk=poll.pk)
    return poll_moderation(poll, selectors.poll_tallies(polls=[poll])[poll.pk])


def poll_version_conflict_extra(exc: services.PollVersionConflict) -> dict:
    """A poll's version conflict also carries the poll as it is now (QaConfig.ready())."""
    return {"poll": poll_moderation_view(exc.poll)}


POLL_CONFLICT = OpenApiResponse(
    PollVersionConflictSerializer,
    description="`poll.version_conflict` (with the current poll) or `poll.cannot_<action>` "
    "(the move is not allowed from the poll's state).",
)


def get_poll(poll_id: int) -> Poll:
    poll = Poll.objects.select_related("session").filter(pk=poll_id).first()
    if poll is None:
        raise DomainError(_("No such poll."), code="poll.not_found", status=404)
    return poll


def poll_options(data: dict) -> dict:
    """The serializer's options as the service takes them."""
    if data.get("options") is not None:
        data = {**data, "options": [services.PollOptionText(**o) for o in data["options"]]}
    return data


class PollModerationView(ModerationView):
    def moderated_poll(self, poll_id: int) -> Poll:
        poll = get_poll(poll_id)
        ensure_may(self.request, self.capability, event_id=poll.session.event_id)
        return poll


class SessionPollsView(PollModerationView):
    """A session's polls: every one, drafts included, with their votes for its moderators;
    for everybody else what the phones hold (open, or on the hall screen). A new draft."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [AllowAny()]
        return super().get_permissions()

    @extend_schema(
        operation_id="session_polls",
        responses={
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="PollListItem",
                    serializers=[PollPublicSerializer, PollModerationSerializer],
                    resource_type_field_name=None,
                    many=True,
                ),
                description="For moderators of the event, every poll oldest first with the "
                "fields of `PollModeration`; for everybody else the open polls and the one on "
                "the hall screen (`PollPublic`: votes null while the results are hidden).",
            ),
            **error_responses(404),
        },
    )
    def get(self, request, session_id: int):
        session = get_session(session_id)
        if user_may(request.user, Capability.MODERATE, event_id=session.event_id):
            polls = list(selectors.session_polls(session_id=session.pk))
            tallies = selectors.poll_tallies(polls=polls)
            return Response([poll_moderation(p, tallies[p.pk]) for p in polls])
        polls = list(selectors.public_polls(session_id=session.pk))
        tallies = selectors.poll_tallies(polls=polls)
        return Response([poll_public(p, tallies[p.pk]) for p in polls])

    @extend_schema(
        operation_id="poll_create",
        request=PollCreateSerializer,
        responses={201: PollModerationSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, session_id: int):
        session = self.moderated_session(session_id)
        form = PollCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        poll = services.poll_create(
            session=session, actor=request.user, **poll_options(form.validated_data)
        )
        return Response(poll_moderation_view(poll), status=http.HTTP_201_CREATED)


class PollView(PollModerationView):
    @extend_schema(
        operation_id="poll_detail",
        responses={200: PollModerationSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, poll_id: int):
        return Response(poll_moderation_view(self.moderated_poll(poll_id)))

    @extend_schema(
        operation_id="poll_edit",
        request=PollEditSerializer,
        responses={
            200: PollModerationSerializer,
            **error_responses(400, 401, 403, 404),
            409: POLL_CONFLICT,
        },
    )
    def patch(self, request, poll_id: int):
        self.moderated_poll(poll_id)
        form = PollEditSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        poll = services.poll_edit(
            poll_id=poll_id, actor=request.user, **poll_options(form.validated_data)
        )
        return Response(poll_moderation_view(poll))

    @extend_schema(
        operation_id="poll_delete",
        request=VersionSerializer,
        responses={204: None, **error_responses(400, 401, 403, 404), 409: POLL_CONFLICT},
    )
    def delete(self, request, poll_id: int):
        self.moderated_poll(poll_id)
        form = VersionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.poll_delete(poll_id=poll_id, actor=request.user, **form.validated_data)
        return Response(status=http.HTTP_204_NO_CONTENT)


class PollActionView(PollModerationView):
    """POST /polls/<id>/<action>/: one subclass per move, each its own operation."""

    service = None  # one of the poll_<action> services

    @extend_schema(
        request=VersionSerializer,
        responses={
            200: PollModerationSerializer,
            **error_responses(400, 401, 403, 404),
            409: POLL_CONFLICT,
        },
    )
    def post(self, request, poll_id: int):
        self.moderated_poll(poll_id)
        form = VersionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        poll = self.service(poll_id=poll_id, actor=request.user, **form.validated_data)
        return Response(poll_moderation_view(poll))


class PollOpenView(PollActionView):
    """open a draft poll for ballots."""

    service = staticmethod(services.poll_open)


class PollCloseView(PollActionView):
    """close an open poll (no ballot counts after this)."""

    service = staticmethod(services.poll_close)


class PollShowResultsView(PollActionView):
    """show a poll's results to the phones and the hall display."""

    service = staticmethod(services.poll_show_results)


class PollHideResultsView(PollActionView):
    """hide a poll's results from the phones and the hall display."""

    service = staticmethod(services.poll_hide_results)


class PollShowView(PollActionView):
    """put a poll on the hall display (the one there before comes down)."""

    service = staticmethod(services.poll_show)


class PollHideView(PollActionView):
    """take a poll off the hall display (it shows the questions again)."""

    service = staticmethod(services.poll_hide)


# POST /polls/<id>/<action>/ (config/api_urls.py), in the order of the URLs.
POLL_ACTION_VIEWS: dict[str, type[PollActionView]] = {
    "open": PollOpenView,
    "close": PollCloseView,
    "show-results": PollShowResultsView,
    "hide-results": PollHideResultsView,
    "show": PollShowView,
    "hide": PollHideView,
}


class BallotView(APIView):
    """A phone's ballot over HTTP, while its socket is down (the socket's `ballot` command is
    the usual way: docs/protocol.md)."""

    authentication_classes = PHONE_FIRST_AUTHENTICATION
    permission_classes = [IsParticipant]
    throttle_classes = [VoteThrottle]

    @extend_schema(
        operation_id="ballot_cast",
        request=BallotSerializer,
        responses={
            200: BallotResponseSerializer,
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request, poll_id: int):
        form = BallotSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        options = services.ballot_cast(
            poll_id=poll_id,
            participant=request_participant(request),
            options=form.validated_data["options"],
        )
        return Response({"poll": poll_id, "options": options})

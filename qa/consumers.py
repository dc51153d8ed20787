"""The phone's socket: the session stream, plus the phone's own commands over it.

A phone already holds its socket open; a command sent there costs a small frame and a share
of one database round, where the same command over HTTP costs a whole Django request (several
ms of CPU here, and a thread of its own fighting the others for the GIL; a hall joining or
voting at once could not be answered in time: docs/performance.md). So the phone joins,
identifies, votes and asks here, and uses the HTTP API only while its socket is down. Every
command carries a `ref`; its answer (or error) carries it back. The rules are the HTTP API's:
the same services, serializers and throttles apply."""

from __future__ import annotations

import time
from functools import partial

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from live.api_common import count_request, error_fields, scope_client_ip, throttle_rate
from live.consumers import SessionStreamConsumer
from live.errors import DomainError
from live.models import Event, Session
from live.realtime import envelope
from live.realtime.batch import GroupCommit, run_each
from qa import services
from qa.models import Participant
from qa.permissions import is_question_retry
from qa.representations import question_own
from qa.selectors import participant_for_token
from qa.serializers import JoinSerializer, QuestionSubmitSerializer

REF_MAX_LENGTH = 64

# The socket's database work of this process, in rounds (live/realtime/batch.py): votes of
# every socket in one transaction; joins and questions one after the other in one thread hop.
vote_commits: GroupCommit[services.VoteChange, int | DomainError] = GroupCommit(
    services.votes_apply
)
database_calls: GroupCommit = GroupCommit(run_each)


class Throttled(DomainError):
    status = 429

    def __init__(self, code: str, wait: float):
        super().__init__(
            _("Too many requests; try again in %(n)d s.") % {"n": max(1, round(wait))},
            code=code,
        )


def _count(scope: str, ident: str, code: str) -> None:
    allowed, wait = count_request(scope, ident or "unknown")
    if not allowed:
        raise Throttled(code, wait)


def vote_rate() -> tuple[int, float]:
    """The HTTP API's participant vote rate ("60/min") as (burst, tokens per second)."""
    count, seconds = throttle_rate("participant_vote")
    return count, count / seconds


# ---- the database work (run in Django's database thread, through database_calls) ----------


def _join(event_id: int, display_name: str, ip: str) -> tuple[Participant, str]:
    _count("ip_join", ip, "join.throttled")
    _count("ip_join_day", ip, "join.throttled")
    return services.participant_join(event=Event(pk=event_id), display_name=display_name)


def _ask(session_id: int, participant: Participant, ip: str, fields: dict) -> tuple[dict, bool]:
    if not is_question_retry(participant.pk, fields.get("client_id")):
        _count("participant_question", str(participant.pk), "question.throttled")
    _count("ip_question", ip, "question.throttled")
    session = Session.objects.filter(pk=session_id).first()
    if session is None:
        raise DomainError(_("No such session."), code="session.not_found", status=404)
    question, created = services.question_submit(session=session, participant=participant, **fields)
    return question_own(question), created


@database_sync_to_async
def _participant(token: str):
    return participant_for_token(token=token)


class AudienceStreamConsumer(SessionStreamConsumer):
    """ws/sessions/<id>/ - the session stream, and the phone's join, votes and questions."""

    participant: Participant | None = None
    language: str = settings.LANGUAGE_CODE

    # ---- who this phone is -----------------------------------------------------------

    async def command_identify(self, message: dict) -> None:
        token = message.get("token")
        self._set_language(message)
        participant = await _participant(token) if isinstance(token, str) else None
        if participant is None or participant.event_id != self.event_id:
            await self._error(
                "identify.invalid", _("This phone's identity is unknown; join the event again.")
            )
            return
        self._become(participant)
        await self.send_local(envelope.IDENTIFIED, {"participant": participant.pk})

    async def command_join(self, message: dict) -> None:
        """A new anonymous identity in this session's event; this socket then speaks for it."""
        self._set_language(message)
        context = await self._context(message)
        if context is None:
            return
        form = await self._valid(JoinSerializer, message, context)
        if form is None:
            return
        call = partial(_join, self.event_id, form["display_name"], scope_client_ip(self.scope))
        # Awaited here, not in a task: the commands behind it need this identity.
        try:
            result = await database_calls.submit(call)
        except Exception as exc:  # the round itself failed
            result = exc
        if isinstance(result, Exception):
            await self._refused(result, context)
            return
        participant, token = result
        self._become(participant)
        await self.send_local(
            envelope.JOINED,
            {**context, "participant": participant.pk, "participant_token": token},
        )

    def _become(self, participant: Participant) -> None:
        self.participant = participant
        burst, _per_second = vote_rate()
        self._tokens, self._refilled = float(burst), time.monotonic()

    # ---- questions ---------------------------------------------------------------------

    async def command_ask(self, message: dict) -> None:
        context = await self._context(message)
        if context is None:
            return
        if self.participant is None:
            await self._error(
                "ask.unidentified", _("Send identify with this phone's token first."), **context
            )
            return
        form = await self._valid(QuestionSubmitSerializer, message, context)
        if form is None:
            return
        call = partial(
            _ask, self.session_id, self.participant, scope_client_ip(self.scope), dict(form)
        )
        # The socket keeps reading while the question is saved.
        self._spawn(
            self._answer(
                database_calls.submit(call),
                context,
                envelope.ASKED,
                lambda result: {"created": result[1], "question": result[0]},
            )
        )

    # ---- votes -----------------------------------------------------------------------------

    async def command_vote(self, message: dict) -> None:
        await self._vote(message, voted=True)

    async def command_unvote(self, message: dict) -> None:
        await self._vote(message, voted=False)

    async def _vote(self, message: dict, *, voted: bool) -> None:
        question_id = message.get("question")
        context = await self._context(message, question=question_id)
        if context is None:
            return
        if (
            not isinstance(question_id, int)
            or isinstance(question_id, bool)
            or not 0 < question_id < 2**63
        ):
            await self._error(
                "vote.invalid",
                _('A vote needs "question": the id of a question.'),
                **{**context, "question": None},
            )
            return
        if self.participant is None:
            await self._error(
                "vote.unidentified", _("Send identify with this phone's token first."), **context
            )
            return
        if not self._take_token():
            await self._error(
                "vote.throttled", _("Too many votes at once; try again in a moment."), **context
            )
            return
        change = services.VoteChange(
            self.participant.pk, self.participant.event_id, question_id, voted
        )
        # Not awaited here: the socket keeps reading while the round commits; rounds keep
        # the order in which this socket sent its votes.
        self._spawn(
            self._answer(
                vote_commits.submit(change),
                context,
                envelope.VOTE_DONE,
                lambda votes: {"voted": voted, "votes": votes},
            )
        )

    def _take_token(self) -> bool:
        """A token bucket per socket at the HTTP API's participant vote rate."""
        burst, per_second = vote_rate()
        now = time.monotonic()
        self._tokens = min(burst, self._tokens + (now - self._refilled) * per_second)
        self._refilled = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    # ---- answers ---------------------------------------------------------------------------

    def _set_language(self, message: dict) -> None:
        if message.get("lang") in dict(settings.LANGUAGES):
            self.language = message["lang"]

    async def _context(self, message: dict, **extra) -> dict | None:
        """What an answer repeats so the phone knows what it answers (the ref); None, after
        an error frame, when the ref is not a short string."""
        ref = message.get("ref")
        if ref is not None and (not isinstance(ref, str) or len(ref) > REF_MAX_LENGTH):
            await self._error(
                "frame.invalid_ref",
                _('"ref" is a string of at most %(n)d characters.') % {"n": REF_MAX_LENGTH},
            )
            return None
        return {"ref": ref, **extra}

    async def _valid(self, serializer, message: dict, context: dict) -> dict | None:
        with translation.override(self.language):
            form = serializer(data={k: v for k, v in message.items() if k not in ("type", "ref")})
            if form.is_valid():
                return form.validated_data
            fields = error_fields(form.errors)
        await self._error("invalid", _("Some fields are not valid."), fields=fields, **context)
        return None

    async def _answer(self, pending, context: dict, type: str, shape) -> None:
        """Once `pending` (a round's result for this command) is there: `type` with
        shape(result), or the error that refused it."""
        try:
            result = await pending
        except Exception as exc:
            result = exc
        if isinstance(result, Exception):
            await self._refused(result, context)
            return
        await self.send_local(type, {**context, **shape(result)})

    async def _refused(self, error: Exception, context: dict) -> None:
        if isinstance(error, DomainError):
            await self._error(error.code, error.message, **context)
        else:  # the database went away, say; never str(exception) to a phone
            await self._error("command.failed", _("This was not saved; send it again."), **context)

    async def _error(self, code: str, message, **context) -> None:
        with translation.override(self.language):
            await self.send_error(code, str(message), **context)

    commands = {
        **SessionStreamConsumer.commands,
        envelope.IDENTIFY: command_identify,
        envelope.JOIN: command_join,
        envelope.ASK: command_ask,
        envelope.VOTE: command_vote,
        envelope.UNVOTE: command_unvote,
    }

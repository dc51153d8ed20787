"""The phone's socket: the session stream, plus the phone's own commands over it.

A phone already holds its socket open; a command sent there costs a small frame and a share
of one database round, where the same command over HTTP costs a whole Django request (several
ms of CPU here, and a thread of its own fighting the others for the GIL; a hall joining or
voting at once could not be answered in time: docs/performance.md). So the phone joins,
identifies, votes and asks here, and uses the HTTP API only while its socket is down. Every
command carries a `ref`; its answer (or error) carries it back. The rules are the HTTP API's:
the same services, serializers and throttle functions (qa/throttles.py) apply."""

from __future__ import annotations

import time
from functools import cached_property, partial

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from live.api_errors import UNAVAILABLE_ERRORS, ServiceUnavailable, error_fields
from live.client_address import scope_client_ip
from live.consumers import SessionStreamConsumer
from live.errors import DomainError
from live.models import Event, Session
from live.realtime.batch import GroupCommit, run_each
from live.realtime.db import database_sync_to_async
from qa import messages, services
from qa.enums import POLL_OPTIONS_MAX
from qa.models import Participant
from qa.representations import question_own
from qa.selectors import own_ballots, participant_for_token
from qa.serializers import JoinSerializer, QuestionSubmitSerializer
from qa.throttles import throttle_ask, throttle_join, throttle_votes

REF_MAX_LENGTH = 64

# `identify` answers from the database: a few per socket are enough (connect, join, a page
# reload's worth), a flood is refused. Per socket, in memory: it costs the hot path nothing and
# gives nothing back to the vote budget, which is the participant's, shared (below).
IDENTIFY_BURST = 5
IDENTIFY_PER_SECOND = 1 / 6


# ---- the database work (run in Django's database thread, through database_calls) ----------


def _join(event_id: int, display_name: str, ip: str) -> tuple[Participant, str]:
    throttle_join(ip=ip)
    return services.participant_join(event=Event(pk=event_id), display_name=display_name)


def _ask(session_id: int, participant: Participant, ip: str, fields: dict) -> tuple[dict, bool]:
    throttle_ask(participant_id=participant.pk, ip=ip, client_id=fields.get("client_id"))
    session = Session.objects.filter(pk=session_id).first()
    if session is None:
        raise DomainError(_("No such session."), code="session.not_found", status=404)
    question, created = services.question_submit(session=session, participant=participant, **fields)
    return question_own(question), created


def _votes_round(items: list[tuple[str, services.VoteChange]]) -> list[int | DomainError]:
    """One round of socket votes (ip, change): the HTTP vote's throttle function for the
    whole round in one call (one Redis round trip), then the votes that passed applied in one
    transaction. A vote over a limit answers `vote.throttled`; the others of the round still
    count."""
    refusals = throttle_votes([(change.participant_id, ip) for ip, change in items])
    results: list[int | DomainError | None] = list(refusals)
    passed = [i for i, refused in enumerate(refusals) if refused is None]
    if passed:
        applied = services.votes_apply([items[i][1] for i in passed])
        for i, result in zip(passed, applied, strict=True):
            results[i] = result
    return results


def _ballots_round(items: list[tuple[str, services.BallotChange]]) -> list:
    """One round of socket ballots (ip, change), as _votes_round: a ballot shares the vote
    throttle (`vote.throttled`), then the ballots that passed are stored in one transaction."""
    refusals = throttle_votes([(change.participant_id, ip) for ip, change in items])
    results: list = list(refusals)
    passed = [i for i, refused in enumerate(refusals) if refused is None]
    if passed:
        applied = services.ballots_apply([items[i][1] for i in passed])
        for i, result in zip(passed, applied, strict=True):
            results[i] = result
    return results


# The socket's database work of this process, in rounds (live/realtime/batch.py): votes of
# every socket in one transaction, their throttles in one Redis round trip; joins and
# questions one after the other in one thread hop.
vote_commits: GroupCommit[tuple[str, services.VoteChange], int | DomainError] = GroupCommit(
    _votes_round
)
database_calls: GroupCommit = GroupCommit(run_each)
ballot_commits: GroupCommit[tuple[str, services.BallotChange], list | DomainError] = GroupCommit(
    _ballots_round
)


@database_sync_to_async
def _identity(token: str, session_id: int) -> tuple[Participant | None, dict[str, list[int]]]:
    """The phone's participant, and its ballots in the session's polls (a phone that
    reconnects sees what it chose)."""
    participant = participant_for_token(token=token)
    if participant is None:
        return None, {}
    ballots = own_ballots(session_id=session_id, participant_id=participant.pk)
    return participant, {str(poll): options for poll, options in ballots.items()}


class AudienceStreamConsumer(SessionStreamConsumer):
    """ws/sessions/<id>/ - the session stream, and the phone's join, votes and questions."""

    participant: Participant | None = None
    language: str = settings.LANGUAGE_CODE

    @cached_property
    def client_ip(self) -> str:
        """The phone's address for the throttles: read from the handshake once, not per vote
        (it walks the headers and the trusted proxy networks)."""
        return scope_client_ip(self.scope)

    # ---- who this phone is -----------------------------------------------------------

    async def command_identify(self, message: dict) -> None:
        self._set_language(message)
        context = await self._context(message)
        if context is None:
            return
        if not self._identify_allowed():
            await self._error(
                "identify.throttled", _("Too many identify frames; wait a moment."), **context
            )
            return
        token = message.get("token")
        participant, ballots = (
            await _identity(token, self.session_id) if isinstance(token, str) else (None, {})
        )
        if participant is None or participant.event_id != self.event_id:
            await self._error(
                "identify.invalid",
                _("This phone's identity is unknown; join the event again."),
                **context,
            )
            return
        self._become(participant)
        await self.send_local(
            messages.IDENTIFIED, {**context, "participant": participant.pk, "ballots": ballots}
        )

    def _identify_allowed(self) -> bool:
        """A token bucket per socket (IDENTIFY_BURST, refilled at IDENTIFY_PER_SECOND)."""
        now = time.monotonic()
        tokens, since = getattr(self, "_identify_bucket", (IDENTIFY_BURST, now))
        tokens = min(IDENTIFY_BURST, tokens + (now - since) * IDENTIFY_PER_SECOND)
        self._identify_bucket = (tokens - 1, now) if tokens >= 1 else (tokens, now)
        return tokens >= 1

    async def command_join(self, message: dict) -> None:
        """A new anonymous identity in this session's event; this socket then speaks for it."""
        self._set_language(message)
        context = await self._context(message)
        if context is None:
            return
        form = await self._valid(JoinSerializer, message, context)
        if form is None:
            return
        call = partial(_join, self.event_id, form["display_name"], self.client_ip)
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
            messages.JOINED,
            {**context, "participant": participant.pk, "participant_token": token},
        )

    def _become(self, participant: Participant) -> None:
        self.participant = participant

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
        call = partial(_ask, self.session_id, self.participant, self.client_ip, dict(form))
        # The socket keeps reading while the question is saved.
        self._spawn(
            self._answer(
                database_calls.submit(call),
                context,
                messages.ASKED,
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
        change = services.VoteChange(
            self.participant.pk, self.participant.event_id, question_id, voted
        )
        # Not awaited here: the socket keeps reading while the round counts and commits
        # (_votes_round); rounds keep the order in which this socket sent its votes.
        self._spawn(
            self._answer(
                vote_commits.submit((self.client_ip, change)),
                context,
                messages.VOTE_DONE,
                lambda votes: {"voted": voted, "votes": votes},
            )
        )

    # ---- polls ------------------------------------------------------------------------------

    async def command_ballot(self, message: dict) -> None:
        """A phone's choice in one of this session's polls; it replaces the phone's earlier
        ballot there. Answered `ballot.done` with the options the ballot holds, once committed."""
        poll_id = message.get("poll")
        context = await self._context(message, poll=poll_id)
        if context is None:
            return
        options = message.get("options")
        if not (
            _is_id(poll_id)
            and isinstance(options, list)
            and len(options) <= POLL_OPTIONS_MAX
            and all(_is_id(o) for o in options)
        ):
            await self._error(
                "ballot.invalid",
                _('A ballot needs "poll": the id of a poll, and "options": the ids chosen.'),
                **{**context, "poll": poll_id if _is_id(poll_id) else None},
            )
            return
        if self.participant is None:
            await self._error(
                "ballot.unidentified", _("Send identify with this phone's token first."), **context
            )
            return
        change = services.BallotChange(
            self.participant.pk, self.participant.event_id, poll_id, tuple(options), self.session_id
        )
        self._spawn(
            self._answer(
                ballot_commits.submit((self.client_ip, change)),
                context,
                messages.BALLOT_DONE,
                lambda chosen: {"options": chosen},
            )
        )

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
            if error.field:
                with translation.override(self.language):
                    context = {**context, "fields": {error.field: [str(error.message)]}}
            await self._error(error.code, error.message, **context)
        elif isinstance(error, UNAVAILABLE_ERRORS):  # Redis or the database out of reach
            await self._error(
                ServiceUnavailable.default_code, ServiceUnavailable.default_detail, **context
            )
        else:  # a bug; never str(exception) to a phone
            await self._error("command.failed", _("This was not saved; send it again."), **context)

    async def _error(self, code: str, message, **context) -> None:
        with translation.override(self.language):
            await self.send_error(code, str(message), **context)

    commands = {
        **SessionStreamConsumer.commands,
        messages.IDENTIFY: command_identify,
        messages.JOIN: command_join,
        messages.ASK: command_ask,
        messages.VOTE: command_vote,
        messages.UNVOTE: command_unvote,
        messages.BALLOT: command_ballot,
    }


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63

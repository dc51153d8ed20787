"""The phone's socket: the session stream, plus votes sent over it.

A phone already holds its socket open; a vote sent there costs a small frame and a share of a
group commit, where the same vote over HTTP costs a whole Django request (about 12 ms of CPU
here, so a hall voting at once could not be answered in time; docs/performance.md). The
phone identifies once per connection with its participant token, then sends `vote` and
`unvote`; each gets `vote.done` once committed, or an `error` naming its ref. The rules are
the HTTP API's: qa/services.votes_apply applies both."""

from __future__ import annotations

import time

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from live.consumers import SessionStreamConsumer
from live.errors import DomainError
from live.realtime import envelope
from live.realtime.batch import GroupCommit
from qa import services
from qa.selectors import participant_for_token

REF_MAX_LENGTH = 64

# Votes of every socket of this process, committed together (see live/realtime/batch.py).
vote_commits: GroupCommit[services.VoteChange, int | DomainError] = GroupCommit(
    services.votes_apply
)


def vote_rate() -> tuple[int, float]:
    """The HTTP API's participant vote rate ("60/min") as (burst, tokens per second)."""
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["participant_vote"]
    count, _slash, period = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[:1]]
    return int(count), int(count) / seconds


@database_sync_to_async
def _participant(token: str):
    return participant_for_token(token=token)


class AudienceStreamConsumer(SessionStreamConsumer):
    """ws/sessions/<id>/ - the session stream, and the phone's votes."""

    participant_id: int | None = None
    language: str = settings.LANGUAGE_CODE

    async def command_identify(self, message: dict) -> None:
        token = message.get("token")
        lang = message.get("lang")
        if lang in dict(settings.LANGUAGES):
            self.language = lang
        participant = await _participant(token) if isinstance(token, str) else None
        if participant is None or participant.event_id != self.event_id:
            await self._error(
                "identify.invalid", _("This phone's identity is unknown; join the event again.")
            )
            return
        self.participant_id = participant.pk
        burst, _per_second = vote_rate()
        self._tokens, self._refilled = float(burst), time.monotonic()
        await self.send_local(envelope.IDENTIFIED, {"participant": participant.pk})

    async def command_vote(self, message: dict) -> None:
        await self._vote(message, voted=True)

    async def command_unvote(self, message: dict) -> None:
        await self._vote(message, voted=False)

    async def _vote(self, message: dict, *, voted: bool) -> None:
        ref, question_id = message.get("ref"), message.get("question")
        context = {"ref": ref if isinstance(ref, str) else None, "question": question_id}
        if (
            not isinstance(question_id, int)
            or isinstance(question_id, bool)
            or not 0 < question_id < 2**63
            or (ref is not None and (not isinstance(ref, str) or len(ref) > REF_MAX_LENGTH))
        ):
            context["question"] = question_id if isinstance(question_id, int) else None
            await self._error(
                "vote.invalid",
                _('A vote needs "question" (a question id) and at most a short "ref".'),
                **context,
            )
            return
        if self.participant_id is None:
            await self._error(
                "vote.unidentified", _("Send identify with this phone's token first."), **context
            )
            return
        if not self._take_token():
            await self._error(
                "vote.throttled", _("Too many votes at once; try again in a moment."), **context
            )
            return
        change = services.VoteChange(self.participant_id, self.event_id, question_id, voted)
        # Not awaited here: the socket keeps reading while the round commits; rounds keep
        # the order in which this socket sent its votes.
        self._spawn(self._answer(vote_commits.submit(change), context, voted))

    async def _answer(self, pending, context: dict, voted: bool) -> None:
        try:
            result = await pending
        except Exception:
            await self._error("vote.failed", _("The vote was not saved; send it again."), **context)
            return
        if isinstance(result, DomainError):
            await self._error(result.code, result.message, **context)
            return
        await self.send_local(envelope.VOTE_DONE, {**context, "voted": voted, "votes": result})

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

    async def _error(self, code: str, message, **context) -> None:
        with translation.override(self.language):
            await self.send_error(code, str(message), **context)

    commands = {
        **SessionStreamConsumer.commands,
        envelope.IDENTIFY: command_identify,
        envelope.VOTE: command_vote,
        envelope.UNVOTE: command_unvote,
    }

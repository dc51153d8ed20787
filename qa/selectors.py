"""Reads, shaped for the screen that needs them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Max, Prefetch, Q, QuerySet, Value, When

from qa.enums import PUBLIC_POLL_STATES, PUBLIC_STATUSES, PollState, QuestionStatus
from qa.models import (
    Ballot,
    BallotChoice,
    BlockedTerm,
    ModerationAction,
    Participant,
    Poll,
    PollAuditEntry,
    Question,
    QuestionKey,
    hash_token,
)
from qa.screening import Matcher, matcher_for


def public_order(qs: QuerySet[Question]) -> QuerySet[Question]:
    """Pinned first, then by votes, then oldest first; answered ones after the open ones."""
    return qs.annotate(
        answered_last=Case(
            When(status="answered", then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    ).order_by("-pinned", "answered_last", "-vote_count", "created_at", "id")


def public_questions(*, session_id: int) -> QuerySet[Question]:
    return public_order(
        Question.objects.select_related("addressed_to").filter(
            session_id=session_id, status__in=PUBLIC_STATUSES
        )
    )


def moderation_questions(*, session_id: int, status: str | None = None) -> QuerySet[Question]:
    qs = Question.objects.select_related("addressed_to", "participant").filter(
        session_id=session_id
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("created_at", "id")


def own_questions(*, session_id: int, participant: Participant) -> QuerySet[Question]:
    return (
        Question.objects.select_related("addressed_to")
        .filter(session_id=session_id, participant=participant)
        .order_by("-created_at", "-id")
    )


def last_actions(*, session_id: int) -> dict[int, ModerationAction]:
    """The latest moderation action of each question of a session (two queries)."""
    latest = (
        ModerationAction.objects.filter(session_id=session_id, question__isnull=False)
        .values("question_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    actions = ModerationAction.objects.filter(pk__in=list(latest)).select_related("actor")
    return {a.question_id: a for a in actions}


def last_action_of(question: Question) -> ModerationAction | None:
    """The latest moderation action of one question (one query)."""
    return (
        ModerationAction.objects.filter(question=question)
        .select_related("actor")
        .order_by("-id")
        .first()
    )


def is_question_retry(*, participant_id: int, client_id: object) -> bool:
    """Whether this phone already stored a question with this client_id (a resend)."""
    return (
        isinstance(client_id, str)
        and bool(client_id)
        and Question.objects.filter(participant_id=participant_id, client_id=client_id).exists()
    )


def participant_for_token(*, token: str) -> Participant | None:
    if not token or len(token) > 128:
        return None
    return Participant.objects.filter(token_hash=hash_token(token)).first()


def session_audit(*, session_id: int) -> QuerySet[ModerationAction]:
    """The moderation log of a session, newest first (one query)."""
    return (
        ModerationAction.objects.filter(session_id=session_id)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def export_questions(*, session_id: int) -> QuerySet[Question]:
    """Every question of a session with its moderation history (two queries)."""
    history = ModerationAction.objects.select_related("actor").order_by("created_at", "id")
    return (
        Question.objects.filter(session_id=session_id)
        .select_related("addressed_to")
        .prefetch_related(Prefetch("moderation_actions", queryset=history))
        .order_by("created_at", "id")
    )


def event_export_sessions(*, event_id: int) -> list:
    """Every session of an event in programme order, each with its questions (and their
    moderation history), its own session-level history and its polls with their options: six
    queries, whatever the size (the polls' tallies: `poll_tallies`, two more)."""
    from live.selectors import sessions_with_people

    history = ModerationAction.objects.select_related("actor").order_by("created_at", "id")
    questions = (
        Question.objects.select_related("addressed_to")
        .prefetch_related(Prefetch("moderation_actions", queryset=history))
        .order_by("created_at", "id")
    )
    session_history = history.filter(question__isnull=True)
    return list(
        sessions_with_people()
        .filter(event_id=event_id)
        .prefetch_related(
            Prefetch("questions", queryset=questions),
            Prefetch("moderation_actions", queryset=session_history, to_attr="session_history"),
            Prefetch("polls", queryset=Poll.objects.order_by("created_at", "id")),
            "polls__options",
        )
        .order_by("starts_at", "hall__display_order", "pk")
    )


# event id -> (read at, matcher): a submit does not read the word list each time. An edit in
# this process drops the entry at once (QaConfig.ready connects `forget_screening_matcher` to
# BlockedTerm's saves and deletes); the other processes read it again within the TTL.
SCREENING_TTL = 10.0
_matchers: dict[int, tuple[float, Matcher]] = {}


def screening_matcher(*, event_id: int) -> Matcher:
    """The event's word list: the default lists and its own terms (one query every
    SCREENING_TTL seconds per process)."""
    now = time.monotonic()
    cached = _matchers.get(event_id)
    if cached is not None and now - cached[0] < SCREENING_TTL:
        return cached[1]
    terms = BlockedTerm.objects.filter(event_id=event_id).values_list("term", flat=True)
    matcher = matcher_for(terms)
    _matchers[event_id] = (now, matcher)
    return matcher


def forget_screening_matcher(*, event_id: int | None = None, **_kw) -> None:
    """Drop one event's cached list (or all of them)."""
    if event_id is None:
        _matchers.clear()
    else:
        _matchers.pop(event_id, None)


# What a new question may repeat: the session's questions still open (not rejected, archived
# or merged).
SIMILAR_STATUSES = (QuestionStatus.PENDING, QuestionStatus.APPROVED, QuestionStatus.ANSWERED)


def similarity_candidates(*, keys: list[str]) -> list[tuple[int, str]]:
    """(id, signature) of the open questions holding one of these duplicate keys
    (qa/similarity.index_keys; the keys name the session): one query on the key index."""
    if not keys:
        return []
    return list(
        QuestionKey.objects.filter(key__in=keys, question__status__in=SIMILAR_STATUSES)
        .values_list("question_id", "question__signature")
        .distinct()
    )


# ---- polls ----------------------------------------------------------------------------------


@dataclass
class Tally:
    """A poll's results, counted from its ballots: how many voted, and for each option."""

    voters: int = 0
    votes: dict[int, int] = field(default_factory=dict)


def poll_tallies(*, polls) -> dict[int, Tally]:
    """The tallies of these polls (their options prefetched), counted from the stored
    ballots, every option present (two queries)."""
    polls = list(polls)
    if not polls:
        return {}
    tallies = {p.pk: Tally(votes={o.pk: 0 for o in p.options.all()}) for p in polls}
    poll_ids = list(tallies)
    voters = Ballot.objects.filter(poll_id__in=poll_ids).values("poll_id").annotate(n=Count("id"))
    for row in voters.order_by():
        tallies[row["poll_id"]].voters = row["n"]
    chosen = (
        BallotChoice.objects.filter(poll_id__in=poll_ids)
        .values("poll_id", "option_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in chosen:
        tallies[row["poll_id"]].votes[row["option_id"]] = row["n"]
    return tallies


def _with_options(qs: QuerySet[Poll]) -> QuerySet[Poll]:
    return qs.prefetch_related("options").order_by("created_at", "id")


def session_polls(*, session_id: int) -> QuerySet[Poll]:
    """Every poll of a session, drafts included, oldest first (two queries)."""
    return _with_options(Poll.objects.filter(session_id=session_id))


def public_polls(*, session_id: int) -> QuerySet[Poll]:
    """What the phones and the hall display show: the open polls and the one on screen."""
    return _with_options(
        Poll.objects.filter(session_id=session_id, state__in=PUBLIC_POLL_STATES).filter(
            Q(state=PollState.OPEN) | Q(on_screen=True)
        )
    )


def own_ballots(*, session_id: int, participant_id: int) -> dict[int, list[int]]:
    """A phone's ballots in the session's public polls: poll id -> chosen option ids (one
    query)."""
    rows = (
        BallotChoice.objects.filter(
            ballot__participant_id=participant_id,
            poll__session_id=session_id,
            poll__state__in=PUBLIC_POLL_STATES,
        )
        .order_by("option__position")
        .values_list("poll_id", "option_id")
    )
    ballots: dict[int, list[int]] = {}
    for poll_id, option_id in rows:
        ballots.setdefault(poll_id, []).append(option_id)
    return ballots


def poll_audit(*, session_id: int) -> QuerySet[PollAuditEntry]:
    return (
        PollAuditEntry.objects.filter(session_id=session_id)
        .select_related("actor")
        .order_by("created_at", "id")
    )

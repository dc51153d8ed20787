"""What qa puts on the streams: question messages, coalesced vote tallies, and its part of
each stream's snapshot. Which stream sees which view is decided in `question_changed`."""

from __future__ import annotations

from django.db.models import Q

from live.broadcast import display_streams_showing
from live.realtime import coalesce, streams
from live.realtime.publish import publish_now, publish_on_commit
from qa import messages
from qa.enums import PUBLIC_STATUSES, QuestionStatus
from qa.models import Poll, Question
from qa.representations import (
    poll_moderation,
    poll_public,
    poll_results,
    question_moderation,
    question_public,
)
from qa.selectors import (
    last_action_of,
    last_actions,
    poll_tallies,
    public_polls,
    public_questions,
    session_polls,
)


def question_changed(question: Question, *, before: str | None, last_action=None) -> None:
    """Inside the transaction of a change; everything goes out after commit.

    Moderators always get the full question (`question.created` when it is new). The audience,
    the hall display and the stage screen get it while it is public, and `question.removed`
    when it leaves."""
    session = question.session
    moderation = [streams.moderation_stream(session.pk)]
    kind = messages.QUESTION_CREATED if before is None else messages.QUESTION_UPDATED
    publish_on_commit(moderation, kind, question_moderation(question, last_action))

    was_public = before in PUBLIC_STATUSES
    if question.status in PUBLIC_STATUSES:
        public = [streams.session_stream(session.pk), *display_streams_showing(session)]
        publish_on_commit(public, messages.QUESTION_UPDATED, question_public(question))
    elif was_public:
        public = [streams.session_stream(session.pk), *display_streams_showing(session)]
        reason = "merged" if question.merged_into_id else question.status
        publish_on_commit(public, messages.QUESTION_REMOVED, {"id": question.pk, "reason": reason})


def moderation_changed(question: Question) -> None:
    """After commit, `question.updated` for moderators only: a change nobody else sees (the
    machine translation suggestion)."""
    publish_on_commit(
        [streams.moderation_stream(question.session_id)],
        messages.QUESTION_UPDATED,
        question_moderation(question, last_action_of(question)),
    )


def author_changed(*, participant, question: Question, last_action) -> None:
    """A participant muted or unmuted: each of their questions in the event goes again to the
    moderators of its session (`author_muted` changed), the one acted on with its audit row,
    the others with their own last action (a query each: a participant asks a few). Nothing
    public changes."""
    others = (
        Question.objects.filter(participant=participant)
        .exclude(pk=question.pk)
        .select_related("session")
        .order_by("pk")
    )
    for each in [question, *others]:
        each.participant = participant
        publish_on_commit(
            [streams.moderation_stream(each.session_id)],
            messages.QUESTION_UPDATED,
            question_moderation(each, last_action if each is question else last_action_of(each)),
        )


# The coalescing window of vote tallies (one `votes.updated` per window and session).
VOTES = "votes"


def votes_changed(*, session_id: int, question_id: int) -> None:
    coalesce.mark_on_commit(VOTES, str(session_id), str(question_id))


def flush_votes(session_key: str, question_ids: list[str]) -> None:
    """One `votes.updated` for the window, with absolute tallies (one query)."""
    rows = list(
        Question.objects.filter(session_id=int(session_key), pk__in=[int(i) for i in question_ids])
        .select_related("session")
        .only("id", "vote_count", "status", "session__hall_id", "session__id")
    )
    if not rows:
        return
    session = rows[0].session
    every = {str(q.pk): q.vote_count for q in rows}
    public = {str(q.pk): q.vote_count for q in rows if q.status in PUBLIC_STATUSES}
    publish_now([streams.moderation_stream(session.pk)], messages.VOTES_UPDATED, {"votes": every})
    if public:
        targets = [streams.session_stream(session.pk), *display_streams_showing(session)]
        publish_now(targets, messages.VOTES_UPDATED, {"votes": public})


# ---- snapshot parts -----------------------------------------------------------------------------


def public_part(context: dict) -> dict:
    session = context.get("session")
    if session is None:
        return {"questions": []}
    return {"questions": [question_public(q) for q in public_questions(session_id=session.pk)]}


def public_polls_part(context: dict) -> dict:
    """The phones' and the hall display's polls: the open ones and the one on screen (one
    query without polls, four with any number)."""
    session = context.get("session")
    if session is None:
        return {"polls": []}
    polls = list(public_polls(session_id=session.pk))
    tallies = poll_tallies(polls=polls)
    return {"polls": [poll_public(p, tallies[p.pk]) for p in polls]}


def moderation_polls_part(context: dict) -> dict:
    session = context["session"]
    polls = list(session_polls(session_id=session.pk))
    tallies = poll_tallies(polls=polls)
    return {"polls": [poll_moderation(p, tallies[p.pk]) for p in polls]}


def stage_part(context: dict) -> dict:
    """The lectern tablet's questions: the pinned one, then the queue in order (one query)."""
    session = context.get("session")
    if session is None:
        return {"questions": []}
    questions = (
        Question.objects.select_related("addressed_to")
        .filter(session_id=session.pk, status=QuestionStatus.APPROVED)
        .filter(Q(pinned=True) | Q(queue_position__isnull=False))
        .order_by("-pinned", "queue_position", "id")
    )
    return {"questions": [question_public(q) for q in questions]}


def moderation_part(context: dict) -> dict:
    session = context["session"]
    questions = list(
        Question.objects.select_related("addressed_to", "participant")
        .filter(session_id=session.pk)
        .order_by("created_at", "id")
    )
    actions = last_actions(session_id=session.pk)
    return {"questions": [question_moderation(q, actions.get(q.pk)) for q in questions]}


# ---- polls ----------------------------------------------------------------------------------


def _poll_public_streams(session) -> list[str]:
    """The phones of the session and, while its hall shows the session, the hall display (not
    the stage screen: the speaker's tablet shows questions only)."""
    targets = [streams.session_stream(session.pk)]
    if display_streams_showing(session):
        targets.append(streams.display_stream(session.hall_id))
    return targets


def poll_changed(poll: Poll, *, created: bool = False, removed: bool = False) -> None:
    """Inside the transaction of a change; everything goes out after commit. Moderators see
    every poll (`poll.created`, `poll.updated`, `poll.removed`); the phones and the hall display
    hold the polls that are open or on screen (`Poll.is_listed`, the snapshot's rule): they get
    `poll.updated` for those, and `poll.removed` when one leaves (closed and off screen). A
    draft never leaves the console."""
    moderation = [streams.moderation_stream(poll.session_id)]
    if removed:
        publish_on_commit(moderation, messages.POLL_REMOVED, {"id": poll.pk})
        return
    tally = poll_tallies(polls=[poll])[poll.pk]
    kind = messages.POLL_CREATED if created else messages.POLL_UPDATED
    publish_on_commit(moderation, kind, poll_moderation(poll, tally))
    if poll.is_listed:
        targets = _poll_public_streams(poll.session)
        publish_on_commit(targets, messages.POLL_UPDATED, poll_public(poll, tally))
    elif poll.is_public:
        targets = _poll_public_streams(poll.session)
        publish_on_commit(targets, messages.POLL_REMOVED, {"id": poll.pk})


# The coalescing window of poll tallies (one `poll.results` per window and poll).
POLLS = "polls"


def poll_results_changed(*, session_id: int, poll_id: int) -> None:
    coalesce.mark_on_commit(POLLS, str(session_id), str(poll_id))


def flush_polls(session_key: str, poll_ids: list[str]) -> None:
    """One `poll.results` per poll marked in the window, with absolute tallies counted from
    the ballots (five queries for the window). The phones and the display get the votes only
    while the results are shown; the number of voters always."""
    polls = list(
        Poll.objects.filter(session_id=int(session_key), pk__in=[int(i) for i in poll_ids])
        .select_related("session")
        .prefetch_related("options")
        .order_by("pk")
    )
    if not polls:
        return
    tallies = poll_tallies(polls=polls)
    moderation = [streams.moderation_stream(int(session_key))]
    public = _poll_public_streams(polls[0].session)
    for poll in polls:
        tally = tallies[poll.pk]
        publish_now(moderation, messages.POLL_RESULTS, poll_results(poll.pk, tally, results=True))
        if poll.is_listed:
            data = poll_results(poll.pk, tally, results=poll.results_shown)
            publish_now(public, messages.POLL_RESULTS, data)

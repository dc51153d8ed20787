"""How a question looks on each stream and in the API. Who may see what is decided here:
`public` for the audience and the hall displays, `moderation` for moderators."""

from __future__ import annotations

from qa.models import ModerationAction, Poll, Question
from qa.selectors import Tally


def addressed_to_data(question: Question) -> dict | None:
    """The speaker a question is for, or None (everyone). Lists select_related it."""
    if question.addressed_to_id is None:
        return None
    speaker = question.addressed_to
    return {"id": speaker.id, "name": speaker.name}


def question_public(question: Question) -> dict:
    return {
        "id": question.id,
        "session_id": question.session_id,
        "text": question.text,
        "author_name": question.shown_author,
        "anonymous": question.anonymous,
        "addressed_to": addressed_to_data(question),
        "status": question.status,
        "pinned": question.pinned,
        # Not secret: the stage screen shows the queue, and a display may mark what comes next.
        "queue_position": question.queue_position,
        "votes": question.vote_count,
        "version": question.version,
        "created_at": question.created_at.isoformat(),
        "answered_at": question.answered_at.isoformat() if question.answered_at else None,
        # Both languages (issue 14): the language it is in, and a moderator's translation.
        "language": question.language,
        "translation": question.translation,
        "translation_language": question.translation_language,
    }


def action_data(action: ModerationAction | None) -> dict | None:
    if action is None:
        return None
    return {
        "action": action.action,
        "by": action.actor.get_username() if action.actor_id and action.actor else None,
        "from": action.from_state,
        "to": action.to_state,
        "at": action.created_at.isoformat(),
    }


def author_muted(question: Question) -> bool:
    """Whether the question's author is muted now (callers load `participant` with the
    question: `select_related`)."""
    return question.participant_id is not None and question.participant.muted_at is not None


def question_moderation(question: Question, last_action: ModerationAction | None = None) -> dict:
    data = question_public(question)
    data.update(
        {
            "original_text": question.original_text,
            "edited": bool(question.original_text),
            "participant_id": question.participant_id,
            "merged_into": question.merged_into_id,
            "updated_at": question.updated_at.isoformat(),
            "last_action": action_data(last_action),
            # The translation server's proposal: for moderators only, never on a public stream.
            "translation_suggestion": question.translation_suggestion,
            # The text was reworded after the translation was saved (until it is saved again).
            "translation_stale": question.translation_stale,
            # Screening (issue 14): why it was held, whether its author is muted now, and the
            # questions of the session it repeats.
            "flags": question.flags,
            "author_muted": author_muted(question),
            "similar_to": question.similar_to,
        }
    )
    return data


def question_own(question: Question) -> dict:
    """The author's own view on their phone: every status, text as a moderator left it."""
    return question_public(question)


# ---- polls ----------------------------------------------------------------------------------


def _poll(poll: Poll, tally: Tally, *, results: bool) -> dict:
    return {
        "id": poll.id,
        "session_id": poll.session_id,
        "question": {"vi": poll.question_vi, "en": poll.question_en},
        "kind": poll.kind,
        "max_choices": poll.max_choices,
        "state": poll.state,
        "results_shown": poll.results_shown,
        "on_screen": poll.on_screen,
        "version": poll.version,
        "options": [
            {
                "id": option.id,
                "position": option.position,
                "text": {"vi": option.text_vi, "en": option.text_en},
                "votes": tally.votes.get(option.id, 0) if results else None,
            }
            for option in poll.options.all()
        ],
        "voters": tally.voters,
        "opened_at": poll.opened_at.isoformat() if poll.opened_at else None,
        "closed_at": poll.closed_at.isoformat() if poll.closed_at else None,
    }


def poll_public(poll: Poll, tally: Tally) -> dict:
    """The phones' and the hall display's view: the votes of each option only while the
    moderator shows the results (null otherwise); the number of voters always."""
    return _poll(poll, tally, results=poll.results_shown)


def poll_moderation(poll: Poll, tally: Tally) -> dict:
    """The console's view: the votes always, and when the poll was made and last changed."""
    data = _poll(poll, tally, results=True)
    data["created_at"] = poll.created_at.isoformat()
    data["updated_at"] = poll.updated_at.isoformat()
    return data


def poll_results(poll_id: int, tally: Tally, *, results: bool) -> dict:
    """`poll.results`: absolute counts, so a missed one is repaired by the next."""
    return {
        "poll": poll_id,
        "voters": tally.voters,
        "votes": {str(k): v for k, v in sorted(tally.votes.items())} if results else None,
    }

"""How a question looks on each stream and in the API. Who may see what is decided here:
`public` for the audience and the hall displays, `moderation` for moderators."""

from __future__ import annotations

from qa.models import ModerationAction, Question


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

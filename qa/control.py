"""qa's part of the organisers' control room (live/control.py): per hall, the questions of
its current session waiting for a moderator, the questions and votes of the last minutes,
and the alarm for questions waiting with no moderator connected. Two queries for every hall
of the event together."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Min, Q

from qa.enums import QuestionStatus
from qa.models import Question, Vote

# "Recent": the questions and votes of this many last minutes.
RECENT_MINUTES = 5

ALARM_UNMODERATED = "questions.unmoderated"


def control_part(context: dict) -> dict:
    """{"questions": {hall_id: {"pending", "recent", "votes_recent"}}}; adds the
    `questions.unmoderated` alarm (since the oldest waiting question) to `context["alarms"]`."""
    sessions = context["sessions"]
    since = context["now"] - timedelta(minutes=RECENT_MINUTES)
    ids = [session.pk for session in sessions.values()]
    questions = {
        row["session_id"]: row
        for row in Question.objects.filter(session_id__in=ids)
        .values("session_id")
        .annotate(
            pending=Count("id", filter=Q(status=QuestionStatus.PENDING)),
            recent=Count("id", filter=Q(created_at__gte=since)),
            oldest_pending=Min("created_at", filter=Q(status=QuestionStatus.PENDING)),
        )
        .order_by()
    }
    votes = dict(
        Vote.objects.filter(question__session_id__in=ids, created_at__gte=since)
        .values("question__session_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("question__session_id", "n")
    )
    counts = {}
    for hall in context["halls"]:
        key, session = str(hall.pk), sessions.get(hall.pk)
        row = questions.get(session.pk, {}) if session is not None else {}
        counts[key] = {
            "pending": row.get("pending", 0),
            "recent": row.get("recent", 0),
            "votes_recent": votes.get(session.pk, 0) if session is not None else 0,
        }
        if counts[key]["pending"] and not context["presence"][key]["moderators"]:
            oldest = row["oldest_pending"]
            context["alarms"][key].append({"code": ALARM_UNMODERATED, "since": oldest.isoformat()})
    return {"questions": counts}

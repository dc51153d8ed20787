"""The event report (/moderate/events/<slug>/report/): per hall and session what happened,
the connections over time, the top questions; and the two charts, drawn here as SVG shapes
the template writes out (no front-end build step, prints as it shows)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, Sum
from django.utils import timezone

from live.models import ConnectionSample, Event, Hall, Session
from qa.enums import PUBLIC_POLL_STATES, PUBLIC_STATUSES, QuestionStatus
from qa.models import Poll, Question, Vote
from qa.selectors import poll_tallies

TOP_QUESTIONS = 10
# Colours for the halls' lines, told apart in print too (each line also has its own dash).
SERIES_COLOURS = ("#0b6e4f", "#c2410c", "#1d4ed8", "#7e22ce", "#b91c1c", "#0f766e")
SERIES_DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")


@dataclass
class SessionFigures:
    session: Session
    asked: int = 0
    approved: int = 0
    answered: int = 0
    votes: int = 0
    phones: int = 0  # participants who asked or voted


@dataclass
class HallFigures:
    hall: Hall
    sessions: list[SessionFigures] = field(default_factory=list)
    peak_phones: int = 0
    peak_displays: int = 0

    def total(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.sessions)


def event_report(event: Event) -> dict:
    """Everything the report page shows, in a fixed number of queries."""
    sessions = list(
        Session.objects.filter(event=event)
        .select_related("hall")
        .annotate(
            asked=Count("questions", distinct=True),
            approved=Count(
                "questions",
                filter=Q(questions__status__in=[QuestionStatus.APPROVED, QuestionStatus.ANSWERED]),
                distinct=True,
            ),
            answered=Count(
                "questions", filter=Q(questions__status=QuestionStatus.ANSWERED), distinct=True
            ),
            votes=Sum("questions__vote_count"),
        )
        .order_by("hall__display_order", "hall_id", "starts_at")
    )
    phones = _phones_per_session(event)
    halls: dict[int, HallFigures] = {}
    for session in sessions:
        figures = halls.setdefault(session.hall_id, HallFigures(hall=session.hall))
        figures.sessions.append(
            SessionFigures(
                session=session,
                asked=session.asked,
                approved=session.approved,
                answered=session.answered,
                votes=session.votes or 0,
                phones=phones.get(session.pk, 0),
            )
        )
    samples = list(
        ConnectionSample.objects.filter(hall__event=event).order_by("at").select_related("hall")
    )
    for sample in samples:
        figures = halls.get(sample.hall_id)
        if figures is not None:
            figures.peak_phones = max(figures.peak_phones, sample.phones)
            figures.peak_displays = max(figures.peak_displays, sample.displays)
    top = list(
        Question.objects.filter(session__event=event, status__in=PUBLIC_STATUSES)
        .select_related("session", "session__hall")
        .order_by("-vote_count", "created_at")[:TOP_QUESTIONS]
    )
    return {
        "polls": _poll_results(event),
        "halls": list(halls.values()),
        "totals": {
            "asked": sum(s.asked for s in sessions),
            "approved": sum(s.approved for s in sessions),
            "answered": sum(s.answered for s in sessions),
            "votes": sum(s.votes or 0 for s in sessions),
            "phones": _phones_in_event(event),
        },
        "top_questions": top,
        "connections_chart": connections_chart(samples, event),
        "questions_chart": questions_chart(sessions),
        "has_samples": bool(samples),
    }


def _poll_results(event: Event) -> list[dict]:
    """The polls the halls voted on (open or closed), in programme order, each option with its
    votes and share of the voters (four queries)."""
    polls = list(
        Poll.objects.filter(session__event=event, state__in=PUBLIC_POLL_STATES)
        .select_related("session", "session__hall")
        .prefetch_related("options")
        .order_by("session__starts_at", "session__hall__display_order", "created_at", "id")
    )
    tallies = poll_tallies(polls=polls)
    results = []
    for poll in polls:
        tally = tallies[poll.pk]
        most = max(tally.votes.values(), default=0)
        options = [
            {
                "text": option.text_vi,
                "votes": tally.votes.get(option.pk, 0),
                "percent": round(100 * tally.votes.get(option.pk, 0) / tally.voters)
                if tally.voters
                else 0,
                "top": most > 0 and tally.votes.get(option.pk, 0) == most,
            }
            for option in poll.options.all()
        ]
        results.append({"poll": poll, "voters": tally.voters, "options": options})
    return results


def _phones_per_session(event: Event) -> dict[int, int]:
    """Distinct phones that asked or voted, per session (two grouped queries)."""
    seen: dict[int, set[int]] = defaultdict(set)
    asked = Question.objects.filter(session__event=event, participant__isnull=False)
    for session_id, participant_id in asked.values_list("session_id", "participant_id"):
        seen[session_id].add(participant_id)
    voted = Vote.objects.filter(question__session__event=event)
    for session_id, participant_id in voted.values_list(
        "question__session_id", "participant_id"
    ).distinct():
        seen[session_id].add(participant_id)
    return {session_id: len(ids) for session_id, ids in seen.items()}


def _phones_in_event(event: Event) -> int:
    asked = set(
        Question.objects.filter(session__event=event, participant__isnull=False).values_list(
            "participant_id", flat=True
        )
    )
    voted = set(
        Vote.objects.filter(question__session__event=event).values_list("participant_id", flat=True)
    )
    return len(asked | voted)


# ---- charts ---------------------------------------------------------------------------------

WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 48, 16, 40
X_TICKS = 6


def _svg(value: float) -> str:
    """A coordinate as SVG wants it: a dot, whatever the page's language (the template would
    write 12,5 in Vietnamese)."""
    return f"{value:.1f}"


def _ticks(top: int) -> list[int]:
    """Round values for the y axis, from 0 to at least `top`, at most 7 of them."""
    step = 1
    while top / step > 6:
        for factor in (2, 5, 10):
            if top / (step * factor) <= 6:
                step *= factor
                break
        else:
            step *= 10
    return list(range(0, top + step, step))


def connections_chart(samples: list[ConnectionSample], event: Event) -> dict | None:
    """Phones connected per hall over time: one polyline per hall."""
    if not samples:
        return None
    start, end = samples[0].at, samples[-1].at
    span = max((end - start).total_seconds(), 60.0)
    ticks = _ticks(max(s.phones for s in samples) or 1)
    top = ticks[-1] or 1
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: datetime) -> float:
        return round(LEFT + (at - start).total_seconds() / span * inner_w, 1)

    def y(value: int) -> float:
        return round(TOP + inner_h - value / top * inner_h, 1)

    by_hall: dict[int, list[ConnectionSample]] = defaultdict(list)
    for sample in samples:
        by_hall[sample.hall_id].append(sample)
    series = []
    for index, (_hall_id, points) in enumerate(sorted(by_hall.items())):
        series.append(
            {
                "name": points[0].hall.name,
                "colour": SERIES_COLOURS[index % len(SERIES_COLOURS)],
                "dash": SERIES_DASHES[index % len(SERIES_DASHES)],
                "points": " ".join(f"{x(p.at)},{y(p.phones)}" for p in points),
                "peak": max(p.phones for p in points),
            }
        )
    ticks_x = []
    for step in range(X_TICKS + 1):
        at = start + (end - start) * step / X_TICKS
        ticks_x.append(
            {"x": _svg(x(at)), "label": timezone.localtime(at, event.tz).strftime("%d/%m %H:%M")}
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "y_ticks": [{"y": _svg(y(t)), "label": t} for t in ticks],
        "x_ticks": ticks_x if end > start else ticks_x[:1],
        "series": series,
    }


def questions_chart(sessions: list[Session]) -> dict | None:
    """Questions asked per session (approved ones darker): horizontal bars."""
    if not sessions:
        return None
    top = max(max(s.asked for s in sessions), 1)
    row, label_w, width = 26, 340, WIDTH
    bars = []
    for index, session in enumerate(sessions):
        scale = (width - label_w - 60) / top
        bars.append(
            {
                "y": index * row,
                "label": session.title,
                "asked_w": _svg(session.asked * scale),
                "approved_w": _svg(session.approved * scale),
                "asked": session.asked,
                "approved": session.approved,
            }
        )
    return {"width": width, "height": len(bars) * row, "label_w": label_w, "bars": bars}

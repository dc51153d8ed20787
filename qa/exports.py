"""Questions for the organisers' records, of one session or of a whole event: JSON, CSV that
Excel opens with the Vietnamese intact (UTF-8 with a byte order mark), and for the event an
Excel workbook (a summary sheet, then one sheet per session). Times are ISO 8601 in the
event's time zone.

CSV cells that a spreadsheet would read as a formula (starting with = + - @, tab or carriage
return) get a leading apostrophe, so a question like "=HYPERLINK(...)" stays text."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from rest_framework.renderers import BaseRenderer, JSONRenderer

from live.models import Event, Session
from qa.models import ModerationAction, Poll, Question
from qa.representations import action_data, addressed_to_data
from qa.selectors import Tally, poll_tallies

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "id",
    "status",
    "pinned",
    "votes",
    "author_name",
    "anonymous",
    "addressed_to",
    "text",
    "original_text",
    "language",
    "translation",
    "translation_language",
    "created_at",
    "answered_at",
    "merged_into",
    "history",
)


def _time(value: datetime | None, tz) -> str | None:
    return timezone.localtime(value, tz).isoformat() if value else None


def _history(actions: Iterable[ModerationAction], tz) -> list[dict]:
    rows = []
    for action in actions:
        row = action_data(action)
        row["at"] = _time(action.created_at, tz)
        rows.append(row)
    return rows


def export_data(
    session: Session, questions: Iterable[Question], polls: Iterable[Poll] = ()
) -> dict:
    tz = session.event.tz
    polls = list(polls)
    return {
        "session_id": session.pk,
        "title": {"vi": session.title_vi, "en": session.title_en},
        "exported_at": _time(timezone.now(), tz),
        "questions": _questions(questions, tz),
        "polls": _polls(polls, poll_tallies(polls=polls), tz),
    }


def _polls(polls: list[Poll], tallies: dict[int, Tally], tz) -> list[dict]:
    """Each poll (drafts too) with its results, counted from the ballots."""
    return [
        {
            "id": poll.pk,
            "question": {"vi": poll.question_vi, "en": poll.question_en},
            "kind": poll.kind,
            "max_choices": poll.max_choices,
            "state": poll.state,
            "voters": tallies[poll.pk].voters,
            "opened_at": _time(poll.opened_at, tz),
            "closed_at": _time(poll.closed_at, tz),
            "options": [
                {
                    "position": option.position,
                    "text": {"vi": option.text_vi, "en": option.text_en},
                    "votes": tallies[poll.pk].votes.get(option.pk, 0),
                }
                for option in poll.options.all()
            ],
        }
        for poll in polls
    ]


def _questions(questions: Iterable[Question], tz) -> list[dict]:
    return [
        {
            "id": q.pk,
            "status": q.status,
            "pinned": q.pinned,
            "votes": q.vote_count,
            "text": q.text,
            "original_text": q.original_text,
            # Both languages (issue 14): the language typed in, a moderator's translation.
            "language": q.language,
            "translation": q.translation,
            "translation_language": q.translation_language,
            "author_name": q.shown_author,
            "anonymous": q.anonymous,
            "addressed_to": addressed_to_data(q),
            "created_at": _time(q.created_at, tz),
            "updated_at": _time(q.updated_at, tz),
            "answered_at": _time(q.answered_at, tz),
            "merged_into": q.merged_into_id,
            "history": _history(q.moderation_actions.all(), tz),
        }
        for q in questions
    ]


def event_export_data(event: Event, sessions: Iterable[Session]) -> dict:
    """Every session of the event (qa.selectors.event_export_sessions) with its questions,
    their votes and history, and the session's own history (status changes, resets)."""
    tz = event.tz
    sessions = list(sessions)
    tallies = poll_tallies(polls=[poll for session in sessions for poll in session.polls.all()])
    rows = []
    for session in sessions:
        questions = _questions(session.questions.all(), tz)
        rows.append(
            {
                "session_id": session.pk,
                "hall": {"vi": session.hall.name_vi, "en": session.hall.name_en},
                "title": {"vi": session.title_vi, "en": session.title_en},
                "speakers": [speaker.name for speaker in session.speakers.all()],
                "starts_at": _time(session.starts_at, tz),
                "ends_at": _time(session.ends_at, tz),
                "status": session.status,
                "counts": _counts(questions),
                "history": _history(session.session_history, tz),
                "questions": questions,
                "polls": _polls(list(session.polls.all()), tallies, tz),
            }
        )
    return {
        "event": {"slug": event.slug, "name": {"vi": event.name_vi, "en": event.name_en}},
        "timezone": event.timezone,
        "exported_at": _time(timezone.now(), tz),
        "sessions": rows,
    }


def _counts(questions: list[dict]) -> dict:
    def count(*statuses: str) -> int:
        return sum(q["status"] in statuses for q in questions)

    return {
        "questions": len(questions),
        # Answered questions were on screen before they were answered.
        "approved": count("approved", "answered"),
        "answered": count("answered"),
        "votes": sum(q["votes"] for q in questions),
    }


def safe_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def history_cell(history: list[dict]) -> str:
    return "\n".join(
        f"{h['at']} {h['action']} {h['by'] or '-'}: {h['from'] or '-'} -> {h['to'] or '-'}"
        for h in history
    )


def table_row(question: dict) -> dict:
    """A question of the JSON export as the cells of a table (CSV, a sheet): the history as
    lines, the speaker it is for by name (empty: everyone)."""
    speaker = question["addressed_to"]
    return dict(
        question,
        history=history_cell(question["history"]),
        addressed_to=speaker["name"] if speaker else "",
    )


def export_csv(data: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for q in data["questions"]:
        row = table_row(q)
        writer.writerow([safe_cell(row[column]) for column in CSV_COLUMNS])
    return (BOM + out.getvalue()).encode("utf-8")


EVENT_CSV_COLUMNS = ("session_id", "hall", "session", "session_starts_at", *CSV_COLUMNS)
SUMMARY_COLUMNS = (
    "session_id",
    "hall",
    "title_vi",
    "title_en",
    "speakers",
    "starts_at",
    "ends_at",
    "status",
    "questions",
    "approved",
    "answered",
    "votes",
)
# The workbook's Polls sheet: one row per option of each poll, with its poll's figures.
POLL_COLUMNS = (
    "session_id",
    "session",
    "poll_id",
    "question_vi",
    "question_en",
    "kind",
    "state",
    "voters",
    "position",
    "option_vi",
    "option_en",
    "votes",
    "percent",
)
# Characters a sheet name cannot hold, and its length limit (Excel's rules).
SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
SHEET_NAME_MAX = 31


def _vi_first(texts: dict) -> str:
    return texts["vi"] or texts["en"]


def export_event_csv(data: dict) -> bytes:
    """One table: each question with its session's id, hall, title and start first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EVENT_CSV_COLUMNS)
    for session in data["sessions"]:
        first = {
            "session_id": session["session_id"],
            "hall": _vi_first(session["hall"]),
            "session": _vi_first(session["title"]),
            "session_starts_at": session["starts_at"],
        }
        for q in session["questions"]:
            row = {**first, **table_row(q)}
            writer.writerow([safe_cell(row[column]) for column in EVENT_CSV_COLUMNS])
    return (BOM + out.getvalue()).encode("utf-8")


def _sheet_name(index: int, title: str) -> str:
    """ "<n>. <title>", cut to Excel's limit: unique, as the number before the dot is."""
    name = f"{index}. {title}".translate(SHEET_NAME_FORBIDDEN)
    return name[:SHEET_NAME_MAX].strip()


def _append(sheet, values: Iterable) -> None:
    """A row of plain values: text stays text (openpyxl would take "=..." for a formula)."""
    sheet.append([_xlsx_value(value) for value in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"


def _xlsx_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def export_event_xlsx(data: dict) -> bytes:
    """A summary sheet (one row per session, its counts), then one sheet per session with its
    questions in the CSV's columns. Texts as typed: Vietnamese intact, formulas never."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    _append(summary, SUMMARY_COLUMNS)
    for index, session in enumerate(data["sessions"], start=1):
        counts = session["counts"]
        _append(
            summary,
            [
                session["session_id"],
                _vi_first(session["hall"]),
                session["title"]["vi"],
                session["title"]["en"],
                ", ".join(session["speakers"]),
                session["starts_at"],
                session["ends_at"],
                session["status"],
                counts["questions"],
                counts["approved"],
                counts["answered"],
                counts["votes"],
            ],
        )
        sheet = book.create_sheet(_sheet_name(index, _vi_first(session["title"])))
        _append(sheet, CSV_COLUMNS)
        for q in session["questions"]:
            row = table_row(q)
            _append(sheet, [row[column] for column in CSV_COLUMNS])
    polls = book.create_sheet("Polls")
    _append(polls, POLL_COLUMNS)
    for session in data["sessions"]:
        for poll in session["polls"]:
            for option in poll["options"]:
                share = option["votes"] / poll["voters"] if poll["voters"] else 0
                _append(
                    polls,
                    [
                        session["session_id"],
                        _vi_first(session["title"]),
                        poll["id"],
                        poll["question"]["vi"],
                        poll["question"]["en"],
                        poll["kind"],
                        poll["state"],
                        poll["voters"],
                        option["position"],
                        option["text"]["vi"],
                        option["text"]["en"],
                        option["votes"],
                        round(share * 100, 1),
                    ],
                )
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _is_export(data, key: str) -> bool:
    return isinstance(data, dict) and key in data


def _error_as_json(data, renderer_context) -> bytes | None:
    """An error (or OPTIONS metadata) is no export: it goes out as JSON whatever the format."""
    response = (renderer_context or {}).get("response")
    failed = response is not None and response.status_code >= 400
    if failed or not (_is_export(data, "questions") or _is_export(data, "sessions")):
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data, ensure_ascii=False).encode("utf-8")
    return None


class CSVExportRenderer(BaseRenderer):
    """Chosen by `?format=csv` (or `Accept: text/csv`); errors still go out as JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        error = _error_as_json(data, renderer_context)
        if error is not None:
            return error
        return export_event_csv(data) if "sessions" in data else export_csv(data)


class XLSXExportRenderer(BaseRenderer):
    """`?format=xlsx`: the event's workbook."""

    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        error = _error_as_json(data, renderer_context)
        if error is not None:
            return error
        return export_event_xlsx(data)


class JSONExportRenderer(JSONRenderer):
    format = "json"

"""A session's questions for the organisers' records: JSON, or CSV that Excel opens with the
Vietnamese intact (UTF-8 with a byte order mark). Times are ISO 8601 in the event's time zone.

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

from live.models import Session
from qa.models import ModerationAction, Question
from qa.representations import action_data

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "id",
    "status",
    "pinned",
    "votes",
    "author_name",
    "anonymous",
    "text",
    "original_text",
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


def export_data(session: Session, questions: Iterable[Question]) -> dict:
    tz = session.event.tz
    return {
        "session_id": session.pk,
        "title": {"vi": session.title_vi, "en": session.title_en},
        "exported_at": _time(timezone.now(), tz),
        "questions": [
            {
                "id": q.pk,
                "status": q.status,
                "pinned": q.pinned,
                "votes": q.vote_count,
                "text": q.text,
                "original_text": q.original_text,
                "author_name": q.shown_author,
                "anonymous": q.anonymous,
                "created_at": _time(q.created_at, tz),
                "updated_at": _time(q.updated_at, tz),
                "answered_at": _time(q.answered_at, tz),
                "merged_into": q.merged_into_id,
                "history": _history(q.moderation_actions.all(), tz),
            }
            for q in questions
        ],
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


def export_csv(data: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for q in data["questions"]:
        row = dict(q, history=history_cell(q["history"]))
        writer.writerow([safe_cell(row[column]) for column in CSV_COLUMNS])
    return (BOM + out.getvalue()).encode("utf-8")


class CSVExportRenderer(BaseRenderer):
    """Chosen by `?format=csv` (or `Accept: text/csv`); errors still go out as JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        failed = response is not None and response.status_code >= 400
        if failed or not isinstance(data, dict) or "questions" not in data:
            # An error, or OPTIONS metadata: not an export.
            if response is not None:
                response["Content-Type"] = "application/json"
            return json.dumps(data, ensure_ascii=False).encode("utf-8")
        return export_csv(data)


class JSONExportRenderer(JSONRenderer):
    format = "json"

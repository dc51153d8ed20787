"""Importing an event's programme: read a file into rows, compare them with the sessions the
event has (a plan: what is added, changed, left alone, and every problem), then carry the plan
out through the services in one transaction, or not at all.

Formats (docs/programme.md):
- a spreadsheet, `.csv` (UTF-8, with or without BOM) or `.xlsx`: one row per session, columns
  hall, date, start, end, title_vi, title_en, description_vi, description_en, speakers,
  external_id;
- a pretalx schedule export, `schedule.json` (the frab-compatible c3voc JSON), and a frab /
  pentabarf / pretalx `schedule.xml`.

A session is matched by its external id, else by hall and start. Times without an offset are
read in the event's time zone. Nothing is written when any row has a problem."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from xml.etree.ElementTree import ParseError
from zoneinfo import ZoneInfo

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from live import services
from live.models import Event, Hall, Session, Speaker

SPREADSHEET_COLUMNS = (
    "hall",
    "date",
    "start",
    "end",
    "title_vi",
    "title_en",
    "description_vi",
    "description_en",
    "speakers",
    "external_id",
)
REQUIRED_COLUMNS = ("hall", "date", "start", "end", "title_vi")
# Speakers in one cell: "Name | Title | Organisation", several separated by ";" or new lines.
SPEAKER_SEPARATORS = re.compile(r"[;\n]")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
TEXT_LIMITS = {"hall": 120, "title_vi": 300, "title_en": 300, "external_id": 100}


@dataclass(frozen=True)
class SpeakerEntry:
    name: str
    title: str = ""
    organisation: str = ""


@dataclass
class ProgrammeRow:
    """One session as a file describes it. A text left None is one the file does not give
    (an absent column): an import leaves it as it is."""

    where: str  # "line 4", "event 316 (Saal 1)": how a person finds it in the file
    hall: str
    starts_at: datetime
    ends_at: datetime
    title_vi: str
    title_en: str | None = None
    description_vi: str | None = None
    description_en: str | None = None
    speakers: list[SpeakerEntry] | None = None
    external_id: str = ""


@dataclass(frozen=True)
class Problem:
    where: str
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"{self.where}, {self.column}: {self.message}"
        return f"{self.where}: {self.message}"


class ProgrammeInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# ---- reading --------------------------------------------------------------------------------


def read_programme(data: bytes, filename: str, tz: ZoneInfo) -> list[ProgrammeRow]:
    """The file's sessions, or ProgrammeInvalid listing every row that cannot be read."""
    if len(data) > MAX_FILE_BYTES:
        raise ProgrammeInvalid([Problem(filename, "", _("The file is larger than 5 MB."))])
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    readers = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_pretalx_json, "xml": _read_frab}
    if suffix not in readers:
        raise ProgrammeInvalid(
            [Problem(filename, "", _("Unknown format: give a .csv, .xlsx, .json or .xml file."))]
        )
    problems: list[Problem] = []
    rows = readers[suffix](data, tz, problems)
    if len(rows) > MAX_ROWS:
        problems.append(Problem(filename, "", _("More than 2,000 sessions in one file.")))
    if problems:
        raise ProgrammeInvalid(problems)
    return rows


def _text(value) -> str:
    text = "" if value is None else str(value)
    return unicodedata.normalize("NFC", text).strip()


def _parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(_("“%(value)s” is not a date (2026-12-10 or 10/12/2026).") % {"value": text})


def _parse_time(value) -> time:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    text = _text(value)
    for pattern in ("%H:%M", "%H:%M:%S", "%Hh%M"):
        try:
            return datetime.strptime(text, pattern).time()
        except ValueError:
            continue
    raise ValueError(_("“%(value)s” is not a time of day (14:30).") % {"value": text})


def _speakers(cell: str) -> list[SpeakerEntry]:
    entries = []
    for part in SPEAKER_SEPARATORS.split(cell):
        if not part.strip():
            continue
        name, title, organisation = ([*(_text(p) for p in part.split("|")), "", ""])[:3]
        entries.append(SpeakerEntry(name=name, title=title, organisation=organisation))
    return entries


def _spreadsheet_rows(
    header: list, records: Iterable[tuple[str, list]], tz: ZoneInfo, problems: list[Problem]
) -> list[ProgrammeRow]:
    """Rows of a spreadsheet: `header` the first row, `records` (where, cells) the others."""
    names = [_text(h).lower().replace(" ", "_") for h in header]
    unknown = [n for n in names if n and n not in SPREADSHEET_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if unknown or missing:
        for name in unknown:
            problems.append(Problem(_("line 1"), name, _("unknown column")))
        for name in missing:
            problems.append(Problem(_("line 1"), name, _("this column is missing")))
        return []
    rows = []
    for where, cells in records:
        values = dict(zip(names, [*cells, *[None] * (len(names) - len(cells))], strict=False))
        if not any(_text(v) for v in values.values()):
            continue  # a blank line
        row = _spreadsheet_row(where, values, names, tz, problems)
        if row is not None:
            rows.append(row)
    return rows


def _spreadsheet_row(where, values, names, tz, problems) -> ProgrammeRow | None:
    found: list[Problem] = []

    def required(column: str) -> str:
        text = _text(values.get(column))
        if not text:
            found.append(Problem(where, column, _("empty")))
        return text

    def limited(column: str, text: str) -> str:
        limit = TEXT_LIMITS.get(column)
        if limit and len(text) > limit:
            found.append(Problem(where, column, _("longer than %(n)s characters") % {"n": limit}))
        return text

    hall = limited("hall", required("hall"))
    title_vi = limited("title_vi", required("title_vi"))
    starts_at = ends_at = None
    try:
        day = _parse_date(values.get("date")) if required("date") else None
    except ValueError as exc:
        found.append(Problem(where, "date", str(exc)))
        day = None
    times = {}
    for column in ("start", "end"):
        try:
            times[column] = _parse_time(values.get(column)) if required(column) else None
        except ValueError as exc:
            found.append(Problem(where, column, str(exc)))
    if day and times.get("start") and times.get("end"):
        starts_at = datetime.combine(day, times["start"], tzinfo=tz)
        ends_at = datetime.combine(day, times["end"], tzinfo=tz)
        if ends_at <= starts_at:
            found.append(Problem(where, "end", _("the session must end after it starts")))

    def optional(column: str) -> str | None:
        return limited(column, _text(values.get(column))) if column in names else None

    speakers = None
    if "speakers" in names:
        speakers = _speakers(_text(values.get("speakers")))
        for speaker in speakers:
            if not speaker.name:
                found.append(Problem(where, "speakers", _("a speaker without a name")))
            elif len(speaker.name) > 120:
                found.append(Problem(where, "speakers", _("a name longer than 120 characters")))
    if found:
        problems.extend(found)
        return None
    return ProgrammeRow(
        where=where,
        hall=hall,
        starts_at=starts_at,
        ends_at=ends_at,
        title_vi=title_vi,
        title_en=optional("title_en"),
        description_vi=optional("description_vi"),
        description_en=optional("description_en"),
        speakers=speakers,
        external_id=optional("external_id") or "",
    )


def _read_csv(data: bytes, tz: ZoneInfo, problems: list[Problem]) -> list[ProgrammeRow]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem("", "", _("The file is not UTF-8 text: save it as CSV UTF-8.")))
        return []
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not lines:
        problems.append(Problem(_("line 1"), "", _("The file is empty.")))
        return []
    records = ((_("line %(n)s") % {"n": n}, cells) for n, cells in enumerate(lines[1:], 2))
    return _spreadsheet_rows(lines[0], records, tz, problems)


def _read_xlsx(data: bytes, tz: ZoneInfo, problems: list[Problem]) -> list[ProgrammeRow]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        lines = [list(cells) for cells in sheet.iter_rows(values_only=True)]
    except Exception:  # openpyxl raises many kinds for a file that is no workbook
        problems.append(Problem("", "", _("The file is not an Excel workbook (.xlsx).")))
        return []
    if not lines:
        problems.append(Problem(_("line 1"), "", _("The file is empty.")))
        return []
    records = ((_("line %(n)s") % {"n": n}, cells) for n, cells in enumerate(lines[1:], 2))
    return _spreadsheet_rows(lines[0], records, tz, problems)


def _duration(text: str) -> timedelta:
    """frab's "HH:MM" (or "D:HH:MM")."""
    parts = [int(p) for p in _text(text).split(":")]
    if not 2 <= len(parts) <= 3 or any(p < 0 for p in parts):
        raise ValueError
    minutes = parts[-2] * 60 + parts[-1] + (parts[0] * 24 * 60 if len(parts) == 3 else 0)
    if minutes <= 0:
        raise ValueError
    return timedelta(minutes=minutes)


def _aware(text: str, tz: ZoneInfo) -> datetime:
    moment = datetime.fromisoformat(_text(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _talk_row(
    where: str,
    *,
    room: str,
    start: str,
    duration: str,
    title: str,
    abstract: str,
    description: str,
    persons: list[str],
    language: str,
    external_id: str,
    tz: ZoneInfo,
    problems: list[Problem],
) -> ProgrammeRow | None:
    """A pretalx / frab talk: one title in the talk's language. The Vietnamese title is the
    one every screen falls back to, so it is always set; the English one only for English."""
    found = []
    if not _text(room):
        found.append(Problem(where, "room", _("empty")))
    if not _text(title):
        found.append(Problem(where, "title", _("empty")))
    starts_at = length = None
    try:
        starts_at = _aware(start, tz)
    except (TypeError, ValueError):
        found.append(Problem(where, "date", _("not a date and time: “%(v)s”") % {"v": start}))
    try:
        length = _duration(duration)
    except (TypeError, ValueError):
        found.append(Problem(where, "duration", _("not a duration: “%(v)s”") % {"v": duration}))
    if found:
        problems.extend(found)
        return None
    text = _text(abstract) or _text(description)
    english = _text(language).lower().startswith("en")
    return ProgrammeRow(
        where=where,
        hall=_text(room)[: TEXT_LIMITS["hall"]],
        starts_at=starts_at,
        ends_at=starts_at + length,
        title_vi=_text(title)[: TEXT_LIMITS["title_vi"]],
        title_en=_text(title)[: TEXT_LIMITS["title_en"]] if english else None,
        description_vi=text,
        description_en=text if english else None,
        speakers=[SpeakerEntry(name=_text(p)[:120]) for p in persons if _text(p)],
        external_id=_text(external_id)[: TEXT_LIMITS["external_id"]],
    )


def _read_pretalx_json(data: bytes, tz: ZoneInfo, problems: list[Problem]) -> list[ProgrammeRow]:
    try:
        days = json.loads(data.decode("utf-8-sig"))["schedule"]["conference"]["days"]
        assert isinstance(days, list)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AssertionError):
        problems.append(
            Problem(
                "schedule", "", _("Not a pretalx / frab schedule.json (schedule.conference.days).")
            )
        )
        return []
    rows = []
    for day_index, day in enumerate(days, 1):
        rooms = day.get("rooms") if isinstance(day, dict) else None
        if not isinstance(rooms, dict):
            problems.append(Problem(_("day %(n)s") % {"n": day_index}, "rooms", _("missing")))
            continue
        for room_name, talks in rooms.items():
            for talk in talks if isinstance(talks, list) else []:
                if not isinstance(talk, dict):
                    continue
                ident = talk.get("guid") or talk.get("code") or talk.get("id") or "?"
                where = _("talk %(id)s (%(room)s)") % {"id": ident, "room": room_name}
                persons = [
                    p.get("public_name") or p.get("name") or p.get("full_public_name") or ""
                    if isinstance(p, dict)
                    else str(p)
                    for p in talk.get("persons") or []
                ]
                row = _talk_row(
                    where,
                    room=talk.get("room") or room_name,
                    start=talk.get("date") or "",
                    duration=talk.get("duration") or "",
                    title=talk.get("title") or "",
                    abstract=talk.get("abstract") or "",
                    description=talk.get("description") or "",
                    persons=persons,
                    language=talk.get("language") or "",
                    external_id=str(talk.get("guid") or ""),
                    tz=tz,
                    problems=problems,
                )
                if row is not None:
                    rows.append(row)
    return rows


def _read_frab(data: bytes, tz: ZoneInfo, problems: list[Problem]) -> list[ProgrammeRow]:
    # defusedxml: entity declarations (expansion bombs, external entities) are refused.
    try:
        root = SafeElementTree.fromstring(data)
    except ParseError as exc:
        line, column = exc.position
        problems.append(
            Problem(_("line %(n)s") % {"n": line}, str(column), _("not well-formed XML"))
        )
        return []
    except DefusedXmlException:
        problems.append(Problem("", "", _("XML with entity declarations is not accepted.")))
        return []
    if root.tag != "schedule":
        problems.append(Problem("<" + root.tag + ">", "", _("Not a frab schedule.xml.")))
        return []
    rows = []
    for room in root.iter("room"):
        if room.find("event") is None and room.get("name") is None:
            continue  # <room> inside an <event>
        for talk in room.findall("event"):
            ident = talk.get("guid") or talk.get("id") or "?"
            where = _("event %(id)s (%(room)s)") % {"id": ident, "room": room.get("name", "")}
            persons = [p.text or "" for p in talk.iterfind("persons/person")]
            row = _talk_row(
                where,
                room=talk.findtext("room") or room.get("name", ""),
                start=talk.findtext("date") or "",
                duration=talk.findtext("duration") or "",
                title=talk.findtext("title") or "",
                abstract=talk.findtext("abstract") or "",
                description=talk.findtext("description") or "",
                persons=persons,
                language=talk.findtext("language") or "",
                external_id=talk.get("guid") or "",
                tz=tz,
                problems=problems,
            )
            if row is not None:
                rows.append(row)
    return rows


# ---- planning -------------------------------------------------------------------------------


@dataclass
class Planned:
    row: ProgrammeRow
    session: Session | None  # None: a new session
    changes: dict[str, tuple] = field(default_factory=dict)  # field -> (old, new)


@dataclass
class Plan:
    added: list[Planned] = field(default_factory=list)
    changed: list[Planned] = field(default_factory=list)
    unchanged: list[Planned] = field(default_factory=list)
    left_alone: list[Session] = field(default_factory=list)
    new_halls: list[str] = field(default_factory=list)
    new_speakers: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        return _(
            "%(added)s to add, %(changed)s to change, %(unchanged)s unchanged, "
            "%(left)s other sessions left alone; %(halls)s new halls, %(speakers)s new speakers."
        ) % {
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "left": len(self.left_alone),
            "halls": len(self.new_halls),
            "speakers": len(self.new_speakers),
        }


def _key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def plan_import(event: Event, rows: list[ProgrammeRow], *, force: bool = False) -> Plan:
    """Compare the rows with the event's sessions. Reads only."""
    plan = Plan()
    halls = {}
    for hall in Hall.objects.filter(event=event):
        halls.setdefault(_key(hall.name_vi), hall)
        if hall.name_en:
            halls.setdefault(_key(hall.name_en), hall)
    speakers = {_key(s.name): s for s in Speaker.objects.filter(event=event)}
    sessions = list(Session.objects.filter(event=event).prefetch_related("speakers"))
    by_external = {s.external_id: s for s in sessions if s.external_id}
    by_slot = {(s.hall_id, s.starts_at): s for s in sessions}
    matched: set[int] = set()
    seen_external: dict[str, str] = {}
    for row in rows:
        if row.external_id:
            if row.external_id in seen_external:
                plan.problems.append(
                    Problem(
                        row.where,
                        "external_id",
                        _("the same id as %(other)s") % {"other": seen_external[row.external_id]},
                    )
                )
                continue
            seen_external[row.external_id] = row.where
        hall = halls.get(_key(row.hall))
        if hall is None and _key(row.hall) not in {_key(h) for h in plan.new_halls}:
            plan.new_halls.append(row.hall)
        session = by_external.get(row.external_id) if row.external_id else None
        if session is None and hall is not None:
            candidate = by_slot.get((hall.pk, row.starts_at))
            # A row with another id than the session at that slot is another session.
            if candidate is not None and (
                not row.external_id or candidate.external_id in ("", row.external_id)
            ):
                session = candidate
        if session is not None and session.pk in matched:
            plan.problems.append(Problem(row.where, "", _("a second row for the same session")))
            continue
        for speaker in row.speakers or []:
            known = {_key(n) for n in plan.new_speakers}
            if _key(speaker.name) not in speakers and _key(speaker.name) not in known:
                plan.new_speakers.append(speaker.name)
        if session is None:
            plan.added.append(Planned(row=row, session=None))
            continue
        matched.add(session.pk)
        changes = _changes(session, row, hall)
        planned = Planned(row=row, session=session, changes=changes)
        if not changes:
            plan.unchanged.append(planned)
            continue
        if session.is_active and not force:
            plan.problems.append(
                Problem(
                    row.where,
                    "",
                    _("“%(title)s” is running now: changed only with --force")
                    % {"title": session.title_vi},
                )
            )
        plan.changed.append(planned)
    plan.left_alone = [s for s in sessions if s.pk not in matched]
    plan.problems.extend(_overlaps(plan, halls))
    return plan


def _changes(session: Session, row: ProgrammeRow, hall: Hall | None) -> dict[str, tuple]:
    changes = {}
    wanted = {
        "title_vi": row.title_vi,
        "title_en": row.title_en,
        "description_vi": row.description_vi,
        "description_en": row.description_en,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
    }
    for name, value in wanted.items():
        if value is not None and value != getattr(session, name):
            changes[name] = (getattr(session, name), value)
    if hall is None or hall.pk != session.hall_id:
        changes["hall"] = (session.hall_id, row.hall)
    if row.speakers is not None:
        old = sorted(_key(s.name) for s in session.speakers.all())
        new = sorted({_key(s.name) for s in row.speakers})
        if old != new:
            changes["speakers"] = (old, new)
    return changes


def _overlaps(plan: Plan, halls: dict[str, Hall]) -> list[Problem]:
    """Two sessions at once in one hall, after the import: the file's own rows, and the
    sessions it leaves alone."""

    def hall_of(name: str) -> str:
        hall = halls.get(_key(name))
        return f"#{hall.pk}" if hall else f"new:{_key(name)}"

    slots: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for planned in [*plan.added, *plan.changed, *plan.unchanged]:
        row = planned.row
        slots.setdefault(hall_of(row.hall), []).append((row.starts_at, row.ends_at, row.where))
    for session in plan.left_alone:
        where = _("the existing session “%(title)s”") % {"title": session.title_vi}
        slots.setdefault(f"#{session.hall_id}", []).append(
            (session.starts_at, session.ends_at, where)
        )
    problems = []
    for entries in slots.values():
        entries.sort(key=lambda entry: (entry[0], entry[1]))
        for (_start, end, where), (next_start, _end, next_where) in itertools.pairwise(entries):
            if next_start < end:
                problems.append(
                    Problem(
                        next_where,
                        "start",
                        _("overlaps %(other)s in the same hall") % {"other": where},
                    )
                )
    return problems


# ---- carrying it out ------------------------------------------------------------------------


def import_programme(
    event: Event,
    data: bytes,
    filename: str,
    *,
    actor: AbstractBaseUser | None,
    dry_run: bool = False,
    force: bool = False,
) -> Plan:
    """Read, plan and (unless `dry_run`) apply in one transaction. ProgrammeInvalid, with
    nothing written, when the file or the plan has any problem."""
    rows = read_programme(data, filename, event.tz)
    with transaction.atomic():
        # One import at a time per event: the plan must still hold when it is applied.
        Event.objects.select_for_update().filter(pk=event.pk).first()
        plan = plan_import(event, rows, force=force)
        if plan.problems:
            raise ProgrammeInvalid(plan.problems)
        if not dry_run:
            _apply(event, plan, actor=actor)
    return plan


def _apply(event: Event, plan: Plan, *, actor) -> None:
    halls = {}
    for hall in Hall.objects.filter(event=event):
        halls.setdefault(_key(hall.name_vi), hall)
        if hall.name_en:
            halls.setdefault(_key(hall.name_en), hall)
    order = max([h.display_order for h in halls.values()], default=0)
    for name in plan.new_halls:
        order += 1
        hall = Hall.objects.create(
            event=event, name_vi=name, slug=_free_slug(event, name), display_order=order
        )
        halls[_key(name)] = hall
    speaker_ids = _speakers_of(event, plan, actor=actor)
    for planned in plan.added:
        row = planned.row
        services.session_create(
            actor=actor,
            event_id=event.pk,
            hall_id=halls[_key(row.hall)].pk,
            title_vi=row.title_vi,
            title_en=row.title_en or "",
            description_vi=row.description_vi or "",
            description_en=row.description_en or "",
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            speaker_ids=[speaker_ids[_key(s.name)] for s in row.speakers or []],
            external_id=row.external_id,
        )
    for planned in plan.changed:
        row, session = planned.row, planned.session
        services.session_update(
            session_id=session.pk,
            actor=actor,
            title_vi=row.title_vi,
            title_en=row.title_en,
            description_vi=row.description_vi,
            description_en=row.description_en,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            hall_id=halls[_key(row.hall)].pk,
            speaker_ids=None
            if row.speakers is None
            else [speaker_ids[_key(s.name)] for s in row.speakers],
        )
    for planned in [*plan.changed, *plan.unchanged]:
        if planned.row.external_id and planned.session.external_id != planned.row.external_id:
            # Matched by hall and start: remember the id for the next import (no screen shows it).
            Session.objects.filter(pk=planned.session.pk).update(
                external_id=planned.row.external_id
            )


def _speakers_of(event: Event, plan: Plan, *, actor) -> dict[str, int]:
    """Every speaker the rows name, matched by name or created; a title or organisation the
    file gives is taken over (speaker_update tells the screens)."""
    known = {_key(s.name): s for s in Speaker.objects.filter(event=event)}
    ids = {}
    for planned in [*plan.added, *plan.changed, *plan.unchanged]:
        for entry in planned.row.speakers or []:
            key = _key(entry.name)
            speaker = known.get(key)
            if speaker is None:
                speaker = Speaker.objects.create(
                    event=event,
                    name=entry.name,
                    title=entry.title,
                    organisation=entry.organisation,
                )
                known[key] = speaker
            elif (entry.title and entry.title != speaker.title) or (
                entry.organisation and entry.organisation != speaker.organisation
            ):
                speaker = services.speaker_update(
                    speaker_id=speaker.pk,
                    actor=actor,
                    title=entry.title or None,
                    organisation=entry.organisation or None,
                )
                known[key] = speaker
            ids[key] = speaker.pk
    return ids


def _free_slug(event: Event, name: str) -> str:
    base = slugify(name.replace("đ", "d").replace("Đ", "D")) or "hall"
    slug, n = base[:70], 2
    while Hall.objects.filter(event=event, slug=slug).exists():
        slug, n = f"{base[:70]}-{n}", n + 1
    return slug

"""Every write to events, halls, speakers and sessions. One function per action; the API,
the sockets and the admin call the same ones."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from live import selectors
from live.broadcast import (
    publish_displays_on_commit,
    publish_hall_updated,
    publish_session_updated,
    publish_stage_message,
)
from live.enums import (
    SESSION_TRANSITIONS,
    TOP_QUESTIONS_MAX,
    TOP_QUESTIONS_MIN,
    DisplayMode,
    ModerationMode,
    SessionStatus,
)
from live.errors import Conflict, DomainError, IllegalTransition
from live.models import Event, Hall, HallAction, Session, Speaker, new_stage_key

# Hooks run inside the transaction of every change to what a session's screens show:
# hook(session=, actor=, changes=) where changes maps a field to (old, new). A change to the
# session's event, hall or speakers is reported for each of its sessions, the field named
# "event.<field>", "hall.<field>" or "speaker.<field>". qa registers its audit row here.
session_change_hooks: list[Callable[..., None]] = []


def register_session_change_hook(hook: Callable[..., None]) -> None:
    if hook not in session_change_hooks:
        session_change_hooks.append(hook)


# What session_update changes besides its status, Q&A switch and moderation mode: the
# programme, as the admin edits it.
SESSION_PROGRAMME_FIELDS = (
    "title_vi",
    "title_en",
    "description_vi",
    "description_en",
    "starts_at",
    "ends_at",
    "hall_id",
    "livestream_url",
)


def _session_changes(session: Session, fields: dict[str, Any]) -> dict[str, tuple]:
    """(old, new) of each field whose value changes; DomainError for a change the rules
    refuse (the status transition table, the programme's own rules)."""
    changes: dict[str, tuple] = {}
    status = fields.get("status")
    if status is not None and status != session.status:
        if status not in SessionStatus.values:
            raise DomainError(_("Unknown status."), code="session.invalid_status")
        if status not in SESSION_TRANSITIONS[session.status]:
            raise IllegalTransition(
                _("A session that is “%(old)s” cannot become “%(new)s”.")
                % {
                    "old": SessionStatus(session.status).label,
                    "new": SessionStatus(status).label,
                },
                code="session.illegal_status",
            )
        changes["status"] = (session.status, status)
    qa_open = fields.get("qa_open")
    if qa_open is not None and qa_open != session.qa_open:
        changes["qa_open"] = (session.qa_open, qa_open)
    moderation = fields.get("moderation")
    if moderation is not None and moderation != session.moderation:
        if moderation not in ModerationMode.values:
            raise DomainError(_("Unknown moderation mode."), code="session.invalid_moderation")
        changes["moderation"] = (session.moderation, moderation)
    for field in SESSION_PROGRAMME_FIELDS:
        value = fields.get(field)
        if value is not None and value != getattr(session, field):
            changes[field] = (getattr(session, field), value)
    if "title_vi" in changes and not changes["title_vi"][1].strip():
        raise DomainError(_("A session needs a Vietnamese title."), code="session.title_required")
    starts_at = fields.get("starts_at") or session.starts_at
    ends_at = fields.get("ends_at") or session.ends_at
    if ends_at <= starts_at:
        raise DomainError(_("A session must end after it starts."), code="session.ends_too_early")
    if "hall_id" in changes and not (
        Hall.objects.filter(pk=changes["hall_id"][1], event_id=session.event_id).exists()
    ):
        raise DomainError(_("This hall belongs to another event."), code="session.hall_elsewhere")
    speaker_ids = fields.get("speaker_ids")
    if speaker_ids is not None:
        old = sorted(session.speakers.values_list("pk", flat=True))
        new = sorted(set(speaker_ids))
        if old != new:
            if Speaker.objects.filter(pk__in=new, event_id=session.event_id).count() != len(new):
                raise DomainError(
                    _("A speaker of another event cannot speak here."),
                    code="session.speaker_elsewhere",
                )
            changes["speakers"] = (old, new)
    return changes


def session_update_check(*, session_id: int, **fields: Any) -> None:
    """Raise the DomainError session_update would raise for these fields, changing nothing
    (forms check with it before they save, so a refused change is a form error)."""
    _session_changes(Session.objects.get(pk=session_id), fields)


def session_update(
    *,
    session_id: int,
    actor: AbstractBaseUser | None,
    version: int | None = None,
    status: str | None = None,
    qa_open: bool | None = None,
    moderation: str | None = None,
    title_vi: str | None = None,
    title_en: str | None = None,
    description_vi: str | None = None,
    description_en: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    hall_id: int | None = None,
    livestream_url: str | None = None,
    speaker_ids: Iterable[int] | None = None,
) -> Session:
    """Change a session: its status (the transition table), whether Q&A is open, its
    moderation mode, and its programme (titles, descriptions, times, hall, speakers,
    livestream). A field left None is not changed.

    Side effects: bumps `version`; runs the session change hooks (audit) in the same
    transaction; after commit publishes `session.updated` and, if a hall display must
    switch (this hall's, or the one the session left), `display.session_changed`."""
    fields = {
        "status": status,
        "qa_open": qa_open,
        "moderation": moderation,
        "title_vi": title_vi,
        "title_en": title_en,
        "description_vi": description_vi,
        "description_en": description_en,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "hall_id": hall_id,
        "livestream_url": livestream_url,
        "speaker_ids": None if speaker_ids is None else list(speaker_ids),
    }
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session_id)
        if version is not None and version != session.version:
            raise Conflict(code="session.version_conflict")
        changes = _session_changes(session, fields)
        if not changes:
            return _reload(session_id)
        previous_hall_id = session.hall_id
        columns = [field for field in changes if field != "speakers"]
        for field in columns:
            setattr(session, field, changes[field][1])
        session.version = F("version") + 1
        session.save(update_fields=[*columns, "version", "updated_at"])
        if "speakers" in changes:
            session.speakers.set(changes["speakers"][1])
        session = _reload(session_id)
        for hook in session_change_hooks:
            hook(session=session, actor=actor, changes=changes)
        publish_session_updated(session, previous_hall_id=previous_hall_id)
    return session


def session_create(
    *,
    actor: AbstractBaseUser | None,
    event_id: int,
    hall_id: int,
    title_vi: str,
    starts_at: datetime,
    ends_at: datetime,
    title_en: str = "",
    description_vi: str = "",
    description_en: str = "",
    status: str = SessionStatus.SCHEDULED,
    qa_open: bool = True,
    moderation: str = ModerationMode.PRE,
    livestream_url: str = "",
    speaker_ids: Iterable[int] = (),
    external_id: str = "",
) -> Session:
    """A new session in the programme. Side effects: the hooks (audit: status "" -> its
    status) in the same transaction; after commit its hall's display switches to it if it is
    now the session that hall shows."""
    if not Hall.objects.filter(pk=hall_id, event_id=event_id).exists():
        raise DomainError(_("This hall belongs to another event."), code="session.hall_elsewhere")
    if ends_at <= starts_at:
        raise DomainError(_("A session must end after it starts."), code="session.ends_too_early")
    with transaction.atomic():
        session = Session.objects.create(
            event_id=event_id,
            hall_id=hall_id,
            title_vi=title_vi,
            title_en=title_en,
            description_vi=description_vi,
            description_en=description_en,
            starts_at=starts_at,
            ends_at=ends_at,
            status=status,
            qa_open=qa_open,
            moderation=moderation,
            livestream_url=livestream_url,
            external_id=external_id,
        )
        speaker_ids = list(speaker_ids)
        if speaker_ids:
            session.speakers.set(speaker_ids)
        session = _reload(session.pk)
        for hook in session_change_hooks:
            hook(session=session, actor=actor, changes={"status": ("", session.status)})
        publish_displays_on_commit([hall_id])
    return session


def _save_changes(obj: Any, fields: dict[str, Any]) -> dict[str, tuple]:
    """Set and save (update_fields) the fields whose value changes; returns their (old, new)."""
    changes = {
        field: (getattr(obj, field), value)
        for field, value in fields.items()
        if value is not None and value != getattr(obj, field)
    }
    for field, (_old, new) in changes.items():
        setattr(obj, field, new)
    if changes:
        unchanged = [f.name for f in obj._meta.fields if f.name not in changes]
        try:  # the model's rules: validators of what changed; clean(); every uniqueness rule
            # (full_clean(exclude=...) would skip a unique_together naming an unchanged field)
            obj.clean_fields(exclude=unchanged)
            obj.clean()
            obj.validate_unique()
            obj.validate_constraints()
        except ValidationError as exc:
            raise DomainError(
                " ".join(exc.messages), code=f"{obj._meta.model_name}.invalid"
            ) from None
        obj.save(update_fields=list(changes))
    return changes


def _report_to_sessions(sessions: Iterable[Session], *, actor, prefix: str, changes: dict) -> None:
    """Run the session change hooks (audit) for a change of something the sessions show."""
    named = {f"{prefix}.{field}": values for field, values in changes.items()}
    for session in sessions:
        for hook in session_change_hooks:
            hook(session=session, actor=actor, changes=named)


def event_update(
    *,
    event_id: int,
    actor: AbstractBaseUser | None,
    slug: str | None = None,
    name_vi: str | None = None,
    name_en: str | None = None,
    venue: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    timezone: str | None = None,
    join_code: str | None = None,
) -> Event:
    """Change an event. Every hall display shows its name, join code and time zone, so after
    commit each of its halls' displays gets its whole state again; each of its sessions gets
    an audit row ("event.<field>") in the same transaction."""
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event_id)
        changes = _save_changes(
            event,
            {
                "slug": slug,
                "name_vi": name_vi,
                "name_en": name_en,
                "venue": venue,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "timezone": timezone,
                "join_code": join_code,
            },
        )
        if not changes:
            return event
        sessions = Session.objects.filter(event_id=event_id).order_by("pk")
        _report_to_sessions(sessions, actor=actor, prefix="event", changes=changes)
        publish_displays_on_commit(list(event.halls.values_list("pk", flat=True)))
    return event


def hall_update(
    *,
    hall_id: int,
    actor: AbstractBaseUser | None,
    name_vi: str | None = None,
    name_en: str | None = None,
    slug: str | None = None,
    display_order: int | None = None,
) -> Hall:
    """Rename or reorder a hall. Its display shows its name, so after commit the display gets
    its whole state again; each session in the hall gets an audit row ("hall.<field>")."""
    with transaction.atomic():
        hall = Hall.objects.select_for_update().get(pk=hall_id)
        changes = _save_changes(
            hall,
            {"name_vi": name_vi, "name_en": name_en, "slug": slug, "display_order": display_order},
        )
        if not changes:
            return hall
        sessions = Session.objects.filter(hall_id=hall_id).order_by("pk")
        _report_to_sessions(sessions, actor=actor, prefix="hall", changes=changes)
        publish_displays_on_commit([hall_id])
    return hall


def hall_display_update(
    *,
    hall_id: int,
    actor: AbstractBaseUser | None,
    version: int | None = None,
    display_mode: str | None = None,
    top_questions: int | None = None,
) -> Hall:
    """Set what a hall's displays show: the mode and how many top questions. A field left
    None is not changed. Side effects: bumps the hall's `version` (a stale one raises
    Conflict), a HallAction in the same transaction, and after commit `hall.updated` to the
    hall's displays, its stage screen and its event's control room."""
    if display_mode is not None and display_mode not in DisplayMode.values:
        raise DomainError(_("Unknown display mode."), code="hall.invalid_display_mode")
    if top_questions is not None and not TOP_QUESTIONS_MIN <= top_questions <= TOP_QUESTIONS_MAX:
        raise DomainError(
            _("A display shows between %(min)s and %(max)s top questions.")
            % {"min": TOP_QUESTIONS_MIN, "max": TOP_QUESTIONS_MAX},
            code="hall.invalid_top_questions",
        )
    with transaction.atomic():
        hall = Hall.objects.select_for_update().get(pk=hall_id)
        if version is not None and version != hall.version:
            raise Conflict(code="hall.version_conflict")
        fields = {"display_mode": display_mode, "top_questions": top_questions}
        changes = {
            field: (getattr(hall, field), value)
            for field, value in fields.items()
            if value is not None and value != getattr(hall, field)
        }
        if not changes:
            return hall
        for field, (_old, new) in changes.items():
            setattr(hall, field, new)
        hall.version = F("version") + 1
        hall.save(update_fields=[*changes, "version"])
        hall.refresh_from_db()
        HallAction.objects.create(
            hall=hall,
            actor=actor,
            action=HallAction.Kind.DISPLAY,
            detail={field: list(values) for field, values in changes.items()},
        )
        publish_hall_updated(hall)
    return hall


# ---- the stage screen ---------------------------------------------------------------------------

STAGE_MESSAGE_MAX_LENGTH = Hall._meta.get_field("stage_message").max_length
# Control, zero-width and bidi-override characters (qa/text.py's rule for a single line).
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def clean_stage_message(text: str) -> str:
    """NFC (a Vietnamese letter is one character however it was typed), one line, trimmed."""
    text = _INVISIBLE.sub(" ", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def hall_stage_message(*, hall_id: int, actor: AbstractBaseUser | None, text: str) -> Hall:
    """The moderator's word to the speaker ("two more questions", "wrap up"), shown on the
    hall's stage screen with its time; empty text clears it. Sending the same words again
    renews their time (a second nudge). The message is not one of the hall's settings: the
    hall's `version` stays. Side effects: a HallAction `stage_message` (the old and new text);
    after commit `stage.message` to the hall's stage stream and its event's control stream."""
    text = clean_stage_message(text)
    if len(text) > STAGE_MESSAGE_MAX_LENGTH:
        raise DomainError(
            _("A message to the stage has at most %(n)d characters.")
            % {"n": STAGE_MESSAGE_MAX_LENGTH},
            code="hall.stage_message_too_long",
        )
    with transaction.atomic():
        hall = Hall.objects.select_for_update().get(pk=hall_id)
        old = hall.stage_message
        hall.stage_message = text
        hall.stage_message_at = timezone.now() if text else None
        hall.save(update_fields=["stage_message", "stage_message_at"])
        HallAction.objects.create(
            hall=hall,
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=HallAction.Kind.STAGE_MESSAGE,
            detail={"stage_message": [old, text]},
        )
        publish_stage_message(hall)
    return hall


def hall_stage_key_renew(*, hall_id: int, actor: AbstractBaseUser | None) -> Hall:
    """A new key for the hall's stage screen, locking out the old one: its page answers 403,
    a new socket with it is closed with 4403, and the sockets open with it are closed (4403)
    by the stage key watch within REALTIME["WATCHDOG_SECONDS"] (live/consumers.py). Side
    effect: a HallAction `stage_key`, which never holds the key."""
    with transaction.atomic():
        hall = Hall.objects.select_for_update().get(pk=hall_id)
        hall.stage_key = new_stage_key()
        hall.save(update_fields=["stage_key"])
        HallAction.objects.create(
            hall=hall,
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=HallAction.Kind.STAGE_KEY,
            detail={},
        )
    return hall


def speaker_update(
    *,
    speaker_id: int,
    actor: AbstractBaseUser | None,
    name: str | None = None,
    title: str | None = None,
    organisation: str | None = None,
) -> Speaker:
    """Change a speaker. A session's state carries its speakers, so each session of this
    speaker is changed too: its version bumped, an audit row ("speaker.<field>"), and after
    commit `session.updated` to its phones, moderators and hall display."""
    with transaction.atomic():
        speaker = Speaker.objects.select_for_update().get(pk=speaker_id)
        changes = _save_changes(
            speaker, {"name": name, "title": title, "organisation": organisation}
        )
        if not changes:
            return speaker
        session_ids = list(
            Session.objects.select_for_update()
            .filter(speakers=speaker)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        Session.objects.filter(pk__in=session_ids).update(version=F("version") + 1)
        sessions = list(selectors.sessions_with_people().filter(pk__in=session_ids).order_by("pk"))
        _report_to_sessions(sessions, actor=actor, prefix="speaker", changes=changes)
        for session in sessions:
            publish_session_updated(session)
    return speaker


def _reload(session_id: int) -> Session:
    return selectors.sessions_with_people().get(pk=session_id)


def api_token_issue(*, user: AbstractBaseUser) -> str:
    """The API token of a moderator (DRF's one token per user), created on first sign-in."""
    from rest_framework.authtoken.models import Token

    token, _created = Token.objects.get_or_create(user=user)
    return token.key

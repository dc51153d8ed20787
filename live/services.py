"""Every write to events, halls and sessions. One function per action."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from live.broadcast import publish_session_updated
from live.enums import SESSION_TRANSITIONS, ModerationMode, SessionStatus
from live.errors import Conflict, DomainError, IllegalTransition
from live.models import Session

# Hooks run inside the transaction of every session change: hook(session=, actor=, changes=)
# where changes maps a field to (old, new). qa registers its audit row here.
session_change_hooks: list[Callable[..., None]] = []


def session_update(
    *,
    session_id: int,
    actor: AbstractBaseUser | None,
    version: int | None = None,
    status: str | None = None,
    qa_open: bool | None = None,
    moderation: str | None = None,
) -> Session:
    """Change a session's status, whether Q&A is open, and its moderation mode.

    Side effects: bumps `version`; runs the session change hooks (audit) in the same
    transaction; after commit publishes `session.updated` and, if the hall display must
    switch, `display.session_changed`."""
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session_id)
        if version is not None and version != session.version:
            raise Conflict(code="session.version_conflict")
        changes: dict[str, tuple] = {}
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
        if qa_open is not None and qa_open != session.qa_open:
            changes["qa_open"] = (session.qa_open, qa_open)
        if moderation is not None and moderation != session.moderation:
            if moderation not in ModerationMode.values:
                raise DomainError(_("Unknown moderation mode."), code="session.invalid_moderation")
            changes["moderation"] = (session.moderation, moderation)
        if not changes:
            return _reload(session_id)
        for field, (_old, new) in changes.items():
            setattr(session, field, new)
        session.version = F("version") + 1
        session.save(update_fields=[*changes, "version", "updated_at"])
        session = _reload(session_id)
        for hook in session_change_hooks:
            hook(session=session, actor=actor, changes=changes)
        publish_session_updated(session)
    return session


def _reload(session_id: int) -> Session:
    from live.selectors import sessions_with_people

    return sessions_with_people().get(pk=session_id)


def api_token_issue(*, user: AbstractBaseUser) -> str:
    """The API token of a moderator (DRF's one token per user), created on first sign-in."""
    from rest_framework.authtoken.models import Token

    token, _created = Token.objects.get_or_create(user=user)
    return token.key

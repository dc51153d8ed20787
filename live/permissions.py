"""Who may do what on the API: the permission of the endpoints for signed-in users, and the
check once the view knows the event. The decision is the one role table
(live.enums.ROLE_CAPABILITIES, asked through live.selectors.user_may)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from live.enums import ROLE_CAPABILITIES, Capability, EventRole
from live.selectors import user_may

MODERATORS_ONLY = _("Only moderators of this event can do this.")
ORGANISER_ONLY = _("Only organisers of this event can do this.")


class ModeratorCandidate(BasePermission):
    """Permission for the endpoints of an event's staff, before the object is known: a
    signed-in user. Anonymous callers get 401, participants 403. What the user may do at the
    object's event is checked by `ensure_may` once the view knows the event."""

    message = MODERATORS_ONLY
    code = "moderation.forbidden"

    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)


def ensure_may(request: Request, capability: str, *, event_id: int) -> None:
    """401 for anonymous callers, 403 for everybody the role table does not let do that at
    this event. What a moderator may do is refused as `moderation.forbidden`, what only an
    organiser may do as `organiser.forbidden`, so a client can tell which role to ask for."""
    if user_may(request.user, capability, event_id=event_id):
        return
    if not request.user.is_authenticated and request.successful_authenticator is None:
        raise exceptions.NotAuthenticated()
    if capability in ROLE_CAPABILITIES[EventRole.MODERATOR]:
        raise exceptions.PermissionDenied(MODERATORS_ONLY, code=ModeratorCandidate.code)
    raise exceptions.PermissionDenied(ORGANISER_ONLY, code="organiser.forbidden")


def ensure_moderator(request: Request, *, event_id: int) -> None:
    """The moderation of questions (Capability.MODERATE)."""
    ensure_may(request, Capability.MODERATE, event_id=event_id)

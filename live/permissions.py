"""Who may moderate, on the API: the permission of the moderation endpoints and the check
once the view knows the event (live.selectors.user_can_moderate decides)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from live.selectors import user_can_moderate, user_can_organise


class ModeratorCandidate(BasePermission):
    """Permission for the moderation endpoints, before the object is known: a signed-in user.
    Anonymous callers get 401, participants 403. Which event the user may moderate is
    checked by `ensure_moderator` once the view knows the event."""

    message = _("Only moderators of this event can do this.")
    code = "moderation.forbidden"

    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)


def ensure_moderator(request: Request, *, event_id: int) -> None:
    """401 for anonymous callers, 403 for everybody who may not moderate this event
    (participants, moderators of another event)."""
    if user_can_moderate(request.user, event_id=event_id):
        return
    if not request.user.is_authenticated and request.successful_authenticator is None:
        raise exceptions.NotAuthenticated()
    raise exceptions.PermissionDenied(ModeratorCandidate.message, code=ModeratorCandidate.code)


ORGANISER_ONLY = _("Only organisers of this event can do this.")


def ensure_organiser(request: Request, *, event_id: int) -> None:
    """As ensure_moderator, for what only the event's organisers (and superusers) may do:
    401 for anonymous callers, 403 for everybody else, moderators of the event included."""
    if user_can_organise(request.user, event_id=event_id):
        return
    if not request.user.is_authenticated and request.successful_authenticator is None:
        raise exceptions.NotAuthenticated()
    raise exceptions.PermissionDenied(ORGANISER_ONLY, code="organiser.forbidden")

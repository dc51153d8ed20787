"""Reads for the screens, shaped for the screen that needs them."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.utils import timezone

from live.enums import ACTIVE_SESSION_STATUSES, ROLE_CAPABILITIES, Capability, SessionStatus
from live.models import Event, EventMembership, Hall, Session, Speaker

SESSION_RELATED = ("event", "hall")


def sessions_with_people():
    return Session.objects.select_related(*SESSION_RELATED).prefetch_related(
        Prefetch("speakers", queryset=Speaker.objects.order_by("name"))
    )


def _hall_current(queryset, *, hall_id: int, now: datetime | None):
    now = now or timezone.now()
    base = queryset.filter(hall_id=hall_id)
    active = base.filter(status__in=ACTIVE_SESSION_STATUSES).order_by("-starts_at", "-id").first()
    if active is not None:
        return active
    upcoming = base.filter(status=SessionStatus.SCHEDULED, ends_at__gt=now)
    return upcoming.order_by("starts_at", "id").first()


def hall_current_session(*, hall_id: int, now: datetime | None = None) -> Session | None:
    """The session a hall display follows: the one live, in Q&A or on break (the latest to
    start, if a moderator left two open); else the next scheduled one that has not ended."""
    return _hall_current(sessions_with_people(), hall_id=hall_id, now=now)


def hall_current_session_id(*, hall_id: int, now: datetime | None = None) -> int | None:
    """The same choice as hall_current_session, as an id, for the publishing path."""
    return _hall_current(Session.objects.values_list("id", flat=True), hall_id=hall_id, now=now)


def event_sessions_live_first(*, event: Event):
    """Sessions of an event, the ones running now first, then by start."""
    return (
        sessions_with_people()
        .filter(event=event)
        .annotate(
            running=Case(
                When(status__in=ACTIVE_SESSION_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("running", "starts_at", "hall__display_order")
    )


def user_capabilities(
    user: AbstractBaseUser | AnonymousUser | None, *, event_id: int
) -> frozenset[str]:
    """What the user may do at that event, from the one role table (ROLE_CAPABILITIES):
    everything for a superuser, nothing without a role or a sign-in."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(Capability.values)
    role = (
        EventMembership.objects.filter(user=user, event_id=event_id)
        .values_list("role", flat=True)
        .first()
    )
    return ROLE_CAPABILITIES.get(role, frozenset())


def user_may(
    user: AbstractBaseUser | AnonymousUser | None, capability: str, *, event_id: int
) -> bool:
    return capability in user_capabilities(user, event_id=event_id)


def events_with_capability(user, capability: str) -> list[Event]:
    """The events where the user may do that, newest first."""
    if not user.is_authenticated or not user.is_active:
        return []
    qs = Event.objects.all()
    if not user.is_superuser:
        roles = [role for role, granted in ROLE_CAPABILITIES.items() if capability in granted]
        qs = qs.filter(memberships__user=user, memberships__role__in=roles)
    return list(qs.distinct().order_by("-starts_on"))


def halls_of(*, event: Event) -> list[Hall]:
    return list(event.halls.order_by("display_order", "id"))


def hall_for_display(*, hall_id: int) -> Hall | None:
    return Hall.objects.select_related("event").filter(pk=hall_id).first()

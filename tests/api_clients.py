"""API clients for each kind of caller, built on tests/factories.py (one place, every API test)."""

from __future__ import annotations

from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from live import services as live_services
from live.models import Event
from tests import factories

# English messages in assertions; the Vietnamese default is tested on its own.
LANGUAGE = {"HTTP_ACCEPT_LANGUAGE": "en"}

ROLES = ("anonymous", "participant", "other_moderator", "moderator", "superuser")


def anonymous() -> APIClient:
    return APIClient(**LANGUAGE)


def as_user(user) -> APIClient:
    client = APIClient(**LANGUAGE)
    client.credentials(HTTP_AUTHORIZATION=f"Token {live_services.api_token_issue(user=user)}")
    return client


def as_participant(event: Event, **kw):
    """(client, participant) for a phone that joined `event`."""
    participant, token = factories.participant(event, **kw)
    client = APIClient(**LANGUAGE)
    client.credentials(HTTP_X_PARTICIPANT_TOKEN=token)
    return client, participant


def client_for(role: str, event: Event) -> APIClient:
    """A client for one of ROLES, relative to `event`."""
    if role == "anonymous":
        return anonymous()
    if role == "participant":
        return as_participant(event)[0]
    if role == "other_moderator":
        return as_user(factories.moderator(factories.event()))
    if role == "moderator":
        return as_user(factories.moderator(event))
    if role == "organiser":
        return as_user(factories.moderator(event, role="organiser"))
    if role == "other_organiser":
        return as_user(factories.moderator(factories.event(), role="organiser"))
    if role == "superuser":
        return as_user(factories.superuser())
    raise ValueError(role)


def rates(**changed: str):
    """override_settings with these throttle rates (e.g. participant_vote="3/min")."""
    rest = settings.REST_FRAMEWORK
    return override_settings(
        REST_FRAMEWORK={
            **rest,
            "DEFAULT_THROTTLE_RATES": {**rest["DEFAULT_THROTTLE_RATES"], **changed},
        }
    )

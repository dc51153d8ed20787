"""Factories in one place: small functions with sensible defaults, keyword overrides."""

from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth import get_user_model
from django.utils import timezone

from live.enums import EventRole
from live.models import Event, EventMembership, Hall, Session, Speaker
from qa.models import Participant, Question

_n = itertools.count(1)


def event(**kw) -> Event:
    i = next(_n)
    defaults = dict(
        slug=f"event-{i}",
        name_vi=f"Hội nghị Thành phố thông minh {i}",
        name_en=f"Smart City Summit {i}",
        starts_on=dt.date(2023, 11, 29),
        ends_on=dt.date(2023, 11, 30),
    )
    defaults.update(kw)
    return Event.objects.create(**defaults)


def hall(event_obj: Event | None = None, **kw) -> Hall:
    i = next(_n)
    event_obj = event_obj or event()
    defaults = dict(
        event=event_obj, name_vi=f"Hội trường {i}", name_en=f"Hall {i}", slug=f"hall-{i}"
    )
    defaults.update(kw)
    return Hall.objects.create(**defaults)


def session(hall_obj: Hall | None = None, **kw) -> Session:
    i = next(_n)
    hall_obj = hall_obj or hall()
    start = kw.pop("starts_at", timezone.now() - dt.timedelta(minutes=10))
    defaults = dict(
        event=hall_obj.event,
        hall=hall_obj,
        title_vi=f"Phiên thảo luận {i}: Chuyển đổi số",
        title_en=f"Panel {i}: Digital transformation",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        status="live",
        qa_open=True,
        moderation="pre",
    )
    defaults.update(kw)
    return Session.objects.create(**defaults)


def speaker(event_obj: Event, **kw) -> Speaker:
    i = next(_n)
    defaults = dict(
        event=event_obj, name=f"Nguyễn Văn {i}", title="TS.", organisation="UBND TP Hà Nội"
    )
    defaults.update(kw)
    return Speaker.objects.create(**defaults)


def participant(event_obj: Event, **kw) -> tuple[Participant, str]:
    token, token_hash = Participant.new_token()
    defaults = dict(event=event_obj, token_hash=token_hash, display_name=kw.pop("display_name", ""))
    defaults.update(kw)
    return Participant.objects.create(**defaults), token


def question(session_obj: Session, **kw) -> Question:
    i = next(_n)
    if "participant" not in kw:
        kw["participant"] = participant(session_obj.event)[0]
    defaults = dict(
        session=session_obj,
        text=f"Câu hỏi số {i} về giao thông thông minh?",
        status="pending",
        language="vi",
    )
    defaults.update(kw)
    return Question.objects.create(**defaults)


def user(username: str | None = None, **kw):
    username = username or f"user{next(_n)}"
    return get_user_model().objects.create_user(username=username, password="pw-Secret-123", **kw)


def moderator(event_obj: Event, username: str | None = None, role: str = EventRole.MODERATOR):
    u = user(username)
    EventMembership.objects.create(event=event_obj, user=u, role=role)
    return u


def organiser(event_obj: Event, username: str | None = None):
    return moderator(event_obj, username, role=EventRole.ORGANISER)


def superuser(username: str | None = None):
    return get_user_model().objects.create_superuser(
        username=username or f"admin{next(_n)}", password="pw-Secret-123", email="a@example.com"
    )

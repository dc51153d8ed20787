import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from live.enums import (
    ACTIVE_SESSION_STATUSES,
    TOP_QUESTIONS_DEFAULT,
    TOP_QUESTIONS_MAX,
    TOP_QUESTIONS_MIN,
    DisplayMode,
    EventRole,
    ModerationMode,
    SessionStatus,
)

# No 0/O, 1/I/L: the code is read off a projector and typed on a phone.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(6))


def new_stage_key() -> str:
    """The stage screen's key: typed once into a lectern tablet's URL, renewed to lock out."""
    return secrets.token_urlsafe(18)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def in_language(vi: str, en: str) -> str:
    """The text in the active language, falling back to Vietnamese, the summit's own."""
    if translation.get_language() == "en" and en:
        return en
    return vi or en


class Event(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Ho_Chi_Minh", validators=[validate_timezone]
    )
    join_code = models.CharField(
        _("join code"),
        max_length=12,
        unique=True,
        default=new_join_code,
        help_text=_("Short code shown on the big screen; the phone page opens at /j/<code>."),
    )
    # When the attendees' names were blanked (qa.services.event_anonymise); None: not yet.
    anonymised_at = models.DateTimeField(_("names forgotten at"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "slug"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="event_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_vi} ({self.starts_on:%Y-%m-%d})"

    @property
    def name(self) -> str:
        return in_language(self.name_vi, self.name_en)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The last day cannot come before the first day.")})
        if self.join_code:
            self.join_code = self.join_code.strip().upper()


class Hall(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="halls")
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    slug = models.SlugField(_("slug"), max_length=80)
    display_order = models.PositiveSmallIntegerField(_("display order"), default=0)
    display_mode = models.CharField(
        _("display mode"), max_length=12, choices=DisplayMode.choices, default=DisplayMode.QUESTIONS
    )
    top_questions = models.PositiveSmallIntegerField(
        _("top questions on the display"),
        default=TOP_QUESTIONS_DEFAULT,
        validators=[MinValueValidator(TOP_QUESTIONS_MIN), MaxValueValidator(TOP_QUESTIONS_MAX)],
    )
    # The lectern tablet's key (/stage/<hall_id>/?key=...); renewing it locks out the old one.
    stage_key = models.CharField(_("stage key"), max_length=32, default=new_stage_key)
    # The moderator's last word to the speaker on the stage screen ("wrap up").
    stage_message = models.CharField(_("message to the stage"), max_length=200, blank=True)
    stage_message_at = models.DateTimeField(_("message sent at"), null=True, blank=True)
    # Bumped by every display or stage change, as a session's: no silent overwrites.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["event", "display_order", "id"]
        verbose_name = _("hall")
        verbose_name_plural = _("halls")
        constraints = [
            models.UniqueConstraint(fields=["event", "slug"], name="hall_slug_unique_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.name_vi} - {self.event.slug}"

    @property
    def name(self) -> str:
        return in_language(self.name_vi, self.name_en)


class Speaker(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="speakers")
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("title"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)

    class Meta:
        ordering = ["event", "name"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="speaker_unique_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.organisation}" if self.organisation else self.name


class Session(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="sessions")
    title_vi = models.CharField(_("title (Vietnamese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    description_vi = models.TextField(_("description (Vietnamese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    speakers = models.ManyToManyField(Speaker, related_name="sessions", blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=12, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    qa_open = models.BooleanField(_("Q&A open"), default=True)
    moderation = models.CharField(
        _("moderation"), max_length=4, choices=ModerationMode.choices, default=ModerationMode.PRE
    )
    livestream_url = models.URLField(_("livestream URL"), blank=True)
    # The session's id in the programme it was imported from (a spreadsheet's external_id, a
    # pretalx or frab guid): how a re-import finds it again.
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    # Bumped on every change, so two moderators never silently overwrite each other.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "hall__display_order", "id"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["event", "external_id"],
                condition=~Q(external_id=""),
                name="session_external_id_unique_per_event",
            ),
        ]
        indexes = [models.Index(fields=["hall", "starts_at"])]

    def __str__(self) -> str:
        local = (
            timezone.localtime(self.starts_at, self.event.tz) if self.event_id else self.starts_at
        )
        return f"{self.title_vi} ({local:%d/%m %H:%M})"

    @property
    def title(self) -> str:
        return in_language(self.title_vi, self.title_en)

    @property
    def description(self) -> str:
        return in_language(self.description_vi, self.description_en)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_SESSION_STATUSES

    def clean(self) -> None:
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("A session must end after it starts.")
        if self.hall_id and self.event_id and self.hall.event_id != self.event_id:
            errors["hall"] = _("This hall belongs to another event.")
        if errors:
            raise ValidationError(errors)


class EventMembership(models.Model):
    """A Django user's role at one event. Superusers act on every event without one."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_memberships"
    )
    role = models.CharField(_("role"), max_length=12, choices=EventRole.choices)

    class Meta:
        verbose_name = _("event role")
        verbose_name_plural = _("event roles")
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="one_role_per_user_and_event"),
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} - {self.event.slug}"


class HallAction(models.Model):
    """The audit trail of a hall's display and stage (written in the change's transaction);
    a session's own changes are audited by qa's ModerationAction."""

    class Kind(models.TextChoices):
        DISPLAY = "display", _("Display settings changed")
        STAGE_MESSAGE = "stage_message", _("Message to the stage")
        STAGE_KEY = "stage_key", _("Stage key renewed")

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="actions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hall_actions",
    )
    action = models.CharField(_("action"), max_length=16, choices=Kind.choices)
    # {"field": [old, new], ...}; never the stage key itself.
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("hall action")
        verbose_name_plural = _("hall actions")

    def __str__(self) -> str:
        return f"{self.actor or '-'} {self.action} {self.hall_id}"


class ConnectionSample(models.Model):
    """How many phones and displays a hall had connected at one minute, over every process
    (live/samples.py, each minute while an event runs): the event report's connections chart."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="connection_samples")
    session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    phones = models.PositiveIntegerField(_("phones"), default=0)
    displays = models.PositiveIntegerField(_("displays"), default=0)

    class Meta:
        ordering = ["hall", "at"]
        verbose_name = _("connection sample")
        verbose_name_plural = _("connection samples")
        constraints = [
            models.UniqueConstraint(fields=["hall", "at"], name="one_sample_per_hall_and_minute"),
        ]

    def __str__(self) -> str:
        return f"{self.hall_id} {self.at:%Y-%m-%d %H:%M}: {self.phones}/{self.displays}"

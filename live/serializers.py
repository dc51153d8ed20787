"""Request serializers name every field a client may send; response serializers document the
dicts of live/representations.py for the OpenAPI schema (the views return those dicts)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from live.enums import (
    TOP_QUESTIONS_MAX,
    TOP_QUESTIONS_MIN,
    DisplayMode,
    ModerationMode,
    SessionStatus,
)
from live.services import STAGE_MESSAGE_MAX_LENGTH, clean_stage_message

MAX_DB_INT = 2**31 - 1


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A fixed code, e.g. `qa.closed`.")
    detail = serializers.CharField(help_text="A human message in the request's language.")


class ValidationErrorSerializer(ErrorSerializer):
    fields = serializers.DictField(
        child=serializers.JSONField(), help_text="The messages for each field that failed."
    )


class VersionField(serializers.IntegerField):
    """The version the client last saw; a stale one -> 409 with the current state."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_DB_INT)
        kwargs.setdefault(
            "help_text", "The version you last saw; if it changed since, 409 with the current one."
        )
        super().__init__(**kwargs)


# ---- requests ----------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)


class SessionPatchSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SessionStatus.choices, required=False)
    qa_open = serializers.BooleanField(required=False)
    moderation = serializers.ChoiceField(choices=ModerationMode.choices, required=False)
    version = VersionField()


class HallPatchSerializer(serializers.Serializer):
    display_mode = serializers.ChoiceField(choices=DisplayMode.choices, required=False)
    top_questions = serializers.IntegerField(
        min_value=TOP_QUESTIONS_MIN, max_value=TOP_QUESTIONS_MAX, required=False
    )
    version = VersionField()


class StageMessageRequestSerializer(serializers.Serializer):
    text = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        max_length=1000,
        help_text="Up to 200 characters (after Unicode NFC, one line, trimmed); empty clears "
        "the message.",
    )

    def validate_text(self, value: str) -> str:
        """The service's own rule, so that a too long message is a field error."""
        value = clean_stage_message(value)
        if len(value) > STAGE_MESSAGE_MAX_LENGTH:
            raise serializers.ValidationError(
                _("At most %(n)d characters.") % {"n": STAGE_MESSAGE_MAX_LENGTH},
                code="max_length",
            )
        return value


# ---- responses (documentation of the representation dicts) --------------------------------------


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class TranslatedSerializer(serializers.Serializer):
    vi = serializers.CharField()
    en = serializers.CharField()


class SpeakerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    organisation = serializers.CharField()


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.IntegerField()
    hall_id = serializers.IntegerField()
    title = TranslatedSerializer()
    description = TranslatedSerializer()
    speakers = SpeakerSerializer(many=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=SessionStatus.choices)
    qa_open = serializers.BooleanField()
    moderation = serializers.ChoiceField(choices=ModerationMode.choices)
    livestream_url = serializers.CharField()
    version = serializers.IntegerField()


class SessionConflictSerializer(ErrorSerializer):
    session = SessionSerializer(help_text="The session as it is now.")


class HallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.IntegerField()
    name = TranslatedSerializer()
    slug = serializers.CharField()
    display_mode = serializers.ChoiceField(choices=DisplayMode.choices)
    top_questions = serializers.IntegerField()
    version = serializers.IntegerField()


class HallConflictSerializer(ErrorSerializer):
    hall = HallSerializer(help_text="The hall as it is now.")


class StageMessageSerializer(serializers.Serializer):
    hall_id = serializers.IntegerField()
    text = serializers.CharField(help_text="Empty when cleared.")
    at = serializers.DateTimeField(allow_null=True, help_text="When it was sent; null if none.")


class StageKeySerializer(serializers.Serializer):
    stage_key = serializers.CharField(help_text="The new key; the old one no longer opens.")
    stage_url = serializers.CharField(help_text="The stage page's path with the key.")


class EventDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = TranslatedSerializer()
    timezone = serializers.CharField()
    join_code = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    halls = HallSerializer(many=True)
    sessions = SessionSerializer(many=True)

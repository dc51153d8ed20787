"""Request serializers name every field a client may send; response serializers document the
dicts of qa/representations.py for the OpenAPI schema (the views return those dicts).

Length limits here are generous bounds on the raw input; the real rules (1 to 500 characters
after cleaning, names up to 80) are the services', with their own error codes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from live.serializers import MAX_DB_INT, ErrorSerializer, TranslatedSerializer, VersionField
from qa.enums import (
    BULK_ACTIONS,
    POLL_OPTIONS_MAX,
    POLL_OPTIONS_MIN,
    PollKind,
    PollState,
    QuestionAction,
    QuestionStatus,
)
from qa.models import QuestionLanguage

RAW_TEXT_MAX = 5000
RAW_NAME_MAX = 1000
QUEUE_POSITION_MAX = 32767  # the column is a small integer


# ---- requests ----------------------------------------------------------------------------------


class JoinSerializer(serializers.Serializer):
    display_name = serializers.CharField(
        required=False, allow_blank=True, max_length=RAW_NAME_MAX, default=""
    )


class QuestionListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=QuestionStatus.choices,
        required=False,
        help_text="Moderators: only questions in this status. Others: only public questions "
        "in this status (so `pending` gives an empty list).",
    )
    mine = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With `X-Participant-Token`: the caller's own questions, every status.",
    )


def addressed_to_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        allow_null=True,
        min_value=1,
        max_value=MAX_DB_INT,
        help_text="The id of one of the session's speakers the question is for (the "
        "session's `speakers`); null or absent: everyone. Another id: 400 "
        "`question.addressed_to_invalid` with `fields.addressed_to`.",
        **kwargs,
    )


class QuestionSubmitSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=RAW_TEXT_MAX)
    author_name = serializers.CharField(
        required=False, allow_blank=True, max_length=RAW_NAME_MAX, default=""
    )
    anonymous = serializers.BooleanField(required=False, default=False)
    client_id = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=64,
        default=None,
        help_text="A random id the phone makes up per question; resending it returns the "
        "first question instead of a duplicate.",
    )
    addressed_to = addressed_to_field(required=False, default=None)


class VersionSerializer(serializers.Serializer):
    version = VersionField()


class QueueSerializer(serializers.Serializer):
    position = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=QUEUE_POSITION_MAX,
        help_text="The 1-based place in the stage queue (past the end: the end). Absent or "
        "null: at the end, or where it is if already queued.",
    )
    version = VersionField()


class QuestionEditSerializer(serializers.Serializer):
    """Either an edit - `text` and/or `addressed_to`, an absent one stays as it is - or the
    question's `translation` (issue 14) alone: each is its own audited change."""

    text = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=RAW_TEXT_MAX
    )
    addressed_to = addressed_to_field(required=False)
    translation = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=RAW_TEXT_MAX,
        help_text="The question in the other language (Vietnamese <-> English); empty removes it.",
    )
    version = VersionField()

    def validate(self, attrs):
        edit = [field for field in ("text", "addressed_to") if field in attrs]
        if "translation" not in attrs and not edit:
            raise serializers.ValidationError(
                {"text": [serializers.Field.default_error_messages["required"]]}
            )
        if "translation" in attrs and edit:
            raise serializers.ValidationError(
                _("Send the text or the speaker, or else the translation."), code="edit.one_field"
            )
        return attrs


class MergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, max_value=MAX_DB_INT)
    version = VersionField()


class BulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[(a.value, a.label) for a in BULK_ACTIONS])
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_DB_INT),
        min_length=1,
        max_length=500,
    )


# ---- responses (documentation of the representation dicts) --------------------------------------


class ParticipantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class JoinResponseSerializer(serializers.Serializer):
    participant_token = serializers.CharField(
        help_text="Shown once; send it as `X-Participant-Token` from now on."
    )
    participant = ParticipantSerializer()


class AddressedToSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class QuestionPublicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    session_id = serializers.IntegerField()
    text = serializers.CharField()
    author_name = serializers.CharField(help_text="Empty when anonymous.")
    anonymous = serializers.BooleanField()
    addressed_to = AddressedToSerializer(
        allow_null=True, help_text="The speaker the question is for; null: everyone."
    )
    status = serializers.ChoiceField(choices=QuestionStatus.choices)
    pinned = serializers.BooleanField()
    queue_position = serializers.IntegerField(
        allow_null=True,
        help_text="Its place (1..n) in the queue of questions for the stage; null if not queued.",
    )
    votes = serializers.IntegerField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    language = serializers.ChoiceField(
        choices=QuestionLanguage.choices,
        allow_blank=True,
        help_text="The language it was typed in, detected at submit: `vi`, `en` or `other`.",
    )
    translation = serializers.CharField(
        allow_blank=True, help_text="A moderator's translation into the other language."
    )
    translation_language = serializers.ChoiceField(
        choices=QuestionLanguage.choices,
        allow_blank=True,
        help_text="The language of `translation`; empty without one.",
    )


class ActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=QuestionAction.choices)
    by = serializers.CharField(allow_null=True, help_text="The moderator's user name.")
    # "from" is a Python keyword: declared below.
    to = serializers.CharField()
    at = serializers.DateTimeField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField()
        return fields


class QuestionFlagsSerializer(serializers.Serializer):
    words = serializers.ListField(child=serializers.CharField(), required=False)
    muted = serializers.BooleanField(required=False)


class QuestionModerationSerializer(QuestionPublicSerializer):
    original_text = serializers.CharField(help_text="The participant's words before an edit.")
    edited = serializers.BooleanField()
    participant_id = serializers.IntegerField(allow_null=True)
    merged_into = serializers.IntegerField(allow_null=True)
    updated_at = serializers.DateTimeField()
    last_action = ActionSerializer(allow_null=True)
    translation_suggestion = serializers.CharField(
        allow_blank=True,
        help_text="The translation server's suggestion for `translation` (empty: none yet).",
    )
    translation_stale = serializers.BooleanField(
        help_text="The text was edited after `translation` was saved: the translation may be "
        "out of date until a moderator saves it again.",
    )
    flags = QuestionFlagsSerializer(
        help_text="Why it was held at submit, whatever the moderation mode: `words` (listed "
        "words it contains) and/or `muted` (its author was muted). Empty: not held."
    )
    author_muted = serializers.BooleanField(help_text="Its author is muted now.")
    similar_to = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Questions of the session that said nearly the same thing when it arrived, "
        "most alike first (at most 5).",
    )


class VersionConflictSerializer(ErrorSerializer):
    question = QuestionModerationSerializer(help_text="The question as it is now.")


class QueueConflictSerializer(ErrorSerializer):
    question = QuestionModerationSerializer(
        required=False,
        help_text="With `question.version_conflict` only: the question as it is now.",
    )


class VotesSerializer(serializers.Serializer):
    votes = serializers.IntegerField()


class AuditEntrySerializer(ActionSerializer):
    id = serializers.IntegerField()
    question_id = serializers.IntegerField(allow_null=True)
    detail = serializers.DictField(child=serializers.JSONField())


class ExportQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=QuestionStatus.choices)
    pinned = serializers.BooleanField()
    votes = serializers.IntegerField()
    text = serializers.CharField()
    original_text = serializers.CharField()
    language = serializers.ChoiceField(choices=QuestionLanguage.choices, allow_blank=True)
    translation = serializers.CharField(allow_blank=True)
    translation_language = serializers.ChoiceField(
        choices=QuestionLanguage.choices, allow_blank=True
    )
    author_name = serializers.CharField(help_text="Empty when anonymous.")
    anonymous = serializers.BooleanField()
    addressed_to = AddressedToSerializer(
        allow_null=True, help_text="The speaker the question is for; null: everyone."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    merged_into = serializers.IntegerField(allow_null=True)
    history = ActionSerializer(many=True)


class ExportPollOptionSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    text = TranslatedSerializer()
    votes = serializers.IntegerField()


class ExportPollSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = TranslatedSerializer()
    kind = serializers.ChoiceField(choices=PollKind.choices)
    max_choices = serializers.IntegerField()
    state = serializers.ChoiceField(choices=PollState.choices)
    voters = serializers.IntegerField()
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    options = ExportPollOptionSerializer(many=True)


class ExportSerializer(serializers.Serializer):
    session_id = serializers.IntegerField()
    title = serializers.DictField(child=serializers.CharField())
    exported_at = serializers.DateTimeField()
    questions = ExportQuestionSerializer(many=True)
    polls = ExportPollSerializer(many=True, help_text="Every poll with its results (JSON only).")


class SessionResetSerializer(serializers.Serializer):
    questions = serializers.IntegerField(help_text="How many questions were removed.")
    votes = serializers.IntegerField(help_text="How many votes went with them.")
    ballots = serializers.IntegerField(
        help_text="How many ballots of the session's polls were removed (the polls stay, "
        "drafts again)."
    )


# ---- polls ----------------------------------------------------------------------------------
# The services check the real rules (texts after cleaning, 2..10 options, how many choices)
# with their own codes; these bound the raw input.


class PollOptionInputSerializer(serializers.Serializer):
    text_vi = serializers.CharField(allow_blank=True, max_length=RAW_NAME_MAX)
    text_en = serializers.CharField(
        required=False, allow_blank=True, max_length=RAW_NAME_MAX, default=""
    )


class PollCreateSerializer(serializers.Serializer):
    question_vi = serializers.CharField(allow_blank=True, max_length=RAW_NAME_MAX)
    question_en = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=RAW_NAME_MAX,
        default="",
        help_text="Shown to English readers; empty: the Vietnamese text.",
    )
    kind = serializers.ChoiceField(choices=PollKind.choices, required=False, default="single")
    max_choices = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=POLL_OPTIONS_MAX,
        default=None,
        help_text="Multiple choice: how many options a ballot may hold (2 up to the number of "
        "options; absent: all of them). Single choice: 1.",
    )
    options = PollOptionInputSerializer(
        many=True, min_length=POLL_OPTIONS_MIN, max_length=POLL_OPTIONS_MAX
    )


class PollEditSerializer(serializers.Serializer):
    """Every field optional: only the ones sent change; `options` replaces all of them."""

    question_vi = serializers.CharField(required=False, allow_blank=True, max_length=RAW_NAME_MAX)
    question_en = serializers.CharField(required=False, allow_blank=True, max_length=RAW_NAME_MAX)
    kind = serializers.ChoiceField(choices=PollKind.choices, required=False)
    max_choices = serializers.IntegerField(required=False, min_value=1, max_value=POLL_OPTIONS_MAX)
    options = PollOptionInputSerializer(
        many=True, required=False, min_length=POLL_OPTIONS_MIN, max_length=POLL_OPTIONS_MAX
    )
    version = VersionField()


class BallotSerializer(serializers.Serializer):
    options = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_DB_INT),
        max_length=POLL_OPTIONS_MAX,
        help_text="The ids of the options chosen (one for a single choice poll); they replace "
        "the phone's earlier ballot in this poll.",
    )


class PollOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    text = TranslatedSerializer()
    votes = serializers.IntegerField(
        allow_null=True, help_text="Null for the audience while the results are hidden."
    )


class PollPublicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    session_id = serializers.IntegerField()
    question = TranslatedSerializer()
    kind = serializers.ChoiceField(choices=PollKind.choices)
    max_choices = serializers.IntegerField()
    state = serializers.ChoiceField(choices=PollState.choices)
    results_shown = serializers.BooleanField()
    on_screen = serializers.BooleanField()
    version = serializers.IntegerField()
    options = PollOptionSerializer(many=True)
    voters = serializers.IntegerField(help_text="How many phones hold a ballot.")
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class PollModerationSerializer(PollPublicSerializer):
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PollVersionConflictSerializer(ErrorSerializer):
    poll = PollModerationSerializer(
        required=False, help_text="With `poll.version_conflict` only: the poll as it is now."
    )


class BallotResponseSerializer(serializers.Serializer):
    poll = serializers.IntegerField()
    options = serializers.ListField(
        child=serializers.IntegerField(), help_text="The options the ballot holds now."
    )

from django.contrib import admin

from qa.models import ModerationAction, Participant, Question, Vote


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("id", "display_name", "event", "created_at")
    list_filter = ("event",)
    search_fields = ("display_name",)
    readonly_fields = ("token_hash", "created_at")


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("id", "text", "session", "status", "pinned", "vote_count", "created_at")
    list_filter = ("status", "pinned", "anonymous", "session__event", "session")
    search_fields = ("text", "original_text", "author_name")
    # Status and pin change only through the moderation services (audit, broadcast).
    readonly_fields = (
        "status",
        "pinned",
        "original_text",
        "vote_count",
        "version",
        "client_id",
        "created_at",
        "updated_at",
    )
    raw_id_fields = ("participant", "merged_into", "session")


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ("question", "participant", "created_at")
    raw_id_fields = ("question", "participant")


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "actor",
        "action",
        "question",
        "from_state",
        "to_state",
        "session",
    )
    list_filter = ("action", "session__event")
    search_fields = ("question__text", "actor__username")
    raw_id_fields = ("question", "session")

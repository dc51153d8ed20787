from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from live.admin import EventAdmin
from live.errors import DomainError
from qa import services
from qa.enums import QuestionAction, next_status
from qa.language import detect_language
from qa.models import BlockedTerm, ModerationAction, Participant, Question, Vote
from qa.screening import parse_term


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("id", "display_name", "event", "created_at")
    list_filter = ("event",)
    search_fields = ("display_name",)
    # Muting is a moderator's audited action (the console, qa/services.participant_mute).
    readonly_fields = ("token_hash", "created_at", "muted_at")


class BlockedTermForm(forms.ModelForm):
    class Meta:
        model = BlockedTerm
        fields = ("event", "term")

    def clean_term(self) -> str:
        term = " ".join(self.cleaned_data["term"].split())
        if parse_term(term) is None:
            raise forms.ValidationError(_("Write a word or a phrase (letters or digits)."))
        return term


@admin.register(BlockedTerm)
class BlockedTermAdmin(admin.ModelAdmin):
    """An event's own screened words, added to the shipped defaults (qa/screening.py)."""

    form = BlockedTermForm
    list_display = ("term", "event", "created_at")
    list_filter = ("event",)
    search_fields = ("term",)


class QuestionAdminForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = (
            "session",
            "participant",
            "text",
            "author_name",
            "anonymous",
            "merged_into",
            "answered_at",
        )

    def clean(self):
        """An edited text is checked by question_edit's own rules (the text's limits, the
        statuses in which a question may be edited), so a refusal is a form error."""
        cleaned = super().clean()
        if self.instance.pk and "text" in self.changed_data and "text" in cleaned:
            try:
                services.validate_question_text(cleaned["text"])
                next_status(QuestionAction.EDIT, self.instance.status)
            except DomainError as exc:
                self.add_error("text", str(exc.message))
        return cleaned


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """The admin is a door too: a question's text is changed by `question_edit` (audit row
    naming the admin user, version, broadcast to the screens). Everything else a screen shows
    changes only through the moderation console, so on an existing question it is read-only."""

    form = QuestionAdminForm
    list_display = ("id", "text", "session", "status", "pinned", "vote_count", "created_at")
    list_filter = ("status", "pinned", "anonymous", "language", "session__event", "session")
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

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        others = [f.name for f in Question._meta.fields if f.editable and not f.primary_key]
        return tuple(
            dict.fromkeys(name for name in [*others, *self.readonly_fields] if name != "text")
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.language = detect_language(obj.text)  # as at submit (issue 14)
            super().save_model(request, obj, form, change)
            return
        if "text" in form.changed_data:
            services.question_edit(
                question_id=obj.pk, actor=request.user, text=form.cleaned_data["text"]
            )
            obj.refresh_from_db()


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


@admin.action(description=_("Forget the attendees' names of the selected events"))
def anonymise_events(modeladmin, request, queryset):
    """Irreversible, so it asks first (a page listing the events, as Django's own delete
    action does); confirmed, each event goes through `event_anonymise`."""
    if request.POST.get("confirm") != "yes":
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": _("Forget the attendees' names?"),
            "events": list(queryset),
            "action": "anonymise_events",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        }
        return TemplateResponse(request, "admin/qa/anonymise_confirm.html", context)
    for event in queryset:
        done = services.event_anonymise(event_id=event.pk, actor=request.user)
        modeladmin.message_user(
            request,
            _("%(event)s: names removed from %(questions)s questions and %(people)s people.")
            % {"event": event, "questions": done.questions, "people": done.participants},
            messages.SUCCESS,
        )
    return None


# live's admin cannot import qa; the event admin gets qa's action here.
EventAdmin.actions = [*(EventAdmin.actions or []), anonymise_events]

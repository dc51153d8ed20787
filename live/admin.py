"""The admin is a door too: what it edits that screens show goes through the services in
live/services.py (rules, audit row naming the admin user, version, broadcast after commit).

- Sessions (their own page and the event's inline): `session_update` / `session_create`. The
  form checks the change with the service's rules first (`session_update_check`), so an
  illegal status move is a form error and nothing is saved. The event is read-only once the
  session exists.
- Events: `event_update`; halls (own page and inline): `hall_update`, and on its own page
  `hall_display_update` for its display settings; speakers:
  `speaker_update`. A hall's or speaker's event is read-only once it exists.
- Event roles are not shown on any screen: saved as the admin saves them."""

import base64
import binascii

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from live import programme, selectors, services
from live.enums import Capability
from live.errors import DomainError
from live.models import Event, EventMembership, Hall, Session, Speaker

# Which form field a service's refusal belongs to.
SESSION_ERROR_FIELDS = {
    "session.illegal_status": "status",
    "session.invalid_status": "status",
    "session.invalid_moderation": "moderation",
    "session.title_required": "title_vi",
    "session.ends_too_early": "ends_at",
    "session.hall_elsewhere": "hall",
    "session.speaker_elsewhere": "speakers",
}


def session_form_changes(form: forms.ModelForm) -> dict:
    """The session_update arguments for what the form changed (it can hold a subset of the
    fields: the event's inline shows fewer)."""
    changes = {}
    for name in form.changed_data:
        value = form.cleaned_data.get(name)
        if name == "hall":
            changes["hall_id"] = value.pk if value is not None else None
        elif name == "speakers":
            changes["speaker_ids"] = [speaker.pk for speaker in value]
        elif name in ("status", "qa_open", "moderation", *services.SESSION_PROGRAMME_FIELDS):
            changes[name] = value
    return changes


def changed_values(form: forms.ModelForm, fields: tuple[str, ...]) -> dict:
    """The changed fields' values as the model's clean() left them (e.g. a join code in
    upper case)."""
    return {name: getattr(form.instance, name) for name in form.changed_data if name in fields}


def _https_by_default(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class SessionAdminForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = (
            "event",
            "hall",
            "title_vi",
            "title_en",
            "description_vi",
            "description_en",
            "speakers",
            "starts_at",
            "ends_at",
            "status",
            "qa_open",
            "moderation",
            "livestream_url",
        )
        # The admin builds its own form from this one with `formfield_overrides`; this is for
        # the base class (Django 5.2 warns about a URLField without a scheme).
        formfield_callback = _https_by_default

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and not self.errors:
            try:
                services.session_update_check(
                    session_id=self.instance.pk, **session_form_changes(self)
                )
            except DomainError as exc:
                field = SESSION_ERROR_FIELDS.get(exc.code)
                self.add_error(field if field in self.fields else None, str(exc.message))
        return cleaned


def save_session(request, form: forms.ModelForm, obj: Session, change: bool) -> None:
    if change:
        changes = session_form_changes(form)
        if changes:
            services.session_update(session_id=obj.pk, actor=request.user, **changes)
            obj.refresh_from_db()
        return
    speakers = form.cleaned_data.get("speakers")
    created = services.session_create(
        actor=request.user,
        event_id=obj.event_id,
        hall_id=obj.hall_id,
        title_vi=obj.title_vi,
        title_en=obj.title_en,
        description_vi=obj.description_vi,
        description_en=obj.description_en,
        starts_at=obj.starts_at,
        ends_at=obj.ends_at,
        status=obj.status,
        qa_open=obj.qa_open,
        moderation=obj.moderation,
        livestream_url=obj.livestream_url,
        speaker_ids=[speaker.pk for speaker in speakers or ()],
    )
    obj.pk = created.pk
    obj.version, obj.updated_at = created.version, created.updated_at
    obj._state.adding = False


HALL_FIELDS = ("name_vi", "name_en", "slug", "display_order")
EVENT_FIELDS = (
    "slug",
    "name_vi",
    "name_en",
    "venue",
    "starts_on",
    "ends_on",
    "timezone",
    "join_code",
)
HALL_DISPLAY_FIELDS = ("display_mode", "top_questions")
SPEAKER_FIELDS = ("name", "title", "organisation")


class HallInline(admin.TabularInline):
    model = Hall
    extra = 0
    fields = HALL_FIELDS
    prepopulated_fields = {"slug": ("name_en",)}


class SessionInline(admin.TabularInline):
    model = Session
    form = SessionAdminForm
    extra = 0
    fields = (
        "title_vi",
        "title_en",
        "hall",
        "starts_at",
        "ends_at",
        "status",
        "qa_open",
        "moderation",
    )
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Only the event's own halls can be picked.
        field = formset.form.base_fields.get("hall")
        if field is not None and obj is not None:
            field.queryset = field.queryset.filter(event=obj)
        return formset


class MembershipInline(admin.TabularInline):
    model = EventMembership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("name_vi", "name_en", "slug", "starts_on", "ends_on", "join_code")
    search_fields = ("name_vi", "name_en", "slug", "join_code")
    list_filter = ("starts_on",)
    prepopulated_fields = {"slug": ("name_en",)}
    inlines = [HallInline, SessionInline, MembershipInline]
    change_form_template = "admin/live/event/change_form.html"

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/import-programme/",
                self.admin_site.admin_view(self.import_programme_view),
                name="live_event_import_programme",
            ),
            path(
                "programme-template.xlsx",
                self.admin_site.admin_view(self.programme_template_view),
                name="live_event_programme_template",
            ),
        ]
        return own + super().get_urls()

    def import_programme_view(self, request, object_id):
        """Upload, then a preview of what the import would do (or its problems), then the
        import itself, confirmed: the file travels back in the confirming form."""
        event = get_object_or_404(Event, pk=object_id)
        if not self.has_change_permission(request, event):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import the programme"),
            "opts": self.model._meta,
            "original": event,
            "event": event,
            "tz": event.timezone,
        }
        if request.method != "POST":
            return TemplateResponse(request, "admin/live/event/import_programme.html", context)
        force = request.POST.get("force") == "on"
        upload = request.FILES.get("file")
        if upload is not None:
            name, data = upload.name, upload.read(programme.MAX_FILE_BYTES + 1)
        else:
            name = request.POST.get("filename", "")
            try:
                data = base64.b64decode(request.POST.get("data", ""), validate=True)
            except (binascii.Error, ValueError):
                data = b""
        confirmed = request.POST.get("confirm") == "yes" and upload is None
        context.update({"filename": name, "force": force})
        try:
            plan = programme.import_programme(
                event, data, name, actor=request.user, dry_run=not confirmed, force=force
            )
        except programme.ProgrammeInvalid as exc:
            context["problems"] = exc.problems
            return TemplateResponse(request, "admin/live/event/import_programme.html", context)
        if confirmed:
            self.message_user(
                request, _("Programme imported: %s") % plan.summary(), messages.SUCCESS
            )
            return redirect(reverse("admin:live_event_change", args=[event.pk]))
        context.update({"plan": plan, "data": base64.b64encode(data).decode("ascii")})
        return TemplateResponse(request, "admin/live/event/import_programme.html", context)

    def programme_template_view(self, request):
        """The spreadsheet template: its columns and the same example rows as
        docs/programme-template.csv."""
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "Programme"
        sheet.append(list(programme.SPREADSHEET_COLUMNS))
        sheet.append(
            [
                "Hội trường A", "10/12/2026", "09:30", "10:30", "Giao thông thông minh cho Hà Nội",
                "Smart mobility for Hanoi", "Vé điện tử liên thông và xe buýt điện.",
                "Integrated e-ticketing and electric buses.",
                "Trần Thị Bình | ThS. | Sở GTVT Hà Nội; Alice Martin | | Mobility Lab", "SC26-002",
            ]
        )  # fmt: skip
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="programme-template.xlsx"'
        book.save(response)
        return response

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)  # no screen shows it yet
            return
        changes = changed_values(form, EVENT_FIELDS)
        if changes:
            services.event_update(event_id=obj.pk, actor=request.user, **changes)

    def save_formset(self, request, form, formset, change):
        if formset.model not in (Hall, Session):
            super().save_formset(request, form, formset, change)
            return
        # Fills new_objects, changed_objects and deleted_objects (and the change message).
        formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for inline_form in formset.forms:
            obj = inline_form.instance
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            if formset.model is Session:
                save_session(request, inline_form, obj, change=obj.pk is not None)
            elif obj.pk is None:
                obj.save()  # a new hall: no display shows it yet
            else:
                services.hall_update(
                    hall_id=obj.pk, actor=request.user, **changed_values(inline_form, HALL_FIELDS)
                )


class EventReadOnlyOnChange:
    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "event") if obj is not None else fields


@admin.register(Hall)
class HallAdmin(EventReadOnlyOnChange, admin.ModelAdmin):
    list_display = ("name_vi", "name_en", "event", "display_order")
    list_filter = ("event",)
    search_fields = ("name_vi", "name_en", "slug")
    # The stage key is shown and renewed in the control room, not here.
    fields = ("event", *HALL_FIELDS, *HALL_DISPLAY_FIELDS)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        changes = changed_values(form, HALL_FIELDS)
        if changes:
            services.hall_update(hall_id=obj.pk, actor=request.user, **changes)
        display = changed_values(form, HALL_DISPLAY_FIELDS)
        if display:
            services.hall_display_update(hall_id=obj.pk, actor=request.user, **display)


@admin.register(Speaker)
class SpeakerAdmin(EventReadOnlyOnChange, admin.ModelAdmin):
    list_display = ("name", "title", "organisation", "event")
    list_filter = ("event",)
    search_fields = ("name", "title", "organisation")

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)  # on no session yet
            return
        changes = changed_values(form, SPEAKER_FIELDS)
        if changes:
            services.speaker_update(speaker_id=obj.pk, actor=request.user, **changes)


@admin.register(Session)
class SessionAdmin(EventReadOnlyOnChange, admin.ModelAdmin):
    form = SessionAdminForm
    list_display = ("title_vi", "hall", "starts_at", "ends_at", "status", "qa_open", "moderation")
    list_filter = ("event", "hall", "status", "qa_open", "moderation")
    search_fields = ("title_vi", "title_en", "description_vi", "description_en", "speakers__name")
    filter_horizontal = ("speakers",)
    date_hierarchy = "starts_at"
    readonly_fields = ("version", "updated_at")
    # A livestream link typed without a scheme is https (Django 6's default; saying it now
    # also silences Django 5.2's RemovedInDjango60Warning on every form build).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        save_session(request, form, obj, change)

    def save_related(self, request, form, formsets, change):
        # The speakers were saved by the service, with the rest of the session.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(EventMembership)
class EventMembershipAdmin(admin.ModelAdmin):
    """The event's people. Beyond Django's model permissions, an organiser of an event
    (Capability.MANAGE_PEOPLE) gives and takes roles at that event, and sees no other event's
    people; they name a user by username, as a user list would show every account."""

    list_display = ("user", "event", "role")
    list_filter = ("event", "role")
    search_fields = ("user__username", "user__email", "event__slug")
    autocomplete_fields = ("user",)

    def _by_model_permission(self, request, action: str) -> bool:
        return request.user.has_perm(f"live.{action}_eventmembership")

    def _managed_event_ids(self, request) -> list[int]:
        events = selectors.events_with_capability(request.user, Capability.MANAGE_PEOPLE)
        return [event.pk for event in events]

    def _may_manage(self, request, obj) -> bool:
        if obj is None:
            return bool(self._managed_event_ids(request))
        return selectors.user_may(request.user, Capability.MANAGE_PEOPLE, event_id=obj.event_id)

    def has_module_permission(self, request) -> bool:
        return super().has_module_permission(request) or self._may_manage(request, None)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._by_model_permission(request, "view") or self._may_manage(request, obj)

    def has_add_permission(self, request) -> bool:
        return self._by_model_permission(request, "add") or self._may_manage(request, None)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._by_model_permission(request, "change") or self._may_manage(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._by_model_permission(request, "delete") or self._may_manage(request, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user", "event")
        if self._by_model_permission(request, "view"):
            return queryset
        return queryset.filter(event_id__in=self._managed_event_ids(request))

    def get_autocomplete_fields(self, request):
        return self.autocomplete_fields if self._by_model_permission(request, "view") else ()

    def get_readonly_fields(self, request, obj=None):
        # An organiser changes an existing role's kind; another person or event is a new row.
        if obj is not None and not self._by_model_permission(request, "change"):
            return ("user", "event")
        return super().get_readonly_fields(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not self._by_model_permission(request, "view"):
            if db_field.name == "event":
                kwargs["queryset"] = Event.objects.filter(pk__in=self._managed_event_ids(request))
            elif db_field.name == "user":
                return forms.ModelChoiceField(
                    queryset=get_user_model().objects.filter(is_active=True),
                    to_field_name="username",
                    widget=forms.TextInput,
                    label=_("Username"),
                    error_messages={"invalid_choice": _("No active user has this username.")},
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

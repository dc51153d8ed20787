from django.contrib import admin
from django.db import models

from live.models import Event, EventMembership, Hall, Session, Speaker


class HallInline(admin.TabularInline):
    model = Hall
    extra = 0
    prepopulated_fields = {"slug": ("name_en",)}


class SessionInline(admin.TabularInline):
    model = Session
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


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    list_display = ("name_vi", "name_en", "event", "display_order")
    list_filter = ("event",)
    search_fields = ("name_vi", "name_en", "slug")


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "organisation", "event")
    list_filter = ("event",)
    search_fields = ("name", "title", "organisation")


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("title_vi", "hall", "starts_at", "ends_at", "status", "qa_open", "moderation")
    list_filter = ("event", "hall", "status", "qa_open", "moderation")
    search_fields = ("title_vi", "title_en", "description_vi", "description_en", "speakers__name")
    filter_horizontal = ("speakers",)
    date_hierarchy = "starts_at"
    readonly_fields = ("version", "updated_at")
    # A livestream link typed without a scheme is https (Django 6's default; saying it now
    # also silences Django 5.2's RemovedInDjango60Warning on every form build).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(EventMembership)
class EventMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "event", "role")
    list_filter = ("event", "role")
    search_fields = ("user__username", "user__email", "event__slug")
    autocomplete_fields = ("user",)

"""qa's pages: the phone page and the moderator console (in the `pages` namespace, see
config/urls_pages.py)."""

from django.urls import path

from qa import views

urlpatterns = [
    path("e/<slug:slug>/", views.phone_page, name="event"),
    path("moderate/", views.moderator_sessions, name="moderate"),
    path("moderate/events/<slug:slug>/report/", views.event_report_page, name="report"),
    path(
        "moderate/sessions/<int:session_id>/",
        views.moderator_console,
        name="moderate_session",
    ),
]

"""The three screens' pages (the API lives under /api/v1/, the sockets under /ws/)."""

from django.urls import path

from live import views

app_name = "pages"

urlpatterns = [
    path("e/<slug:slug>/", views.event_page, name="event"),
    path("lang/<str:code>/", views.switch_language, name="language"),
    path("j/<str:code>", views.join_redirect, name="join"),
    path("j/<str:code>/", views.join_redirect),
    path("display/<int:hall_id>/", views.display_page, name="display"),
    path("moderate/", views.moderate_index, name="moderate"),
    path("moderate/sessions/<int:session_id>/", views.moderate_session, name="moderate_session"),
]

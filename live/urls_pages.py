"""live's pages: the language switch, the short links (the event's and each hall's), the hall
display. config/urls_pages.py puts them with qa's under the one `pages` namespace (the API
lives under /api/v1/, the sockets under /ws/)."""

from django.urls import path

from live import stage_views, views

urlpatterns = [
    path("lang/<str:code>/", views.switch_language, name="language"),
    path("j/<str:code>", views.join_redirect, name="join"),
    path("j/<str:code>/", views.join_redirect),
    path("j/<str:code>/<str:hall_slug>", views.hall_join_redirect, name="join_hall"),
    path("j/<str:code>/<str:hall_slug>/", views.hall_join_redirect),
    path("display/<int:hall_id>/", views.display_page, name="display"),
    path("stage/<int:hall_id>/", stage_views.stage_page, name="stage"),
    path("moderate/events/<slug:slug>/control/", views.control_room, name="control"),
]

"""WebSocket routes. Here rather than in live/ because the phone's socket is qa's
(votes travel over it) and live does not import qa."""

from django.urls import path, re_path

from live import consumers as live_consumers
from qa import consumers as qa_consumers

websocket_urlpatterns = [
    path("ws/sessions/<int:session_id>/", qa_consumers.AudienceStreamConsumer.as_asgi()),
    path(
        "ws/sessions/<int:session_id>/moderation/",
        live_consumers.ModerationStreamConsumer.as_asgi(),
    ),
    path("ws/halls/<int:hall_id>/display/", live_consumers.DisplayStreamConsumer.as_asgi()),
    path("ws/halls/<int:hall_id>/stage/", live_consumers.StageStreamConsumer.as_asgi()),
    path("ws/events/<int:event_id>/control/", live_consumers.ControlStreamConsumer.as_asgi()),
    # Last: any other path (or an id that is not one, /ws/sessions/-1/) is closed with 4404.
    re_path(r"", live_consumers.NotFoundConsumer.as_asgi()),
]

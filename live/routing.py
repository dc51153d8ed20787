from django.urls import path

from live import consumers

websocket_urlpatterns = [
    path("ws/sessions/<int:session_id>/", consumers.SessionStreamConsumer.as_asgi()),
    path("ws/sessions/<int:session_id>/moderation/", consumers.ModerationStreamConsumer.as_asgi()),
    path("ws/halls/<int:hall_id>/display/", consumers.DisplayStreamConsumer.as_asgi()),
]

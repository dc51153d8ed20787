"""ASGI app of the textbook consumer: ws/ for clients, POST /broadcast/<question id>/ to
`group_send` one frame (the trigger). Run with DJANGO_SETTINGS_MODULE=bench.textbook_settings."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.textbook_settings")
django.setup()

from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from bench.frames import question_frame  # noqa: E402
from bench.textbook import EPOCH, GROUP, TextbookConsumer  # noqa: E402

_seq = 0


async def trigger(scope, receive, send) -> None:
    """POST /broadcast/<id>/: one group_send, answered once the layer took it."""
    global _seq
    while (await receive()).get("more_body"):
        pass
    parts = scope["path"].strip("/").split("/")
    if (
        scope["method"] != "POST"
        or len(parts) != 2
        or parts[0] != "broadcast"
        or not parts[1].isdigit()
    ):
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    _seq += 1
    frame = question_frame(seq=_seq, epoch=EPOCH, question_id=int(parts[1]))
    await get_channel_layer().group_send(GROUP, {"type": "bench.frame", "text": frame})
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": str(_seq).encode()})


application = ProtocolTypeRouter(
    {"http": trigger, "websocket": URLRouter([path("ws/", TextbookConsumer.as_asgi())])}
)

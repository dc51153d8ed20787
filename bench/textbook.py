"""The textbook design, for comparison only (never imported by the product): one Channels
consumer per socket, joined to a group, and every broadcast a `group_send` through the
channel layer that each consumer relays with `self.send`. This is the design the project's
hub replaced (live/realtime/hub.py); the benchmark measures both in the same run."""

from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer

from bench.frames import snapshot_frame

GROUP = "bench"
EPOCH = "textbook"


class TextbookConsumer(AsyncWebsocketConsumer):
    groups = [GROUP]  # Channels adds the socket to the group before connect()

    async def connect(self) -> None:
        await self.accept()
        await self.send(text_data=snapshot_frame(seq=0, epoch=EPOCH))

    async def bench_frame(self, event: dict) -> None:
        await self.send(text_data=event["text"])

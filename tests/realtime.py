"""A connected WebSocket client for a role, used by every real-time test (one place)."""

from __future__ import annotations

import asyncio
import json

from channels.testing import WebsocketCommunicator

from config.asgi import application

CLIENT_ADDRESS = "127.0.0.1"


class StreamClient:
    """A Channels communicator that parses frames and checks their seq as it goes."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]] | None = None):
        self.path = path
        self.communicator = WebsocketCommunicator(application, path, headers=headers or [])
        # Daphne gives every socket its peer address; Django's test client uses this one.
        self.communicator.scope["client"] = [CLIENT_ADDRESS, 50000]
        self.frames: list[dict] = []
        self.epoch: str | None = None
        self.seq: int | None = None
        self.gaps: list[tuple[int, int]] = []

    async def connect(self) -> bool:
        connected, _ = await self.communicator.connect()
        return connected

    async def receive(self, timeout: float = 2.0) -> dict:
        frame = json.loads(await self.communicator.receive_from(timeout=timeout))
        self.frames.append(frame)
        if "seq" in frame:
            if frame["type"] == "snapshot" or frame["epoch"] != self.epoch:
                self.epoch, self.seq = frame["epoch"], frame["seq"]
            else:
                if frame["seq"] != self.seq + 1:
                    self.gaps.append((self.seq, frame["seq"]))
                self.seq = frame["seq"]
        return frame

    async def receive_type(self, type: str | tuple[str, ...], timeout: float = 2.0) -> dict:
        """The next frame of that type (or of any of those types); frames of other types
        before it are kept in .frames."""
        wanted = (type,) if isinstance(type, str) else type
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(
                    f"no {type} frame within {timeout}s; got {[f['type'] for f in self.frames]}"
                )
            frame = await self.receive(timeout=left)
            if frame["type"] in wanted:
                return frame

    async def send(self, message: dict | str) -> None:
        await self.communicator.send_to(
            text_data=message if isinstance(message, str) else json.dumps(message)
        )

    async def nothing_more(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def close_code(self, timeout: float = 2.0) -> int:
        output = await self.communicator.receive_output(timeout=timeout)
        while output["type"] == "websocket.send":
            output = await self.communicator.receive_output(timeout=timeout)
        assert output["type"] == "websocket.close", output
        return output.get("code")

    async def disconnect(self) -> None:
        if not self.communicator.future.done():
            await self.communicator.disconnect()


def token_header(token_key: str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Token {token_key}".encode())]


def apply(state: dict, frame: dict) -> dict:
    """What a client holds after a frame: the reducer every screen implements (docs/protocol.md)."""
    kind, data = frame["type"], frame.get("data", {})
    if kind in ("snapshot", "display.session_changed"):
        state = {k: v for k, v in data.items() if k not in ("questions", "polls")}
        state["questions"] = {q["id"]: q for q in data.get("questions", [])}
        state["polls"] = {p["id"]: p for p in data.get("polls", [])}
    elif kind == "session.updated":
        state["session"] = data["session"]
    elif kind == "hall.updated":
        state["hall"] = data["hall"]
    elif kind in ("question.updated", "question.created"):
        held = state["questions"].get(data["id"])
        if held is None or held["version"] <= data["version"]:
            state["questions"][data["id"]] = data
    elif kind == "question.removed":
        state["questions"].pop(data["id"], None)
    elif kind == "votes.updated":
        for qid, votes in data["votes"].items():
            if int(qid) in state["questions"]:
                state["questions"][int(qid)]["votes"] = votes
    elif kind in ("poll.created", "poll.updated"):
        held = state["polls"].get(data["id"])
        if held is None or held["version"] <= data["version"]:
            state["polls"][data["id"]] = data
    elif kind == "poll.removed":
        state["polls"].pop(data["id"], None)
    elif kind == "poll.results":
        poll = state["polls"].get(data["poll"])
        if poll is not None:
            poll["voters"] = data["voters"]
            for option in poll["options"]:
                option["votes"] = (
                    None if data["votes"] is None else data["votes"][str(option["id"])]
                )
    elif kind == "stage.message":
        state["stage_message"] = data
    return state


def state_of(frames: list[dict]) -> dict:
    state: dict = {}
    for frame in frames:
        if "seq" in frame:
            state = apply(state, frame)
    return state

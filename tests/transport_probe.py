"""What live/realtime/transport.py takes from inside Daphne, autobahn, Twisted and Channels,
and a probe that reports what it finds in a real Daphne.

None of these is public API: no version range protects them, only constraints.txt (the
versions the suite passed with) and tests/live/test_transport_internals.py, which checks each
one against the installed packages and names the one an upgrade took away.

`application` is served by a real Daphne (`daphne tests.transport_probe:application`): one
WebSocket behind the middleware of the real sockets (config/asgi.py). After the client's first
message it runs transport.py's probes on its own socket, writes that message back through the
direct writer and sends a JSON report of what it found through the ordinary ASGI `send`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib.metadata import version

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from live.realtime.auth import TokenOrSessionAuthMiddleware  # noqa: E402
from live.realtime.transport import backlog_probe, direct_writer, unwrap_send  # noqa: E402

TRANSPORT_PY = "live/realtime/transport.py"


@dataclass(frozen=True)
class Internal:
    owner: str  # the name transport.py gives the object it reads it from
    name: str
    package: str  # the distribution that provides it
    where: str  # the class (or callable) that provides it
    users: tuple[str, ...]  # the functions of transport.py that rely on it

    def gone(self, detail: str = "is gone") -> str:
        """The failure message: package and version, the internal, who relies on it."""
        users = ", ".join(f"transport.{user}" for user in self.users)
        return (
            f"{self.package} {version(self.package)}: {self.where}.{self.name} {detail}; "
            f"{users} ({TRANSPORT_PY}) {'rely' if len(self.users) > 1 else 'relies'} on it. Pin {self.package} back in constraints.txt "
            "or adapt transport.py to the new version."
        )


DAPHNE_SEND = "daphne.server.Server.create_application's send"
SESSION_SEND = "channels.sessions.InstanceSessionWrapper.send"
WS_PROTOCOL = "autobahn.websocket.protocol.WebSocketServerProtocol"
TCP_SERVER = "twisted.internet.tcp.Server"
PROBES = ("backlog_probe", "direct_writer")
WRITER = ("direct_writer",)

INTERNALS = (
    # Daphne hands each application `functools.partial(server.handle_reply, protocol)`.
    Internal("send", "args", "daphne", DAPHNE_SEND, PROBES),
    # Channels' session middleware wraps `send` in a bound method of a wrapper object.
    Internal("send", "__self__", "channels", SESSION_SEND, ("unwrap_send",)),
    Internal(
        "__self__",
        "real_send",
        "channels",
        "channels.sessions.InstanceSessionWrapper",
        ("unwrap_send",),
    ),
    # Twisted's Protocol.makeConnection sets it on Daphne's (autobahn's) protocol.
    Internal("protocol", "transport", "Twisted", "twisted.internet.protocol.Protocol", PROBES),
    # autobahn's WebSocket state, set in WebSocketProtocol._connectionMade.
    Internal("protocol", "state", "autobahn", WS_PROTOCOL, WRITER),
    Internal("protocol", "STATE_OPEN", "autobahn", WS_PROTOCOL, WRITER),
    Internal("protocol", "send_queue", "autobahn", WS_PROTOCOL, WRITER),
    Internal("protocol", "_perMessageCompress", "autobahn", WS_PROTOCOL, WRITER),
    # Twisted's TCP connection: the socket and its write buffer.
    Internal("transport", "socket", "Twisted", TCP_SERVER, WRITER),
    Internal("transport", "dataBuffer", "Twisted", TCP_SERVER, PROBES),
    Internal("transport", "offset", "Twisted", TCP_SERVER, PROBES),
    Internal("transport", "_tempDataLen", "Twisted", TCP_SERVER, PROBES),
    Internal("transport", "TLS", "Twisted", TCP_SERVER, WRITER),
    Internal("transport", "connected", "Twisted", TCP_SERVER, WRITER),
    Internal("transport", "disconnecting", "Twisted", TCP_SERVER, WRITER),
    Internal("transport", "write", "Twisted", TCP_SERVER, WRITER),
)


def internal(owner: str, name: str) -> Internal:
    return next(i for i in INTERNALS if (i.owner, i.name) == (owner, name))


def missing_internals(server_send) -> list[str]:
    """The failure messages of what a server's `send` (Channels' wrapper taken off: that one
    is checked by `unwrapped`) lacks, in the order transport.py reaches them: empty for a
    Daphne that the fast path can use."""
    if not hasattr(server_send, "args") or not server_send.args:
        return [internal("send", "args").gone(f"is missing (send is {server_send!r})")]
    objects = {"send": server_send, "protocol": server_send.args[0]}
    objects["transport"] = getattr(objects["protocol"], "transport", None)
    missing = []
    for item in INTERNALS:
        owner = objects.get(item.owner)
        if item.package != "channels" and owner is not None and not hasattr(owner, item.name):
            missing.append(item.gone(f"is gone (not on {type(owner).__qualname__})"))
    return missing


def package_versions() -> dict[str, str]:
    return {package: version(package) for package in ("daphne", "autobahn", "Twisted", "channels")}


async def probe(scope, receive, send) -> None:
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    # The client's first message: the handshake response has left the server's buffer by now.
    message = await receive()
    server_send = unwrap_send(send)
    backlog = backlog_probe(server_send)
    write = direct_writer(server_send)
    protocol = getattr(server_send, "args", (None,))[0]
    report = {
        "versions": package_versions(),
        "unwrapped": server_send is not send,
        "protocol": type(protocol).__module__ + "." + type(protocol).__qualname__,
        "transport": type(getattr(protocol, "transport", None)).__qualname__,
        "missing": missing_internals(server_send),
        "backlog_probe": backlog is not None,
        "direct_writer": write is not None,
    }
    if backlog is not None and write is not None:
        report["backlog_before"] = backlog()
        report["direct_write_took_it"] = write(message.get("text") or "")
        report["backlog_after"] = backlog()
    await send({"type": "websocket.send", "text": json.dumps(report)})
    while (await receive())["type"] != "websocket.disconnect":
        pass


application = TokenOrSessionAuthMiddleware(probe)

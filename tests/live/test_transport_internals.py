"""The internals of Daphne, autobahn, Twisted and Channels that live/realtime/transport.py's
fast path relies on (listed in tests/transport_probe.py), checked against the installed
versions. No version range protects them; constraints.txt pins what the suite passed with, and
when `make constraints` takes an upgrade these tests say which internal went and who used it.

Could these pass while the fast path is broken? Each check reads the attribute off a real
object of the installed package, made the way Daphne makes it (a Twisted TCP connection on a
real socket, Daphne's own WebSocket protocol connected to it, the `send` that Daphne's
`Server.create_application` builds, Channels' real session middleware): some exist only on an
instance (`_tempDataLen` is set in Twisted's FileDescriptor.__init__; `state`, `send_queue` and
`_perMessageCompress` in autobahn's `_connectionMade`), others are class defaults (`dataBuffer`,
`offset`, `connected`, `disconnecting` on FileDescriptor, `TLS` on tcp's mixin, `STATE_OPEN`
on autobahn's protocol), and the instance answers for both as transport.py sees them. The
behaviour behind the names is checked too: the backlog formula against Twisted's own flushing,
the writer's refusal before the handshake, the unwrapped `send`. The end-to-end test runs the
probe in a real Daphne process and requires the direct writer to take a frame with nothing
left in Twisted's buffer, which a transport that silently fell back to the slow path fails.
And transport.py's source is read so that an internal it starts using without this list
fails here first. Renaming one attribute in a throwaway copy of Twisted, autobahn or Channels
(for example `send_queue` in autobahn/websocket/protocol.py) makes these tests fail with
"autobahn <version>: ...WebSocketServerProtocol.send_queue is gone; transport.direct_writer
(live/realtime/transport.py) relies on it"."""

from __future__ import annotations

import ast
import functools
import json
import socket

import pytest
from daphne.server import Server
from daphne.ws_protocol import WebSocketFactory
from twisted.internet import tcp
from twisted.internet.testing import MemoryReactor
from websockets.sync.client import connect

from live.realtime.auth import TokenOrSessionAuthMiddleware
from live.realtime.transport import (
    backlog_probe,
    direct_writer,
    send_eagerly,
    text_frame,
    unwrap_send,
)
from tests.servers import ROOT, DaphneServer
from tests.transport_probe import (
    INTERNALS,
    TRANSPORT_PY,
    internal,
    missing_internals,
    package_versions,
)


def check_reads(owner_name: str, obj: object, package: str | None = None) -> None:
    """Fail, naming each one, if `obj` lacks an internal transport.py reads from `owner_name`
    (of `package` only, where one name stands for objects of two packages: `send`)."""
    gone = [
        item.gone()
        for item in INTERNALS
        if item.owner == owner_name
        and package in (None, item.package)
        and not hasattr(obj, item.name)
    ]
    if gone:
        pytest.fail("\n".join(gone), pytrace=False)


@pytest.fixture
def tcp_pair():
    """connect(protocol) -> (Twisted's tcp.Server for our end of a real loopback TCP
    connection, the peer's socket). The reactor only records what it is asked to watch: no
    loop runs here, so the test flushes Twisted's buffer itself with doWrite()."""
    sockets: list[socket.socket] = []

    def connect_(protocol):
        with socket.create_server(("127.0.0.1", 0)) as listener:
            peer = socket.create_connection(listener.getsockname())
            ours, address = listener.accept()
        sockets.extend((peer, ours))
        transport = tcp.Server(ours, protocol, address, None, 1, MemoryReactor())
        protocol.makeConnection(transport)
        return transport, peer

    yield connect_
    for sock in sockets:
        sock.close()


def daphne_ws_protocol():
    """Daphne's WebSocket protocol as its factory builds it (no handshake timer: no loop)."""
    factory = WebSocketFactory(None, server="daphne")
    factory.setProtocolOptions(openHandshakeTimeout=0)
    return factory.buildProtocol(None)


def daphne_server(application) -> Server:
    """Daphne's Server as `run()` leaves it for a connection, without listening."""
    server = Server(application=application, endpoints=["tcp:port=0:interface=127.0.0.1"])
    server.connections = {}
    return server


def drain(peer: socket.socket) -> bytes:
    peer.setblocking(False)
    chunks = []
    while True:
        try:
            chunk = peer.recv(1 << 20)
        except BlockingIOError:
            return b"".join(chunks)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def test_transport_py_reads_only_the_listed_internals():
    """A new internal in transport.py must be added to INTERNALS, so it is checked here."""
    tree = ast.parse((ROOT / TRANSPORT_PY).read_text())
    functions = {"unwrap_send", "backlog_probe", "direct_writer"}
    read: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.FunctionDef) and node.name in functions):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                read.add((sub.value.id, sub.attr))
            elif (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Name)
                and sub.func.id in {"getattr", "hasattr"}
                and isinstance(sub.args[1], ast.Constant)
            ):
                target = sub.args[0]
                if isinstance(target, ast.Name):
                    read.add((target.id, sub.args[1].value))
                elif isinstance(target, ast.Call) and isinstance(target.args[1], ast.Constant):
                    read.add((target.args[1].value, sub.args[1].value))

    listed = {(i.owner, i.name) for i in INTERNALS}
    assert sorted(read - listed) == [], (
        f"{TRANSPORT_PY} reads these without a check: add them to INTERNALS in "
        "tests/transport_probe.py"
    )
    assert sorted(listed - read) == [], "INTERNALS lists what transport.py no longer reads"


def test_twisted_tcp_connection_has_the_socket_and_buffer_the_fast_path_uses(tcp_pair):
    from twisted.internet.protocol import Protocol

    transport, peer = tcp_pair(Protocol())

    check_reads("transport", transport)
    twisted = functools.partial(internal, "transport")
    assert transport.socket is transport.getHandle(), twisted("socket").gone(
        "is no longer the connection's socket"
    )
    assert (transport.TLS, bool(transport.connected), bool(transport.disconnecting)) == (
        False,
        True,
        False,
    ), twisted("TLS").gone("(or connected, disconnecting) no longer says a plain open TCP")


def test_twisted_buffer_matches_the_backlog_formula(tcp_pair):
    """backlog_probe counts len(dataBuffer) - offset + _tempDataLen as the bytes still to be
    sent; Twisted's own flushing must agree, through partial sends and all."""
    from twisted.internet.protocol import Protocol

    transport, peer = tcp_pair(Protocol())
    assert backlog_probe(functools.partial(print, Protocol())) is None  # not connected
    protocol = Protocol()
    protocol.transport = transport
    backlog = backlog_probe(functools.partial(print, protocol))
    message = internal("transport", "offset").gone(
        "(with dataBuffer and _tempDataLen) no longer counts the unsent bytes"
    )

    total = 8 << 20  # more than the socket takes at once: doWrite sends it in parts
    transport.write(b"a" * (total // 2))
    transport.write(b"b" * (total // 2))
    assert backlog() == total, message
    received = 0
    for _ in range(10_000):
        transport.doWrite()
        received += len(drain(peer))
        assert backlog() == total - received, message
        if received == total:
            break
    assert received == total
    assert (transport.dataBuffer[transport.offset :], transport._tempDataLen) == (b"", 0)

    transport.loseConnection()
    assert transport.disconnecting, internal("transport", "disconnecting").gone(
        "is no longer set by loseConnection()"
    )


def test_daphne_ws_protocol_has_autobahn_state_after_connection(tcp_pair):
    from autobahn.websocket.protocol import WebSocketServerProtocol

    protocol = daphne_ws_protocol()
    transport, _peer = tcp_pair(protocol)

    assert isinstance(protocol, WebSocketServerProtocol), (
        f"daphne {package_versions()['daphne']}: daphne.ws_protocol.WebSocketProtocol is no "
        f"longer autobahn's WebSocketServerProtocol; {TRANSPORT_PY} relies on autobahn's state"
    )
    check_reads("protocol", protocol)
    assert protocol.transport is transport
    autobahn = functools.partial(internal, "protocol")
    assert protocol.state != protocol.STATE_OPEN, autobahn("state").gone(
        "is open before the handshake"
    )
    assert len(protocol.send_queue) == 0, autobahn("send_queue").gone("is not an empty queue")
    assert protocol._perMessageCompress is None, autobahn("_perMessageCompress").gone(
        "is not None while nothing is negotiated"
    )


async def test_daphne_send_is_a_partial_of_handle_reply_with_the_protocol():
    sends = []

    async def application(scope, receive, send):
        sends.append(send)

    server = daphne_server(application)
    protocol = object()
    server.connections[protocol] = {}
    server.create_application(protocol, {"type": "websocket"})
    await server.connections[protocol]["application_instance"]

    (send,) = sends
    check_reads("send", send, package="daphne")
    assert (
        isinstance(send, functools.partial)
        and send.func == server.handle_reply
        and send.args == (protocol,)
    ), internal("send", "args").gone(f"no longer holds the protocol (send is {send!r})")


async def test_daphne_handle_reply_finishes_without_waiting():
    """send_eagerly runs Daphne's send on the spot, no task per socket and frame."""

    class Protocol:  # stands in for Daphne's: records what the server hands it
        def __init__(self):
            self.replies = []

        def handle_reply(self, message):
            self.replies.append(message)

    server = daphne_server(None)
    protocol = Protocol()
    server.connections[protocol] = {}
    message = {"type": "websocket.send", "text": "x"}

    assert send_eagerly(functools.partial(server.handle_reply, protocol)(message)) is None, (
        f"daphne {package_versions()['daphne']}: Server.handle_reply now waits; "
        f"transport.send_eagerly ({TRANSPORT_PY}) would make a task per socket and frame"
    )
    assert protocol.replies == [message]


async def test_channels_session_middleware_send_unwraps_to_the_servers():
    sends = []

    async def inner(scope, receive, send):
        sends.append(send)

    async def server_send(message):
        return None

    scope = {"type": "websocket", "path": "/ws/x/", "headers": [], "query_string": b""}
    await TokenOrSessionAuthMiddleware(inner)(scope, None, server_send)

    (send,) = sends
    assert send is not server_send  # the session middleware wraps it
    check_reads("send", send, package="channels")
    check_reads("__self__", send.__self__)
    assert unwrap_send(send) is server_send, internal("__self__", "real_send").gone(
        "is no longer the server's send"
    )


def test_direct_writer_refuses_a_frame_before_the_handshake(tcp_pair):
    protocol = daphne_ws_protocol()
    transport, peer = tcp_pair(protocol)
    server = daphne_server(None)

    send = functools.partial(server.handle_reply, protocol)
    write = direct_writer(send)

    assert write is not None, "\n".join(missing_internals(send))
    assert write("x") is False
    assert drain(peer) == b""


@pytest.mark.e2e
def test_real_daphne_socket_takes_the_direct_writer():
    """A real Daphne process (tests/transport_probe.py): the writer is found behind the real
    middleware and puts the frame on the socket itself, nothing left in Twisted's buffer."""

    class ProbeServer(DaphneServer):
        application = "tests.transport_probe:application"

    server = ProbeServer().start()
    text = "Câu hỏi trực tiếp " * 20
    try:
        with connect(f"{server.ws_url}/ws/probe/", compression=None) as ws:
            ws.send(text)
            direct = ws.recv(timeout=10)
            report = json.loads(ws.recv(timeout=10))
    finally:
        server.cleanup()

    if report["missing"]:
        pytest.fail("\n".join(report["missing"]), pytrace=False)
    assert (report["transport"], report["versions"]) == ("Server", package_versions())
    assert {k: v for k, v in report.items() if k not in {"transport", "versions"}} == {
        "unwrapped": True,
        "protocol": "daphne.ws_protocol.WebSocketProtocol",
        "missing": [],
        "backlog_probe": True,
        "direct_writer": True,
        "backlog_before": 0,
        "direct_write_took_it": True,
        "backlog_after": 0,
    }, f"the fast path is not used on a real Daphne: {report}"
    assert direct == text
    assert len(text_frame(text)) > 125  # a 2-byte length header went out intact too

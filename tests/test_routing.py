"""config/routing.py: a WebSocket to a path that is not a stream is accepted and closed with
4404 (a code Daphne lets through), never an HTTP 500 from the router."""

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application
from live.realtime import envelope


@pytest.mark.parametrize(
    "path",
    [
        "/ws/nothing-here/",
        "/ws/sessions/-1/",
        "/ws/sessions/x/",
        "/ws/halls/1/",
        "/ws/events/x/control/",
        "/ws/events/1/",
        "/api/",
    ],
)
async def test_unknown_websocket_path_is_closed_with_4404(path):
    communicator = WebsocketCommunicator(application, path)

    connected, _ = await communicator.connect()
    closed = await communicator.receive_output(timeout=2)

    assert connected is True
    assert closed == {"type": "websocket.close", "code": envelope.CLOSE_NOT_FOUND}
    await communicator.wait()

"""live/realtime/transport.py: the frame bytes the direct writer puts on the wire, checked
with websockets' own frame parser; the writer only takes Daphne sockets."""

from __future__ import annotations

import functools

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from live.realtime.transport import direct_writer, text_frame


def parse(data: bytes) -> Frame:
    """A client's reading of the bytes: unmasked server frames, no size limit."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False, max_size=None)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    else:
        raise AssertionError("the frame was incomplete")
    assert reader.at_eof()  # nothing after the frame
    return frame


@pytest.mark.parametrize(
    ("text", "header_len"),
    [
        ("", 2),
        ("x" * 125, 2),
        ("ạ" * 42, 4),  # 42 characters, 126 bytes: the length counts bytes
        ("x" * 65535, 4),
        ("Câu hỏi " * 9000, 10),
    ],
)
def test_text_frame_parses_as_one_final_text_frame(text, header_len):
    data = text_frame(text)
    frame = parse(data)
    assert (frame.opcode, frame.fin, frame.rsv1) == (Opcode.TEXT, True, False)
    assert frame.data.decode() == text
    assert len(data) == header_len + len(text.encode())


def test_text_frame_reuses_the_bytes_of_the_same_message():
    text = "".join(["question.updated ", "x" * 300])
    first = text_frame(text)
    assert text_frame(text) is first
    equal_copy = "".join(["question.updated ", "x" * 300])
    assert text_frame(equal_copy) == first
    assert text_frame(equal_copy) is not first


def test_direct_writer_takes_only_daphne_sockets():
    async def other_server_send(message):
        return None

    assert direct_writer(other_server_send) is None
    assert direct_writer(functools.partial(other_server_send)) is None
    assert direct_writer(functools.partial(other_server_send, object())) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_stream_sockets_subscribe_no_channel_layer_channel(stream_client):
    """The hub is the only subscriber: three sockets, one Redis subscription for the stream
    (beside the process's control channel), none in the channel layer (it would be one per
    socket)."""
    import redis.asyncio as aioredis
    from django.conf import settings

    from live.realtime.db import database_sync_to_async
    from tests import factories

    session = await database_sync_to_async(factories.session)()
    for _ in range(3):
        await stream_client(f"/ws/sessions/{session.pk}/")
    prefix = settings.REALTIME["PREFIX"]
    client = aioredis.Redis.from_url(settings.REDIS_URL)
    try:
        layer = await client.pubsub_channels(f"{prefix}:layer*")
        streams = await client.pubsub_channels(f"{prefix}:rt:*")
    finally:
        await client.aclose()
    assert layer == []
    assert sorted(streams) == [
        f"{prefix}:rt:_control".encode(),
        f"{prefix}:rt:session.{session.pk}".encode(),
    ]

"""The direct writer against a real Daphne and a strict client (websockets): a snapshot over
64 KiB, then a burst of frames of every header size, Vietnamese text included, arrive intact,
complete and in seq order."""

from __future__ import annotations

import json

import pytest
from websockets.sync.client import connect

from live.realtime import streams
from live.realtime.publish import publish_now
from tests import factories

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_keys"),
]

QUESTION = ("Khi nào thành phố mở thêm tuyến xe buýt điện đến sân bay Nội Bài? " * 8)[:500]
# Pads in characters: frames of <= 125 bytes, 126..65535 bytes (one with 3-byte characters,
# so that characters and bytes differ), and over 65535 bytes.
PADS = ["", "ạ" * 20, "x" * 1000, "ạ" * 25000, "x" * 70000]


def test_direct_write_delivers_large_and_burst_frames_intact_in_order(daphne):
    session = factories.session()
    for _ in range(110):
        factories.question(session, status="approved", text=QUESTION)
    # ~6 MB go out in one burst: this test is about the frames, not about slow clients, so a
    # reader that lags behind on a loaded machine must not be dropped (4408) for it.
    server = daphne(REALTIME_MAX_BACKLOG_BYTES=str(64 << 20))
    stream = streams.session_stream(session.pk)

    with connect(
        f"{server.ws_url}/ws/sessions/{session.pk}/", max_size=None, compression=None
    ) as ws:
        raw = ws.recv(timeout=15)
        snapshot = json.loads(raw)
        assert snapshot["type"] == "snapshot"
        assert len(snapshot["data"]["questions"]) == 110
        assert len(raw.encode()) > 65535

        count = 200
        for i in range(count):
            publish_now([stream], "question.updated", {"id": i, "pad": PADS[i % len(PADS)]})
        frames = [json.loads(ws.recv(timeout=15)) for _ in range(count)]

    first = snapshot["seq"] + 1
    assert [f["seq"] for f in frames] == list(range(first, first + count))
    assert {f["epoch"] for f in frames} == {snapshot["epoch"]}
    assert [f["data"]["id"] for f in frames] == list(range(count))
    assert [f["data"]["pad"] for f in frames] == [PADS[i % len(PADS)] for i in range(count)]

"""/metrics: the Prometheus text format, who may read it, and the counters a real Daphne process
keeps while sockets open, frames go out, a throttle refuses, sockets recover and a slow one is
dropped (live/metrics.py)."""

import asyncio
import json
import socket
import time
import uuid

import httpx
import pytest
import websockets
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.authtoken.models import Token

from live.realtime.db import database_sync_to_async
from tests import factories

# ---- helpers ---------------------------------------------------------------------------------


def parse(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, sorted labels): value}; the parser raises on a bad format."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, metric: str, /, **labels: str) -> float:
    return samples.get((metric, tuple(sorted(labels.items()))), 0.0)


def by_kind(samples: dict, name: str) -> dict[str, float]:
    return {dict(labels)["kind"]: v for (n, labels), v in samples.items() if n == name and v != 0}


async def scrape(server) -> dict:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


async def next_frame(ws, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def frame_of_type(ws, type: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = await next_frame(ws, max(0.1, deadline - time.monotonic()))
        if frame["type"] == type:
            return frame


# ---- who may read it (Django's test client: REMOTE_ADDR is the peer) ---------------------------


def test_metrics_from_loopback_answers_the_text_format(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = parse(response.content.decode())
    assert value(samples, "hoithao_sockets_open", kind="session") == 0
    assert {
        "hoithao_sockets_open",
        "hoithao_frames_published_total",
        "hoithao_frames_delivered_total",
        "hoithao_delivery_lag_seconds_count",
        "hoithao_throttle_refusals_total",
        "hoithao_recoveries_total",
        "hoithao_redis_subscriber_reconnects_total",
        "process_resident_memory_bytes",
    } <= {name for name, _ in samples}


def test_metrics_from_ipv6_loopback_allowed(client):
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


def test_metrics_from_other_address_forbidden_without_detail(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 403
    assert response.content == b""


def test_metrics_forwarded_for_claim_from_untrusted_peer_forbidden(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403


def test_metrics_through_trusted_proxy_judged_by_client_behind_it(client, settings):
    """nginx on an allowed network does not make the public caller behind it allowed."""
    settings.TRUSTED_PROXIES = ["172.29.0.0/24"]
    settings.METRICS_ALLOWED_NETWORKS = ["172.29.0.0/24"]

    proxied = client.get("/metrics", REMOTE_ADDR="172.29.0.5", HTTP_X_FORWARDED_FOR="203.0.113.7")
    scraper = client.get("/metrics", REMOTE_ADDR="172.29.0.9")

    assert (proxied.status_code, scraper.status_code) == (403, 200)


def test_metrics_token_allows_any_address(client, settings):
    settings.METRICS_TOKEN = "metrics-secret-0123456789"

    response = client.get(
        "/metrics",
        REMOTE_ADDR="203.0.113.7",
        HTTP_AUTHORIZATION="Bearer metrics-secret-0123456789",
    )

    assert response.status_code == 200
    assert "hoithao_frames_published_total" in response.content.decode()


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong-secret", "Bearer ", "Token metrics-secret-0123456789", "metrics-secret"],
)
def test_metrics_wrong_token_forbidden(client, settings, authorization):
    settings.METRICS_TOKEN = "metrics-secret-0123456789"

    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 403
    assert response.content == b""


def test_metrics_empty_token_setting_accepts_no_token(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 403


# ---- the counters, in a real Daphne process ----------------------------------------------------

# No periodic publishing (presence, display clock) during the test: every frame is ours.
QUIET = {"REALTIME_PRESENCE_SECONDS": "3600", "REALTIME_CLOCK_SECONDS": "3600"}


@database_sync_to_async
def arrange(questions: int):
    session = factories.session()
    moderator = factories.moderator(session.event)
    token = Token.objects.create(user=moderator).key
    return session, token, [factories.question(session) for _ in range(questions)]


def published_per_kind(realtime_keys) -> dict[str, int]:
    """Messages published per stream kind, from every stream's seq in Redis (this run's keys
    were wiped before the test: every stream is new)."""
    prefix = settings.REALTIME["PREFIX"]
    totals: dict[str, int] = {}
    for key in realtime_keys.scan_iter(match=f"{prefix}:rt:*:meta"):
        stream = key.decode()[len(prefix) + 4 : -len(":meta")]
        seq = int(realtime_keys.hget(key, "seq") or 0)
        if seq:
            kind = stream.partition(".")[0]
            totals[kind] = totals.get(kind, 0) + seq
    return totals


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
async def test_metrics_count_sockets_frames_throttles_rounds_and_recoveries(daphne, realtime_keys):
    # A history of 3 frames, so 4 approvals make a resume from before them too old; one
    # question per phone and minute, so the second is refused.
    server = daphne(REALTIME_HISTORY="3", THROTTLE_PARTICIPANT_QUESTION="1/min", **QUIET)
    session, token, questions = await arrange(4)
    phone_path = f"/ws/sessions/{session.pk}/"
    before = await scrape(server)

    async with (
        websockets.connect(server.ws_url + phone_path) as phone,
        websockets.connect(
            server.ws_url + f"/ws/sessions/{session.pk}/moderation/",
            additional_headers={"Authorization": f"Token {token}"},
        ) as console,
        websockets.connect(server.ws_url + f"/ws/halls/{session.hall_id}/display/") as display,
    ):
        snapshot = await next_frame(phone)
        await next_frame(console)
        await next_frame(display)
        opened = await scrape(server)

        # The phone joins and asks twice, each answered before the next is sent (three
        # group-commit rounds); the second question is refused.
        await phone.send(json.dumps({"type": "join", "display_name": "Lan", "ref": "j"}))
        await frame_of_type(phone, "joined")
        answers = []
        for ref, answer in (("a1", "asked"), ("a2", "error")):
            ask = {
                "type": "ask",
                "text": f"Khi nào có xe buýt điện ra sân bay? ({ref})",
                "client_id": uuid.uuid4().hex,
                "ref": ref,
            }
            await phone.send(json.dumps(ask))
            answers.append(await frame_of_type(phone, answer))
        asked, refused = answers
        await frame_of_type(console, "question.created")

        # Four approvals through the API of the same process: frames on every stream.
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Token {token}"}
        ) as api:
            for question in questions:
                response = await api.post(f"/api/v1/questions/{question.pk}/approve/", json={})
                assert response.status_code == 200, response.text
                await frame_of_type(phone, "question.updated")
        last = snapshot["seq"] + len(questions)

        # Four recoveries: from history, too old for the history, a stream that is gone
        # (another epoch), and a resync the client asks for.
        epoch = snapshot["epoch"]
        resumes = {
            "history": f"?epoch={epoch}&seq={last - 1}",
            "too_old": f"?epoch={epoch}&seq={snapshot['seq']}",
            "new_epoch": f"?epoch=0123456789ab&seq={last}",
        }
        firsts = {}
        for name, query in resumes.items():
            async with websockets.connect(server.ws_url + phone_path + query) as resumed:
                firsts[name] = await next_frame(resumed)
        await phone.send(json.dumps({"type": "resync"}))
        resynced = await frame_of_type(phone, "snapshot")

        during = await scrape(server)
    published = published_per_kind(realtime_keys)
    followed = ("session", "moderation", "display")  # the kinds with a socket here

    assert before[("hoithao_sockets_open", (("kind", "session"),))] == 0
    assert {k: value(opened, "hoithao_sockets_open", kind=k) for k in followed} == {
        "session": 1,
        "moderation": 1,
        "display": 1,
    }
    assert value(opened, "hoithao_sockets_open", kind="stage") == 0
    assert value(opened, "hoithao_sockets_open", kind="control") == 0
    assert value(opened, "hoithao_streams_followed", kind="session") == 1
    assert (asked["type"], refused["data"]["code"]) == ("asked", "question.throttled")
    assert value(during, "hoithao_throttle_refusals_total", action="question") == 1
    assert value(during, "hoithao_throttle_refusals_total", action="vote") == 0
    # join, ask, ask: three rounds of one item each
    assert value(during, "hoithao_group_commit_round_items_count", name="run_each") == 3
    assert value(during, "hoithao_group_commit_round_items_sum", name="run_each") == 3
    assert value(during, "hoithao_group_commit_round_items_bucket", name="run_each", le="1.0") == 3
    # Every message was published by this process; those of the kinds followed here reached
    # their one socket of that kind.
    assert published["session"] == len(questions)
    assert published["moderation"] == 1 + len(questions)  # question.created, then 4 updates
    assert by_kind(during, "hoithao_frames_published_total") == published
    here = {k: v for k, v in published.items() if k in followed}
    assert by_kind(during, "hoithao_frames_received_total") == here
    assert by_kind(during, "hoithao_frames_delivered_total") == here
    assert by_kind(during, "hoithao_delivery_lag_seconds_count") == by_kind(
        during, "hoithao_frames_received_total"
    )
    lag = value(during, "hoithao_delivery_lag_seconds_sum", kind="session")
    assert 0 < lag < 5 * len(questions)
    assert value(during, "hoithao_delivery_lag_seconds_bucket", kind="session", le="+Inf") == 4
    assert [f["type"] for f in firsts.values()] == ["question.updated", "snapshot", "snapshot"]
    assert firsts["history"]["seq"] == last
    assert resynced["seq"] == last
    assert {
        outcome: value(during, "hoithao_recoveries_total", outcome=outcome)
        for outcome in ("history", "snapshot_too_old", "snapshot_new_epoch", "resync", "failed")
    } == {
        "history": 1,
        "snapshot_too_old": 1,
        "snapshot_new_epoch": 1,
        "resync": 1,
        "failed": 0,
    }
    assert (
        value(during, "hoithao_sockets_dropped_slow_total", kind="session", reason="backlog") == 0
    )

    # All closed: the open sockets go back to 0.
    for _ in range(50):
        after = await scrape(server)
        if not by_kind(after, "hoithao_sockets_open"):
            break
        await asyncio.sleep(0.1)
    assert by_kind(after, "hoithao_sockets_open") == {}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_metrics_count_slow_socket_dropped(daphne):
    """A phone that stops reading is closed (4408) once anything waits for it in the server's
    buffer (REALTIME_MAX_BACKLOG_BYTES=1 here), and the process counts it."""
    from live.realtime.publish import publish_now

    server = daphne(REALTIME_MAX_BACKLOG_BYTES="1", **QUIET)
    session, _, _ = await arrange(0)
    small = socket.socket()
    small.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    small.connect(("127.0.0.1", server.port))
    padding = "ồ" * 30000  # ~90 KB of UTF-8 per message

    async with websockets.connect(
        server.ws_url + f"/ws/sessions/{session.pk}/", sock=small, max_queue=1
    ) as slow:
        await next_frame(slow)
        dropped = 0.0
        for i in range(200):  # at most ~18 MB; the kernel's buffers take far less
            await asyncio.to_thread(
                publish_now,
                [f"session.{session.pk}"],
                "session.updated",
                {"session": {"id": session.pk, "i": i, "padding": padding}},
            )
            if i % 10 == 9:
                samples = await scrape(server)
                dropped = value(
                    samples, "hoithao_sockets_dropped_slow_total", kind="session", reason="backlog"
                )
                if dropped:
                    break

    assert dropped == 1
    assert value(samples, "hoithao_sockets_dropped_slow_total", kind="session", reason="queue") == 0


# ---- the publish time travels with the frame -----------------------------------------------------


async def test_subscriber_reads_publish_time_and_header_without_it(realtime_keys):
    """The pub/sub header is "epoch seq time"; one without the time (a process from before the
    metrics) is still read, with no time (0.0), so no lag is observed for it."""
    from live.realtime.redis_backend import RedisBackend

    backend = RedisBackend(
        settings.REDIS_URL, prefix=settings.REALTIME["PREFIX"], history=10, max_connections=10
    )
    received = []

    async def on_reconnect():
        pass

    subscriber = backend.subscriber(
        lambda stream, epoch, seq, frame: received.append(
            (stream, seq, json.loads(frame)["data"], subscriber.published_at)
        ),
        on_reconnect,
    )
    try:
        await subscriber.add("session.9")
        sent_at = time.time()
        position = await asyncio.to_thread(backend.publish, "session.9", "t", '{"n":1}')
        old_frame = f'{{"seq":2,"epoch":"{position.epoch}","type":"t","data":{{"n":2}}}}'
        realtime_keys.publish(backend.channel("session.9"), f"{position.epoch} 2\n{old_frame}")
        for _ in range(100):
            if len(received) == 2:
                break
            await asyncio.sleep(0.02)
    finally:
        await subscriber.close()
        await backend.close_loop_clients()
        backend.sync.close()

    (stream, seq, data, published_at), old = received
    assert (stream, seq, data) == ("session.9", 1, {"n": 1})
    assert sent_at <= published_at <= time.time()
    assert old == ("session.9", 2, {"n": 2}, 0.0)

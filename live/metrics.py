"""What a process counts for Prometheus (`/metrics`, config/views.py), and who may read it.

Each Daphne process is scraped on its own (docs/operations.md, "Metrics"): the values live in
this process's memory (prometheus-client's default registry, with its process and GC
collectors), and PromQL adds the processes up. The counters sit on the broadcast's hot path,
so each is bumped once per publish or per fan-out batch, never per socket (a histogram
observation costs ~0.8 us, a counter ~0.4 us, a `labels()` lookup ~1 us: the children are
looked up once per kind and kept). Open sockets are not counted at all: they are read from
the hubs when a scrape asks.

The names and labels are documented in docs/operations.md; the kinds are the stream kinds of
live/realtime/streams.py (session, moderation, display, stage, control)."""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Iterator
from functools import cache

from django.conf import settings
from prometheus_client import REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from live.client_address import client_ip
from live.realtime import streams

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

KINDS = (streams.SESSION, streams.MODERATION, streams.DISPLAY, streams.STAGE, streams.CONTROL)

# Recovery outcomes (live/realtime/consumer.py `_catch_up`, `_recover`, `command_resync`).
RESUMED = "history"  # the missed frames replayed from the stream's history
TOO_OLD = "snapshot_too_old"  # the history no longer held every missed frame: a snapshot
NEW_EPOCH = "snapshot_new_epoch"  # the stream was reset (new epoch): a snapshot
RESYNC = "resync"  # the client asked for a snapshot (a gap it saw itself)
FAILED = "failed"  # twice unable to reach Redis or the database: closed with 4503
RECOVERY_OUTCOMES = (RESUMED, TOO_OLD, NEW_EPOCH, RESYNC, FAILED)

LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)
ROUND_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500)

PUBLISHED = Counter(
    "hoithao_frames_published",
    "Stream messages this process published (one per message and stream).",
    ["kind"],
)
PUBLISH_FAILED = Counter(
    "hoithao_frames_publish_failed",
    "Stream messages whose publish failed (the stream is reset: its clients take a snapshot).",
    ["kind"],
)
RECEIVED = Counter(
    "hoithao_frames_received",
    "Stream messages this process received and fanned out to at least one local socket.",
    ["kind"],
)
DELIVERED = Counter(
    "hoithao_frames_delivered",
    "Stream messages handed to local sockets (one per socket and message).",
    ["kind"],
)
LAG = Histogram(
    "hoithao_delivery_lag_seconds",
    "From publish (the publishing process's clock) to the write to the last local socket of "
    "the message's fan-out in this process; one observation per message and process.",
    ["kind"],
    buckets=LAG_BUCKETS,
)
DROPPED_SLOW = Counter(
    "hoithao_sockets_dropped_slow",
    "Sockets closed with 4408 because their backlog or queue overflowed.",
    ["kind", "reason"],
)
ROUND_ITEMS = Histogram(
    "hoithao_group_commit_round_items",
    "Items committed together in one group-commit round (live/realtime/batch.py).",
    ["name"],
    buckets=ROUND_BUCKETS,
)
THROTTLED = Counter(
    "hoithao_throttle_refusals",
    "Requests and socket commands refused by a throttle, by action.",
    ["action"],
)
RECOVERIES = Counter(
    "hoithao_recoveries",
    "Sockets brought back to the present after a gap or a reconnect, by outcome.",
    ["outcome"],
)


def _children(metric, names) -> dict:
    return {name: metric.labels(name) for name in names}


_published = _children(PUBLISHED, KINDS)
_received = _children(RECEIVED, KINDS)
_delivered = _children(DELIVERED, KINDS)
_lag = _children(LAG, KINDS)
_recoveries = _children(RECOVERIES, RECOVERY_OUTCOMES)
for _kind in KINDS:  # every series from the start, so an alert on increase() sees the first
    PUBLISH_FAILED.labels(_kind)
    for _reason in ("backlog", "queue"):
        DROPPED_SLOW.labels(_kind, _reason)
for _action in ("join", "question", "vote", "auth"):
    THROTTLED.labels(_action)


def _child(children: dict, metric, name: str):
    child = children.get(name)
    if child is None:
        child = children[name] = metric.labels(name)
    return child


def kind_of(stream: str) -> str:
    return stream.partition(".")[0]


# ---- what the transport reports ----------------------------------------------------------------


def frame_published(stream: str) -> None:
    _child(_published, PUBLISHED, kind_of(stream)).inc()


def publish_failed(stream: str) -> None:
    PUBLISH_FAILED.labels(kind_of(stream)).inc()


def fanned_out(stream: str, sockets: int, published_at: float) -> None:
    """Once per message and process, after it was handed to its `sockets` local sockets."""
    kind = kind_of(stream)
    _child(_received, RECEIVED, kind).inc()
    _child(_delivered, DELIVERED, kind).inc(sockets)
    if published_at:
        _child(_lag, LAG, kind).observe(max(0.0, time.time() - published_at))


def socket_dropped_slow(stream: str | None, reason: str) -> None:
    DROPPED_SLOW.labels(kind_of(stream or ""), reason).inc()


def group_commit_round(name: str, items: int) -> None:
    ROUND_ITEMS.labels(name).observe(items)


def throttle_refused(code: str) -> None:
    """`code` is the refusal's code, e.g. `vote.throttled`: the action is what precedes the dot."""
    THROTTLED.labels(code.partition(".")[0]).inc()


def recovered(outcome: str) -> None:
    _child(_recoveries, RECOVERIES, outcome).inc()


# ---- read when scraped -------------------------------------------------------------------------


class HubCollector(Collector):
    """Open sockets per stream kind and the Redis subscription's reconnects, read from this
    process's hubs (one per event loop) at scrape time: nothing is counted per socket.

    It runs in a request thread while the hubs live on the event loop: it only copies a dict
    and takes lengths, which the GIL makes atomic."""

    def collect(self) -> Iterator:
        from live.realtime.hub import hubs

        sockets = dict.fromkeys(KINDS, 0)
        followed = dict.fromkeys(KINDS, 0)
        reconnects = 0
        for hub in hubs():
            for stream, members in list(hub.members.items()):
                kind = kind_of(stream)
                sockets[kind] = sockets.get(kind, 0) + len(members)
                followed[kind] = followed.get(kind, 0) + 1
            reconnects += getattr(hub.subscriber, "reconnects", 0)
        open_sockets = GaugeMetricFamily(
            "hoithao_sockets_open", "Stream sockets open on this process.", labels=["kind"]
        )
        for kind, count in sorted(sockets.items()):
            open_sockets.add_metric([kind], count)
        yield open_sockets
        streams_followed = GaugeMetricFamily(
            "hoithao_streams_followed",
            "Streams this process follows (one Redis subscription each).",
            labels=["kind"],
        )
        for kind, count in sorted(followed.items()):
            streams_followed.add_metric([kind], count)
        yield streams_followed
        yield CounterMetricFamily(
            "hoithao_redis_subscriber_reconnects",
            "Times this process's Redis subscription was lost and made again.",
            value=reconnects,
        )


REGISTRY.register(HubCollector())


def exposition() -> bytes:
    return generate_latest(REGISTRY)


# ---- who may read it ---------------------------------------------------------------------------


@cache
def _networks(allowed: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(n, strict=False) for n in allowed)


def may_scrape(request) -> bool:
    """A caller from METRICS_ALLOWED_NETWORKS (its address as live/client_address.py sees it:
    X-Forwarded-For only from a trusted proxy), or one that sends `Authorization: Bearer
    <METRICS_TOKEN>`."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in net for net in _networks(tuple(settings.METRICS_ALLOWED_NETWORKS)))

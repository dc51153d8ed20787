"""The fault suite's machinery, free of pytest so that bench/ can reuse it:

- `Stack`: a scenario's processes: its own Redis (tests/redis_process.py: stopped, restarted
  on the same port; never the shared Redis on 6379) and its Daphne processes.
- `ProtocolClient` / `Fleet`: WebSocket clients that follow docs/protocol.md as
  static/js/livesocket.js does (resume by URL, resync on a gap, ping/pong liveness,
  jittered backoff, 4401/4403/4404 final) and record what happened to them.
- `Moderators`: moderators (and a few phones voting) acting over the REST API throughout.
- `converge`: every client compared with a fresh snapshot (a new connection's first frame,
  from every process) until they all match, within a bound; `database_view` /
  `assert_matches_database`: the snapshot compared with the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.realtime import apply
from tests.redis_process import RedisProcess
from tests.servers import DaphneServer

# ---- Redis ---------------------------------------------------------------------------------


def kill_pubsub(redis_process: RedisProcess) -> int:
    """CLIENT KILL TYPE pubsub on the test's own Redis: every subscriber loses its
    connection. Returns how many."""
    with redis.Redis(port=redis_process.port, socket_timeout=5) as client:
        return int(client.execute_command("CLIENT", "KILL", "TYPE", "pubsub"))


@dataclass
class Stack:
    """A scenario's processes: its Redis and its Daphne processes."""

    redis: RedisProcess
    servers: list[DaphneServer]

    def alive(self) -> list[DaphneServer]:
        return [s for s in self.servers if s.proc is not None]

    @property
    def http_urls(self) -> list[str]:
        return [s.url for s in self.alive()]

    @property
    def ws_urls(self) -> list[str]:
        return [s.ws_url for s in self.alive()]

    def log_excerpt(self, lines: int = 12) -> str:
        """The servers' last warnings and errors, for an assertion message."""
        notable = re.compile(r"Error|Exception|Traceback|WARNING|ERROR|refus", re.I)
        parts = []
        for server in self.servers:
            path = server.log_path
            text = path.read_text(errors="replace") if path.exists() else ""
            hits = [line.strip() for line in text.splitlines() if notable.search(line)]
            parts.append(f"[daphne {server.port}] " + " / ".join(hits[-lines:]))
        return "\n".join(parts)


# ---- the protocol client -------------------------------------------------------------------

BACKOFF_SECONDS = (1, 2, 4, 8, 16)  # livesocket.js's DELAYS
FINAL_CLOSE_CODES = frozenset({4401, 4403, 4404})
PING = json.dumps({"type": "ping"})
RESYNC = json.dumps({"type": "resync"})
SILENT = "silent"  # a close of the client's own: no pong in time


def reduce(state: dict, frame: dict) -> dict:
    """tests/realtime.apply, plus presence (kept apart: it is not part of the compared state)."""
    state = apply(state, frame)
    if frame["type"] == "presence.updated":
        state["presence"] = frame["data"]["presence"]
    return state


def comparable(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "presence"}


def ws_options(headers: dict[str, str] | None = None) -> dict:
    return dict(
        additional_headers=headers or {},
        open_timeout=5,
        close_timeout=2,
        ping_interval=None,  # liveness is the protocol's ping, as in a browser
        compression=None,
        proxy=None,
        max_size=1 << 22,
    )


@dataclass
class Silence:
    at: float
    established: bool  # the connection had answered before (a frame or a pong)


class ProtocolClient:
    """One screen following one stream, by the rules of docs/protocol.md.

    `ws_urls` are the processes it may reach, the preferred one first; when a connection
    cannot be opened it tries the next one, as a load balancer would."""

    def __init__(
        self,
        name: str,
        ws_urls: list[str],
        path: str,
        *,
        kind: str,
        session_id: int,
        headers: dict[str, str] | None = None,
        ping_every: float = 2.0,
        pong_timeout: float = 6.0,
        backoff_scale: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.ws_urls = ws_urls
        self.path = path
        self.kind = kind
        self.session_id = session_id
        self.headers = headers
        self.ping_every = ping_every
        self.pong_timeout = pong_timeout
        self.backoff_scale = backoff_scale
        self.rng = rng or random.Random()
        # what the screen shows
        self.state: dict = {}
        self.position: tuple[str, int] | None = None
        self.awaiting_snapshot = False
        # what happened to it
        self.connected = False
        self.established = False
        self.server = ws_urls[0]
        self.connects = 0
        self.connect_failures: list[str] = []
        self.drops: list[str] = []  # connections that broke with an error, not a close
        self.closes: list[int | str | None] = []  # server's code, SILENT, None: no close frame
        self.final_code: int | None = None
        self.snapshots = 0
        self.gaps = 0
        self.duplicates = 0
        self.pongs = 0
        self.errors: list[dict] = []
        self.replies: list[dict] = []
        self.silences: list[Silence] = []
        self.violations: list[str] = []
        self.last_frame_at = 0.0
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._ping_sent: float | None = None
        self._last_ping = 0.0
        self._target = 0

    def url(self) -> str:
        base = self.ws_urls[self._target % len(self.ws_urls)]
        if self.position is None:
            return base + self.path
        epoch, seq = self.position
        return f"{base}{self.path}?epoch={epoch}&seq={seq}"

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self._stopping = True
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    async def send(self, message: dict | str | bytes, *, text: bool | None = None) -> bool:
        ws = self._ws
        if ws is None:
            return False
        payload = json.dumps(message) if isinstance(message, dict) else message
        try:
            await ws.send(payload, text=text)
        except ConnectionClosed:
            return False
        return True

    async def resync(self) -> bool:
        """Ask for a fresh snapshot (and ignore stream frames until it comes)."""
        self.awaiting_snapshot = True
        return await self.send(RESYNC)

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            url = self.url()
            try:
                ws = await connect(url, **ws_options(self.headers))
            except Exception as exc:
                self.connect_failures.append(type(exc).__name__)
                self._target += 1
            else:
                attempt = 0
                try:
                    code = await self._follow(ws, url)
                except Exception as exc:  # the connection broke in a way websockets passes on
                    self.drops.append(f"{type(exc).__name__}: {exc}")
                    code = None
                if self._stopping:
                    return
                self.closes.append(code)
                if code in FINAL_CLOSE_CODES:
                    self.final_code = code
                    return
            base = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
            attempt += 1
            await asyncio.sleep(base * self.backoff_scale * self.rng.uniform(0.5, 1.0))

    async def _follow(self, ws: ClientConnection, url: str) -> int | str | None:
        self._ws, self.connected, self.established = ws, True, False
        self.server = url.split("/ws/")[0]
        self.connects += 1
        self.awaiting_snapshot = False  # a resync cut short: resuming is as good
        self._ping_sent, self._last_ping = None, 0.0
        self._went_silent = False
        keepalive = asyncio.ensure_future(self._keepalive(ws))
        try:
            async for raw in ws:
                await self._receive(ws, raw)
        except ConnectionClosed:
            pass
        finally:
            keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keepalive
            self._ws, self.connected = None, False
        if self._went_silent:
            return SILENT
        received = ws.protocol.close_rcvd
        return received.code if received is not None else None

    async def _keepalive(self, ws: ClientConnection) -> None:
        """Ping every few seconds; no pong in time: the socket is dead, close it."""
        try:
            while True:
                now = time.monotonic()
                if self._ping_sent is not None and now - self._ping_sent > self.pong_timeout:
                    self.silences.append(Silence(now, self.established))
                    self._went_silent = True
                    await ws.close(4000)
                    return
                if self._ping_sent is None and now - self._last_ping >= self.ping_every:
                    self._ping_sent = self._last_ping = now
                    await ws.send(PING)
                await asyncio.sleep(0.25)
        except ConnectionClosed:
            return

    async def _receive(self, ws: ClientConnection, raw: str | bytes) -> None:
        self.last_frame_at = time.monotonic()
        if isinstance(raw, bytes):
            self.violations.append("binary frame")
            return
        try:
            frame = json.loads(raw)
        except ValueError:
            self.violations.append(f"not JSON: {raw[:80]!r}")
            return
        kind = frame.get("type")
        self.established = True
        if "seq" not in frame:
            if kind == "pong":
                self._ping_sent = None
                self.pongs += 1
            elif kind == "error":
                self.errors.append(frame.get("data", {}))
            else:
                self.replies.append(frame)
            return
        epoch, seq = frame["epoch"], frame["seq"]
        if kind == "snapshot":
            self.state = reduce({}, frame)
            self.position = (epoch, seq)
            self.awaiting_snapshot = False
            self.snapshots += 1
            return
        if self.awaiting_snapshot:
            return
        if self.position is not None and epoch == self.position[0] and seq <= self.position[1]:
            self.duplicates += 1
            return
        if self.position is None or epoch != self.position[0] or seq != self.position[1] + 1:
            self.gaps += 1
            self.awaiting_snapshot = True
            with contextlib.suppress(ConnectionClosed):
                await ws.send(RESYNC)
            return
        self.state = reduce(self.state, frame)
        self.position = (epoch, seq)

    def describe(self) -> str:
        return (
            f"{self.name} on {self.server} at {self.position} connected={self.connected} "
            f"connects={self.connects} snapshots={self.snapshots} gaps={self.gaps} "
            f"closes={self.closes[-6:]} silences={len(self.silences)} "
            f"connect_failures={self.connect_failures[-3:]} drops={self.drops[-2:]} "
            f"errors={self.errors[-2:]}"
        )


@dataclass(frozen=True)
class Stream:
    path: str
    kind: str  # "session", "display" or "moderation"
    session_id: int  # the session it shows
    headers: dict[str, str] | None = None


class Fleet:
    """Clients spread over the processes; started in small waves, stopped together."""

    def __init__(self, *, ping_every: float = 2.0, pong_timeout: float = 6.0, seed: int = 10):
        self.clients: list[ProtocolClient] = []
        self.ping_every = ping_every
        self.pong_timeout = pong_timeout
        self.rng = random.Random(seed)

    def add(self, stream: Stream, count: int, ws_urls: list[str]) -> list[ProtocolClient]:
        added = []
        for i in range(count):
            first = (len(self.clients) + i) % len(ws_urls)
            client = ProtocolClient(
                f"{stream.kind}-{stream.session_id}-{len(self.clients) + i}",
                ws_urls[first:] + ws_urls[:first],
                stream.path,
                kind=stream.kind,
                session_id=stream.session_id,
                headers=stream.headers,
                ping_every=self.ping_every,
                pong_timeout=self.pong_timeout,
                rng=random.Random(self.rng.random()),
            )
            added.append(client)
        self.clients.extend(added)
        return added

    async def start(self, clients: list[ProtocolClient] | None = None, wave: int = 25) -> None:
        clients = self.clients if clients is None else clients
        for i, client in enumerate(clients):
            client.start()
            if i % wave == wave - 1:
                await asyncio.sleep(0.05)

    async def wait_ready(self, timeout: float, clients: list[ProtocolClient] | None = None):
        """Every client holds a snapshot."""
        clients = self.clients if clients is None else clients
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(c.position is not None for c in clients):
                return
            await asyncio.sleep(0.1)
        waiting = [c for c in clients if c.position is None]
        raise AssertionError(
            f"{len(waiting)} of {len(clients)} clients got no snapshot within {timeout}s; "
            + "; ".join(c.describe() for c in waiting[:3])
        )

    def streams(self) -> dict[str, Stream]:
        return {c.path: Stream(c.path, c.kind, c.session_id, c.headers) for c in self.clients}

    async def stop(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.clients))

    def silent(self) -> list[ProtocolClient]:
        """Clients whose socket, after it had answered, stopped answering pings: a socket the
        server neither serves nor closes."""
        return [c for c in self.clients if any(s.established for s in c.silences)]

    def unusable_closes(self) -> list[tuple[str, int | str | None]]:
        """Closes a client cannot act on: none of the 4xxx codes the protocol documents, e.g.
        a dropped connection with no close frame (None) where the process still runs."""
        return [
            (c.name, code)
            for c in self.clients
            for code in c.closes
            if not (isinstance(code, int) and (4000 <= code < 5000 or code in (1000, 1001)))
        ]


# ---- comparing with the truth --------------------------------------------------------------


@dataclass
class Snapshot:
    server: str
    epoch: str
    seq: int
    state: dict


async def fresh_snapshot(ws_url: str, stream: Stream, timeout: float = 4.0) -> Snapshot | str:
    """A new connection's first frame; a string says why there was none."""
    try:
        async with asyncio.timeout(timeout):
            async with connect(ws_url + stream.path, **ws_options(stream.headers)) as ws:
                frame = json.loads(await ws.recv())
    except TimeoutError:
        return f"{ws_url}: no first frame within {timeout:.1f}s"
    except ConnectionClosed as exc:
        return f"{ws_url}: closed {exc.rcvd.code if exc.rcvd else None} before a frame"
    except Exception as exc:
        return f"{ws_url}: {type(exc).__name__}: {exc}"
    if frame.get("type") != "snapshot":
        return f"{ws_url}: first frame {frame.get('type')}"
    return Snapshot(ws_url, frame["epoch"], frame["seq"], comparable(reduce({}, frame)))


@dataclass
class Convergence:
    seconds: float
    truth: dict[str, Snapshot] = field(default_factory=dict)


async def converge(
    fleet: Fleet, ws_urls: list[str], *, since: float, timeout: float
) -> Convergence:
    """Wait until every client's position and state equal a fresh snapshot of its stream,
    the same from every process. Returns the time since `since`; raises AssertionError with
    what still differs when `timeout` (from now) passes."""
    deadline = time.monotonic() + timeout
    streams = fleet.streams()
    while True:
        problems: list[str] = []
        truth: dict[str, Snapshot] = {}
        probe_timeout = max(1.0, min(4.0, deadline - time.monotonic()))
        probes = await asyncio.gather(
            *(
                asyncio.gather(*(fresh_snapshot(url, s, probe_timeout) for url in ws_urls))
                for s in streams.values()
            )
        )
        for (path, stream), fresh in zip(streams.items(), probes, strict=True):
            broken = [f for f in fresh if isinstance(f, str)]
            if broken:
                problems.append(f"{path}: {broken}")
                continue
            first = fresh[0]
            if any(
                (f.epoch, f.seq, f.state) != (first.epoch, first.seq, first.state) for f in fresh
            ):
                problems.append(f"{path}: processes disagree {[(f.epoch, f.seq) for f in fresh]}")
                continue
            truth[path] = first
            behind = [
                c
                for c in fleet.clients
                if c.path == path
                and (c.position != (first.epoch, first.seq) or comparable(c.state) != first.state)
            ]
            if behind:
                problems.append(
                    f"{path}: {len(behind)} of {sum(c.path == path for c in fleet.clients)} "
                    f"clients differ from the snapshot at {(first.epoch, first.seq)}, "
                    f"e.g. {behind[0].describe()}"
                )
        if not problems:
            return Convergence(time.monotonic() - since, truth)
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not every client matched a fresh snapshot {time.monotonic() - since:.1f}s "
                f"after the fault: " + " | ".join(problems)
            )
        await asyncio.sleep(0.5)


async def settle(fleet: Fleet, stack: Stack, *, since: float, timeout: float) -> Convergence:
    """converge(), then the snapshots against the database; failures carry the servers' logs."""
    from live.realtime.db import database_sync_to_async

    try:
        result = await converge(fleet, stack.ws_urls, since=since, timeout=timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{stack.log_excerpt()}") from None
    broken = [f"{c.name}: {c.drops[-1]}" for c in fleet.clients if c.drops]
    assert broken == [], f"connections broke with an error, not a close: {broken[:3]}"
    sessions = sorted({stream.session_id for stream in fleet.streams().values()})
    view = await database_sync_to_async(database_view)(sessions)
    assert_matches_database(result, fleet, view)
    return result


def _question_row(q: dict) -> tuple:
    return (q["status"], q["pinned"], q["votes"], q["text"], q["version"])


def database_view(session_ids: list[int]) -> dict[int, dict]:
    """What the database says each session's screens must show (sync: call in a thread)."""
    from django.db.models import Count

    from live.models import Session
    from qa.models import Question

    view = {}
    for session in Session.objects.filter(pk__in=session_ids):
        rows = Question.objects.filter(session=session).annotate(rows=Count("votes"))
        everything = {q.pk: (q.status, q.pinned, q.vote_count, q.text, q.version) for q in rows}
        view[session.pk] = {
            "session": (session.status, session.qa_open, session.version),
            "all": everything,
            "public": {k: v for k, v in everything.items() if v[0] in ("approved", "answered")},
            "tally_mismatch": {
                q.pk: (q.vote_count, q.rows) for q in rows if q.vote_count != q.rows
            },
        }
    return view


def assert_matches_database(convergence: Convergence, fleet: Fleet, view: dict[int, dict]):
    """Each stream's fresh snapshot (which every client matched) against the database."""
    for path, stream in fleet.streams().items():
        snap = convergence.truth[path].state
        expected = view[stream.session_id]
        assert expected["tally_mismatch"] == {}, f"vote_count != vote rows: {expected}"
        session = snap["session"]
        assert session["id"] == stream.session_id, (path, session)
        assert (session["status"], session["qa_open"], session["version"]) == expected["session"], (
            path
        )
        shown = {qid: _question_row(q) for qid, q in snap["questions"].items()}
        wanted = expected["all"] if stream.kind == "moderation" else expected["public"]
        assert shown == wanted, f"{path}: the screens show {shown}, the database {wanted}"


# ---- moderators at work --------------------------------------------------------------------


@dataclass
class Venue:
    """What a scenario's database holds (tests/faults/conftest.py builds it)."""

    event_slug: str
    hall_ids: list[int]
    session_ids: list[int]
    moderator_token: str
    pending: dict[int, list[int]]  # session -> question ids waiting for approval
    public: dict[int, list[int]]  # session -> approved question ids
    phone_tokens: list[str]  # participants of the event

    def streams(self, session_index: int = 0) -> tuple[Stream, Stream, Stream]:
        """(phones, hall display, moderation) of one session."""
        sid, hall = self.session_ids[session_index], self.hall_ids[session_index]
        return (
            Stream(f"/ws/sessions/{sid}/", "session", sid),
            Stream(f"/ws/halls/{hall}/display/", "display", sid),
            Stream(
                f"/ws/sessions/{sid}/moderation/",
                "moderation",
                sid,
                {"Authorization": f"Token {self.moderator_token}"},
            ),
        )


def add_audience(
    fleet: Fleet,
    venue: Venue,
    ws_urls: list[str],
    session_index: int = 0,
    *,
    phones: int = 90,
    displays: int = 10,
    moderators: int = 6,
) -> list[ProtocolClient]:
    """A session's screens, spread over the processes: phones, its hall's displays and
    moderator consoles (106 by default)."""
    phone, display, moderation = venue.streams(session_index)
    return (
        fleet.add(phone, phones, ws_urls)
        + fleet.add(display, displays, ws_urls)
        + fleet.add(moderation, moderators, ws_urls)
    )


@contextlib.asynccontextmanager
async def audience_at_work(
    stack: Stack,
    venue: Venue,
    *,
    acting: bool = True,
    sessions: list[int] | None = None,
    **counts: int,
):
    """(fleet, moderators): a session's screens connected and in sync, moderators acting if
    `acting`; both stopped on the way out, whatever happened."""
    fleet = Fleet()
    add_audience(fleet, venue, stack.ws_urls, **counts)
    moderators = Moderators(stack.http_urls, venue, sessions=sessions)
    try:
        await fleet.start()
        await fleet.wait_ready(30)
        if acting:
            moderators.start()
        yield fleet, moderators
    finally:
        await moderators.stop()
        await fleet.stop()


class Moderators:
    """Moderators at work over the REST API (docs/api.md), alternating between processes:
    approve, pin, edit, answer, session status; and phones voting over HTTP. Failures (Redis
    down, a process gone) are counted, not raised: the database stays the truth."""

    OPS = ("approve", "vote", "pin", "vote", "edit", "approve", "unvote", "status", "answer")
    STATUSES = ("qa", "break", "live")

    def __init__(
        self,
        http_urls: list[str],
        venue: Venue,
        *,
        sessions: list[int] | None = None,
        pause: float = 0.15,
        seed: int = 1,
    ):
        self.http_urls = list(http_urls)
        self.venue = venue
        self.pause = pause
        self.rng = random.Random(seed)
        self.results: Counter[tuple[str, int | str]] = Counter()
        self.pending = {sid: list(ids) for sid, ids in venue.pending.items()}
        self.public = {sid: list(ids) for sid, ids in venue.public.items()}
        self.sessions = sessions or venue.session_ids[:1]
        self._http = httpx.AsyncClient(timeout=4.0, limits=httpx.Limits(max_connections=20))
        self._task: asyncio.Task | None = None
        self._running = False
        self._steps = 0
        self._status_moves = 0

    @property
    def succeeded(self) -> int:
        return sum(n for (_, status), n in self.results.items() if status in (200, 201))

    def start(self) -> None:
        self._running = True
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Finish the step under way, then stop (again: nothing)."""
        self._running = False
        task, self._task = self._task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 15)
        await self._http.aclose()

    async def act(self, op: str, session_id: int) -> int | str:
        """One action; returns the HTTP status (or the exception's name)."""
        request = self._request(op, session_id)
        if request is None:
            return "skipped"
        method, path, body, headers, qid = request
        base = self.http_urls[self._steps % len(self.http_urls)]
        self._steps += 1
        try:
            response = await self._http.request(method, base + path, json=body, headers=headers)
            status: int | str = response.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        self.results[(op, status)] += 1
        if op == "approve" and status == 200:
            self.public[session_id].append(qid)
        return status

    def _request(self, op: str, sid: int):
        moderator = {"Authorization": f"Token {self.venue.moderator_token}"}
        public = self.public[sid]
        if op == "approve":
            if not self.pending[sid]:
                return None
            qid = self.pending[sid].pop(0)
            return "POST", f"/api/v1/questions/{qid}/approve/", {}, moderator, qid
        if op == "status":
            status = self.STATUSES[self._status_moves % len(self.STATUSES)]
            self._status_moves += 1
            return "PATCH", f"/api/v1/sessions/{sid}/", {"status": status}, moderator, None
        if not public:
            return None
        qid = self.rng.choice(public)
        if op in ("vote", "unvote"):
            phone = {"X-Participant-Token": self.rng.choice(self.venue.phone_tokens)}
            method = "POST" if op == "vote" else "DELETE"
            return method, f"/api/v1/questions/{qid}/vote/", None, phone, qid
        if op == "edit":
            text = f"Câu hỏi {qid}, sửa lần {self._steps}: khi nào có tàu điện?"
            return "PATCH", f"/api/v1/questions/{qid}/", {"text": text}, moderator, qid
        if op in ("pin", "answer"):
            return "POST", f"/api/v1/questions/{qid}/{op}/", {}, moderator, qid
        raise ValueError(op)

    async def _run(self) -> None:
        i = 0
        while self._running:
            op = self.OPS[i % len(self.OPS)]
            sid = self.sessions[(i // len(self.OPS)) % len(self.sessions)]
            i += 1
            await self.act(op, sid)
            await asyncio.sleep(self.pause)

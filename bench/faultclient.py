"""The clients of the fault scenarios (bench/faults.py): screens that follow the protocol as
static/js/livesocket.js does, in load generator workers (`Fleet(n, target=worker_main)`).

A `Follower` keeps one stream's state as the reference reducer of docs/protocol.md does, and
reconnects by itself: after any close but 4401/4403/4404, with the same jittered backoff
(1, 2, 4, 8, 16 s x random(0.5, 1), reset once a socket opens), resuming with ?epoch=&seq= of
the last frame it applied. It pings on open and every 15 s and takes a missing pong (10 s) for
a dead socket, given up at once; on a seq gap or an epoch change it sends `resync` and
ignores frames until the snapshot. A connection refused goes to the next process at once, as a load balancer in front
would (nginx's proxy_next_upstream); only when every process refused does it back off.

Its state is reduced to a digest: an XOR of 64-bit hashes, one per question (id, status, version,
votes, pinned) and one of the session (status, Q&A open, version), kept up to date per frame
in O(1), so thousands of clients compare with the truth (a fresh snapshot, the database) in
one integer each. `changed_at` is when the digest last changed value: once it equals the
final truth, that is the moment the client got there.

This is not the fan-out's client (bench/loadgen.py's Client reads question.updated without
parsing it): a follower parses every frame, which costs more and measures nothing per frame."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections import Counter
from hashlib import blake2b
from urllib.parse import quote, urlparse

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from bench.loadgen import SansIO, Worker

DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0)  # livesocket.js's DELAYS
PING_S = 15.0  # livesocket.js's PING_MS
PONG_TIMEOUT_S = 10.0  # livesocket.js's PONG_TIMEOUT_MS
OPEN_TIMEOUT_S = 10.0  # TCP connect and handshake; a browser gives up at some point too
CLOSE_GRACE_S = 2.0  # after our close frame, how long the server has to answer before abort
DENIED = frozenset({4401, 4403, 4404})  # not allowed: livesocket.js stops retrying


# ---- the digest ----------------------------------------------------------------------------


def _hash(text: str) -> int:
    """64 bits of BLAKE2b: the same in every process (unlike hash() of a str) and not linear
    (a CRC is: the XOR of the CRCs of "q100...", "q101...", "q102...", "q103..." is 0, so
    whole sets of questions would vanish from an XOR of CRCs)."""
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big")


def question_hash(qid: int, status, version, votes, pinned) -> int:
    return _hash(f"q{qid}:{status}:{version}:{votes}:{bool(pinned)}")


def session_hash(session: dict | None) -> int:
    if not session:
        return 0
    return _hash(
        f"s:{session.get('status')}:{bool(session.get('qa_open'))}:{session.get('version')}"
    )


def truth_digests(truth: dict) -> dict[str, int]:
    """The digest each kind of screen must end with, from bench.ctl's `truth`: phones and
    displays show the public questions, moderators every question."""
    public = set(truth["public"])
    base = session_hash(truth["session"])
    every = public_only = base
    for q in truth["questions"]:
        h = question_hash(q["id"], q["status"], q["version"], q["votes"], q["pinned"])
        every ^= h
        if q["id"] in public:
            public_only ^= h
    return {"phone": public_only, "display": public_only, "moderation": every}


# ---- one connection ------------------------------------------------------------------------


class _Conn(SansIO):
    """One socket of a Follower; everything it hears goes to its follower, which ignores a
    connection that is no longer its current one."""

    def __init__(self, follower: Follower, url: str, headers: dict[str, str]):
        self.follower = follower
        self.proto = ClientProtocol(parse_uri(url), max_size=None)
        self.headers = headers
        self.transport: asyncio.Transport | None = None
        self.opened = False
        self.close_code: int | None = None
        self.timers: list[asyncio.TimerHandle] = []
        self.pong_timer: asyncio.TimerHandle | None = None
        self.task: asyncio.Task | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        request = self.proto.connect()
        for name, value in self.headers.items():
            request.headers[name] = value
        self.proto.send_request(request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.time()
        proto = self.proto
        proto.receive_data(data)
        for event in proto.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self.follower.on_text(self, event.data, now)
                elif event.opcode is Opcode.CLOSE:
                    # proto.close_code stays None until the connection is CLOSED (websockets
                    # 17); the code the server sent is in the frame it received.
                    rcvd = proto.close_rcvd
                    self.close_code = rcvd.code if rcvd is not None else 1005
            elif proto.handshake_exc is None and not self.opened:
                self.opened = True
                self.follower.on_open(self)
        self._flush()

    def connection_lost(self, exc) -> None:
        if self.close_code is None and self.opened:
            self.close_code = 1006  # no close frame: the connection dropped
        self.cancel_timers()
        self.follower.on_lost(self)

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()
        if self.pong_timer is not None:
            self.pong_timer.cancel()
            self.pong_timer = None

    def send(self, message: dict) -> bool:
        if not self.opened or self.transport is None or self.transport.is_closing():
            return False
        if self.proto.state is not State.OPEN:  # our close frame is out, or the server's in
            return False
        self.proto.send_text(json.dumps(message, separators=(",", ":")).encode())
        self._flush()
        return True

    def close(self, code: int) -> None:
        """Our close frame, then an abort if the server does not finish the close in time."""
        if self.transport is None or self.transport.is_closing():
            return
        with contextlib.suppress(Exception):
            self.proto.send_close(code)
            self._flush()
        loop = asyncio.get_running_loop()
        self.timers.append(loop.call_later(CLOSE_GRACE_S, self.abort))

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


# ---- one screen ----------------------------------------------------------------------------


class Follower:
    def __init__(
        self,
        kind: str,
        urls: list[str],
        home: int,
        headers: dict[str, str],
        rng: random.Random,
        *,
        reconnect: bool = True,
    ):
        self.kind = kind
        self.urls = urls
        self.at = home % len(urls)
        self.headers = headers
        self.rng = rng
        self.reconnect = reconnect
        self.loop = asyncio.get_running_loop()
        self.position: tuple[str, int] | None = None
        self.awaiting_snapshot = False
        self.session: dict | None = None
        self.questions: dict[int, list] = {}  # id -> [status, version, votes, pinned]
        self.hashes: dict[int, int] = {}
        self.session_h = 0
        self.digest = 0
        self.changed_at = 0.0
        self.presence: dict | None = None  # moderation stream: the last presence it was shown
        self.arrived: dict[int, float] = {}  # question id -> its first question frame
        self.conn: _Conn | None = None
        self.attempt = 0
        self.refused_in_a_row = 0
        self.stopped = False
        self.retry: asyncio.TimerHandle | None = None
        self.first_snapshot: asyncio.Future = self.loop.create_future()
        self.stats: Counter = Counter()
        self.close_codes: Counter = Counter()

    # ---- connecting ----------------------------------------------------------------------

    def start(self) -> None:
        self._connect()

    def stop(self) -> None:
        self.stopped = True
        if self.retry is not None:
            self.retry.cancel()
        conn = self.conn
        if conn is not None:
            conn.close(1000)

    def _connect(self) -> None:
        self.retry = None
        if self.stopped:
            return
        url = self.urls[self.at]
        if self.position is not None:
            url += f"?epoch={quote(self.position[0])}&seq={self.position[1]}"
        conn = _Conn(self, url, self.headers)
        self.conn = conn
        self.stats["connects"] += 1
        if self.position is not None:
            self.stats["connects_with_position"] += 1
        conn.timers.append(self.loop.call_later(OPEN_TIMEOUT_S, self._open_timeout, conn))
        conn.task = self.loop.create_task(self._dial(conn, url))

    async def _dial(self, conn: _Conn, url: str) -> None:
        parsed = urlparse(url)
        try:
            await self.loop.create_connection(lambda: conn, parsed.hostname, parsed.port)
        except asyncio.CancelledError:
            return
        except OSError:
            conn.cancel_timers()
            if conn is not self.conn:
                return
            self.conn = None
            self.stats["refused"] += 1
            self.at = (self.at + 1) % len(self.urls)
            self.refused_in_a_row += 1
            if self.refused_in_a_row < len(self.urls):
                self._connect()  # the next process, at once, as a load balancer would
            else:
                self.refused_in_a_row = 0
                self._schedule_reconnect()

    def _open_timeout(self, conn: _Conn) -> None:
        if conn is not self.conn or conn.opened:
            return
        self.stats["open_timeouts"] += 1
        if conn.transport is None:
            if conn.task is not None:
                conn.task.cancel()
            self.conn = None
            self._schedule_reconnect()
        else:
            conn.abort()  # connection_lost follows and schedules the retry

    def _schedule_reconnect(self) -> None:
        if self.stopped or not self.reconnect:
            return
        base = DELAYS[min(self.attempt, len(DELAYS) - 1)]
        self.attempt += 1
        self.retry = self.loop.call_later(base * self.rng.uniform(0.5, 1.0), self._connect)

    def on_open(self, conn: _Conn) -> None:
        if conn is not self.conn:
            return
        conn.cancel_timers()
        self.attempt = 0
        self.refused_in_a_row = 0
        self.awaiting_snapshot = False  # a resync cut short by the drop: resuming does as well
        self.stats["opened"] += 1
        self._ping(conn)

    def _ping(self, conn: _Conn) -> None:
        if conn is not self.conn or not conn.send({"type": "ping"}):
            return
        if conn.pong_timer is not None:
            conn.pong_timer.cancel()
        conn.pong_timer = self.loop.call_later(PONG_TIMEOUT_S, self._pong_missing, conn)
        conn.timers.append(self.loop.call_later(PING_S, self._ping, conn))

    def _pong_missing(self, conn: _Conn) -> None:
        """As livesocket.js since 5ec392e: give the socket up at once (a close handshake with
        a server that stopped answering could wait as long again) and reconnect."""
        if conn is not self.conn:
            return
        self.stats["pong_timeouts"] += 1
        self.close_codes["gave up: no pong"] += 1
        self.conn = None
        conn.cancel_timers()
        conn.close(4000)  # aborted CLOSE_GRACE_S later if unanswered; its loss is ignored
        self._schedule_reconnect()

    def on_lost(self, conn: _Conn) -> None:
        if conn is not self.conn:
            return
        self.conn = None
        code = conn.close_code
        self.close_codes[str(code) if conn.opened else "not opened"] += 1
        if not self.first_snapshot.done() and not self.reconnect:
            self.first_snapshot.set_exception(ConnectionError(f"closed ({code})"))
        if self.stopped:
            return
        if code in DENIED:
            self.stats["denied"] += 1
            return
        self._schedule_reconnect()

    # ---- frames --------------------------------------------------------------------------

    def on_text(self, conn: _Conn, data: bytes, now: float) -> None:
        if conn is not self.conn:
            return
        self.stats["frames"] += 1
        try:
            frame = json.loads(data)
        except ValueError:
            self.stats["bad_frames"] += 1
            return
        kind = frame.get("type")
        seq = frame.get("seq")
        if not isinstance(seq, int):
            if kind == "pong":
                if conn.pong_timer is not None:
                    conn.pong_timer.cancel()
                    conn.pong_timer = None
            elif kind == "error":
                self.stats["error_frames"] += 1
            return
        data = frame.get("data") or {}
        if kind == "snapshot":
            self.awaiting_snapshot = False
            self.position = (frame.get("epoch"), seq)
            self.stats["snapshots"] += 1
            self._replace(data, now)
            if not self.first_snapshot.done():
                self.first_snapshot.set_result(now)
            return
        if self.awaiting_snapshot:
            return
        pos = self.position
        if pos is not None and frame.get("epoch") == pos[0] and seq <= pos[1]:
            self.stats["dups"] += 1
            return
        if pos is None or frame.get("epoch") != pos[0] or seq != pos[1] + 1:
            self.stats[
                "gaps" if pos is not None and frame.get("epoch") == pos[0] else "epochs"
            ] += 1
            self.awaiting_snapshot = True
            self.stats["resyncs"] += 1
            conn.send({"type": "resync"})
            return
        self.position = (pos[0], seq)
        self._apply(kind, data, now)

    def _replace(self, data: dict, now: float) -> None:
        before = self.digest
        self.questions.clear()
        self.hashes.clear()
        self.session = data.get("session") if "session" in data else self.session
        if "presence" in data:
            self.presence = data["presence"]
        self.session_h = session_hash(self.session)
        digest = self.session_h
        for q in data.get("questions") or ():
            held = [q.get("status"), q.get("version"), q.get("votes"), q.get("pinned")]
            self.questions[q["id"]] = held
            h = question_hash(q["id"], *held)
            self.hashes[q["id"]] = h
            digest ^= h
        self.digest = digest
        if digest != before:
            self.changed_at = now

    def _set(self, qid: int, held: list) -> None:
        self.questions[qid] = held
        h = question_hash(qid, *held)
        self.digest ^= self.hashes.get(qid, 0) ^ h
        self.hashes[qid] = h

    def _apply(self, kind: str, data: dict, now: float) -> None:
        before = self.digest
        if kind == "display.session_changed":
            self._replace(data, now)
            return
        if kind == "session.updated":
            session = data.get("session")
            held = self.session
            same = session and (not held or held.get("id") == session.get("id"))
            if same and (not held or (session.get("version") or 0) >= (held.get("version") or 0)):
                self.session = session
                h = session_hash(session)
                self.digest ^= self.session_h ^ h
                self.session_h = h
        elif kind == "presence.updated":
            self.presence = data.get("presence")
        elif kind in ("question.created", "question.updated"):
            q = data.get("question") or data
            self.arrived.setdefault(q["id"], now)
            held = self.questions.get(q["id"])
            if held is None or (q.get("version") or 0) >= (held[1] or 0):
                self._set(
                    q["id"], [q.get("status"), q.get("version"), q.get("votes"), q.get("pinned")]
                )
        elif kind == "question.removed":
            qid = data.get("id")
            if qid in self.questions:
                del self.questions[qid]
                self.digest ^= self.hashes.pop(qid)
        elif kind == "votes.updated":
            for key, votes in (data.get("votes") or {}).items():
                held = self.questions.get(int(key))
                if held is not None:
                    self._set(int(key), [held[0], held[1], votes, held[3]])
        if self.digest != before:
            self.changed_at = now

    def connected(self) -> bool:
        conn = self.conn
        return conn is not None and conn.opened and not conn.transport.is_closing()

    def diff(self, truth: dict[int, list]) -> dict:
        """What this client holds that the truth does not (a sample for the report)."""
        mine = set(self.questions)
        theirs = set(truth)
        wrong = [q for q in mine & theirs if self.questions[q] != truth[q]]
        return {
            "missing": len(theirs - mine),
            "extra": len(mine - theirs),
            "different": len(wrong),
            "example": (
                {"id": wrong[0], "held": self.questions[wrong[0]], "truth": truth[wrong[0]]}
                if wrong
                else None
            ),
        }


# ---- hostile sockets (issue #10 item 5; tests/faults/test_hostile_frames.py, larger) -------

HOSTILE_KINDS = (
    "nested",
    "nested_command",
    "huge",
    "binary",
    "bad_utf8",
    "ping_flood",
    "vote_flood",
)
# Codes a client can act on: the protocol's 4xxx, a normal close, and the RFC's answers to a
# frame that is not UTF-8 (1007) or too big (1009). Not 1011, not a drop without a close.
ACCEPTABLE_CLOSES = frozenset({1000, 1007, 1009, *range(4000, 5000)})
PING = json.dumps({"type": "ping"})


def hostile_frames(kind: str, question: int, flood: int) -> tuple[list, int, int]:
    """(frames to send as (payload, is_text), pings among them, answers with a ref they ask
    for), as the suite's test sends them. A ping follows them all."""
    if kind == "nested":  # 3.8 KB of brackets: under the 4 KiB limit, deeper than any parser
        return [("[" * 1900 + "]" * 1900, True)], 0, 0
    if kind == "nested_command":
        return [('{"type":"vote","question":' + "[" * 1800 + "]" * 1800 + "}", True)], 0, 0
    if kind == "huge":
        return [("x" * 200_000, True)], 0, 0
    if kind == "binary":
        return [(bytes(range(256)) * 4, False)], 0, 0
    if kind == "bad_utf8":
        return [(b'{"type": "ping", "x": "\xff\xfe"}', True)], 0, 0
    if kind == "ping_flood":
        return [(PING, True)] * flood, flood, 0
    if kind == "vote_flood":
        votes = [
            (json.dumps({"type": "vote", "question": question, "ref": f"v{i}"}), True)
            for i in range(flood)
        ]
        return [(json.dumps({"type": "join", "ref": "j"}), True), *votes], 0, flood + 1
    raise ValueError(kind)


async def hostile_socket(url: str, kind: str, question: int, flood: int, timeout: float) -> dict:
    """Send the hostile frames and one ping; wait for every answer or a close (bounded)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    row: dict = {"kind": kind, "close": "open", "errors": [], "pongs": 0, "answers": 0}
    frames, pings, answers = hostile_frames(kind, question, flood)
    pings += 1
    began = time.time()
    try:
        async with asyncio.timeout(timeout):
            async with connect(
                url,
                open_timeout=10,
                close_timeout=2,
                ping_interval=None,
                compression=None,
                proxy=None,
                max_size=1 << 22,
            ) as ws:
                await ws.recv()  # the snapshot
                with contextlib.suppress(ConnectionClosed):
                    for payload, text in frames:
                        # text=True on bytes: sent as a text frame as they are (invalid UTF-8)
                        await ws.send(payload, text=text)
                    await ws.send(PING)
                while row["pongs"] < pings or row["answers"] < answers:
                    frame = json.loads(await ws.recv())
                    data = frame.get("data") or {}
                    if frame.get("type") == "pong":
                        row["pongs"] += 1
                    elif frame.get("type") == "error":
                        row["errors"].append(data.get("code"))
                    if "seq" not in frame and "ref" in data:
                        row["answers"] += 1
    except ConnectionClosed as closed:
        row["close"] = closed.rcvd.code if closed.rcvd is not None else None
    except TimeoutError:
        row["close"] = "silent"
    except (OSError, ValueError) as exc:  # refused, or the handshake failed
        row["close"] = f"not opened: {type(exc).__name__}"
    row["took"] = time.time() - began
    if row["close"] == "open":
        row["acceptable"] = row["pongs"] == pings and row["answers"] == answers
    elif kind == "bad_utf8" and row["close"] is None:
        row["acceptable"] = True  # RFC 6455 8.1: the server may fail the connection by dropping it
    else:
        row["acceptable"] = row["close"] in ACCEPTABLE_CLOSES
    row["errors"] = dict(Counter(str(code) for code in row["errors"]))
    return row


# ---- the worker ----------------------------------------------------------------------------


class FaultWorker(Worker):
    """The load generator worker with the followers' commands."""

    def __init__(self, conn, index: int):
        super().__init__(conn, index)
        self.followers: dict[str, list[Follower]] = {}

    async def cmd_follow(
        self, group: str, specs: list[dict], seed: int, concurrency: int, timeout: float
    ) -> dict:
        """Start a follower per spec ({kind, urls, home, headers}); return once each holds
        its first snapshot or `timeout` passed. They keep following (and reconnecting)
        until fault_close."""
        rng = random.Random(seed)
        followers = self.followers.setdefault(group, [])
        limit = asyncio.Semaphore(concurrency)
        took: list[float] = []

        async def one(spec: dict) -> None:
            async with limit:
                follower = Follower(spec["kind"], spec["urls"], spec["home"], spec["headers"], rng)
                followers.append(follower)
                started = time.time()
                follower.start()
                with contextlib.suppress(Exception):
                    took.append(
                        await asyncio.wait_for(asyncio.shield(follower.first_snapshot), timeout)
                        - started
                    )

        await asyncio.gather(*(one(spec) for spec in specs))
        return {"ok": len(took), "failed": len(specs) - len(took), "took": took}

    async def cmd_follow_status(self, group: str, truth: dict[str, int]) -> dict:
        followers = self.followers.get(group, [])
        return {
            "clients": len(followers),
            "exact": sum(1 for f in followers if f.digest == truth[f.kind]),
            "connected": sum(1 for f in followers if f.connected()),
        }

    async def cmd_follow_report(
        self, group: str, truth: dict[str, int], states: dict[str, dict], since: float
    ) -> dict:
        """A row per follower: kind, exact (its digest is the truth's), changed_at, connected,
        and its counters; a diff for the ones that are not exact."""
        rows = []
        for f in self.followers.get(group, []):
            exact = f.digest == truth[f.kind]
            row = {
                "kind": f.kind,
                "exact": exact,
                "changed_at": f.changed_at,
                "digest": f.digest,
                "questions": len(f.questions),
                "connected": f.connected(),
                "stats": dict(f.stats),
                "close_codes": dict(f.close_codes),
            }
            if not exact:
                state = {int(k): v for k, v in states[f.kind].items()}
                row["diff"] = f.diff(state)
                row["position"] = f.position
                row["awaiting_snapshot"] = f.awaiting_snapshot
            rows.append(row)
        return {"rows": rows}

    async def cmd_follow_presence(self, group: str) -> dict:
        """The presence each moderation console holds (snapshot or presence.updated)."""
        return {
            "shown": [f.presence for f in self.followers.get(group, []) if f.kind == "moderation"]
        }

    async def cmd_follow_arrivals(self, group: str, ids: list[int]) -> dict:
        """Per question id: how many followers had a question frame of it, and when the
        last of them got its first one."""
        followers = self.followers.get(group, [])
        out = {}
        for qid in ids:
            times = [f.arrived[qid] for f in followers if qid in f.arrived]
            out[str(qid)] = {
                "have": len(times),
                "of": len(followers),
                "last": max(times, default=None),
            }
        return out

    async def cmd_hostile(
        self, targets: list[dict], question: int, flood: int, concurrency: int, timeout: float
    ) -> dict:
        """A hostile socket per target ({kind, url}): its frames (hostile_frames), then one
        ping; what came back. A row per socket: kind, close (the code the server sent, None
        for a drop without a close frame, "open" if it answered everything and stayed open,
        "silent" if neither within `timeout`), errors (codes of error frames), pongs, answers,
        acceptable (as tests/faults/test_hostile_frames.py judges it)."""
        limit = asyncio.Semaphore(concurrency)

        async def one(target: dict) -> dict:
            async with limit:
                return await hostile_socket(target["url"], target["kind"], question, flood, timeout)

        return {"rows": await asyncio.gather(*(one(t) for t in targets))}

    async def cmd_follow_mark(self, group: str) -> dict:
        """Zero every follower's counters (the fault's counts start here)."""
        for f in self.followers.get(group, []):
            f.stats.clear()
            f.close_codes.clear()
        return {}

    async def cmd_follow_close(self, group: str, timeout: float) -> dict:
        followers = self.followers.pop(group, [])
        for f in followers:
            f.stop()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(f.conn is not None for f in followers):
            await asyncio.sleep(0.1)
        aborted = 0
        for f in followers:
            if f.conn is not None:
                f.conn.abort()
                aborted += 1
        return {"closed": len(followers), "aborted": aborted}

    async def cmd_probe(self, targets: list[dict], timeout: float) -> dict:
        """A fresh socket per target ({kind, url, headers}), no reconnect: the digest of its
        snapshot, or why there was none within `timeout`."""

        async def one(target: dict) -> dict:
            f = Follower(target["kind"], [target["url"]], 0, target["headers"], random.Random(0))
            f.reconnect = False
            f.start()
            try:
                await asyncio.wait_for(asyncio.shield(f.first_snapshot), timeout)
                return {**target, "digest": f.digest, "questions": len(f.questions)}
            except Exception as exc:
                return {**target, "error": f"{type(exc).__name__}: {str(exc)[:80]}"}
            finally:
                f.stop()
                if f.conn is not None:
                    f.conn.abort()
                if f.first_snapshot.done() and not f.first_snapshot.cancelled():
                    f.first_snapshot.exception()  # retrieved: no "never retrieved" warning

        return {"probes": await asyncio.gather(*(one(t) for t in targets))}

    async def cmd_vote_burst(
        self, tokens: list[str], bases: list[str], question_id: int, start_at: float, timeout: float
    ) -> dict:
        """Each token votes once on the question over HTTP, all at `start_at` (a connection
        each: no pool limit in the way). A row per vote: status (or an exception's name),
        json (the body is JSON), retry_after (the header's value), took."""
        import httpx

        rows = []
        limits = httpx.Limits(max_connections=len(tokens) + 1, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:

            async def one(i: int, token: str) -> None:
                url = f"{bases[i % len(bases)]}/api/v1/questions/{question_id}/vote/"
                await asyncio.sleep(max(0.0, start_at - time.time()))
                began = time.time()
                row = {"status": None, "json": False, "retry_after": None, "took": None}
                try:
                    response = await client.post(url, headers={"X-Participant-Token": token})
                    row["status"] = response.status_code
                    row["json"] = response.headers.get("content-type", "").startswith(
                        "application/json"
                    )
                    row["retry_after"] = response.headers.get("retry-after")
                except Exception as exc:
                    row["status"] = type(exc).__name__
                row["took"] = time.time() - began
                rows.append(row)

            await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens)))
        return {"rows": rows}


def worker_main(conn, index: int) -> None:
    from bench.stack import raise_fd_limit

    raise_fd_limit()
    asyncio.run(FaultWorker(conn, index).run())

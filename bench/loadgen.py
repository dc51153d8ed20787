"""The load generator: simulated phones in several worker processes, so the load fits.

Each worker runs one asyncio loop holding thousands of WebSocket clients. A client is a
plain `asyncio.Protocol` around websockets' Sans-I/O `ClientProtocol` (no task and no queue
per socket, so the generator costs as little CPU as it can). It stamps every chunk the kernel
hands it with `time.time()` before parsing, checks seq continuity per frame, and remembers
when each question first arrived. A phone joins, votes and asks over its socket (a `join`
frame sent the moment the socket is open; `identify` where the socket is not yet someone's;
then vote and ask frames, each answered by a local frame routed back to its caller by `ref`)
or, for comparison, over HTTP with httpx.

The harness drives the workers through `Fleet` (one pipe per worker, one command at a time).
Every wait is bounded in time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import random
import time
import traceback
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlparse

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

# ---------------------------------------------------------------------------------------------
# One simulated client
# ---------------------------------------------------------------------------------------------


class SansIO(asyncio.Protocol):
    """What every client socket of the bench does with websockets' Sans-I/O protocol
    (`self.proto`) around its transport: write what the protocol has to send, pass EOF on."""

    proto: ClientProtocol
    transport: asyncio.Transport | None

    def eof_received(self):
        self.proto.receive_eof()
        self._flush()
        return None

    def _flush(self) -> None:
        for data in self.proto.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()


class Client(SansIO):
    def __init__(
        self,
        url: str,
        received: Counter,
        vote_tallies: dict,
        on_open: Callable[[Client], None] | None = None,
    ):
        loop = asyncio.get_running_loop()
        self.url = url
        self.proto = ClientProtocol(parse_uri(url), max_size=None)
        self.transport: asyncio.Transport | None = None
        self.ready: asyncio.Future = loop.create_future()  # the first frame (snapshot) arrived
        self.lost: asyncio.Future = loop.create_future()
        self.received = received  # the worker's count of first arrivals per question id
        self.vote_tallies = vote_tallies  # the worker's seq -> votes of every votes.updated
        self.epoch: str | None = None
        self.seq = -1
        self.frames = 0
        self.gaps = 0
        self.dups = 0
        self.epoch_changes = 0
        self.bad_frames = 0
        self.snapshot_at: float | None = None
        self.close_code: int | None = None
        self.marks: dict[int, float] = {}  # question id -> first question.updated
        self.votes: dict[int, int] = {}  # question id -> tally this client holds
        self.vote_frames: dict[int, float] = {}  # seq of a votes.updated -> when it arrived
        # Polls: id -> (voters, {option id: votes}) this client holds; seq of a poll.results
        # -> when it arrived (the worker keeps each frame's data, `poll_tallies`).
        self.polls: dict[int, tuple[int, dict]] = {}
        self.poll_frames: dict[int, float] = {}
        self.poll_tallies: dict = vote_tallies.setdefault("polls", {})
        self.pending: dict[str, asyncio.Future] = {}  # ref -> (reply, arrival) of a command
        self.participant: int | None = None  # who the socket speaks for, once identified
        self.unmatched: Counter = Counter()  # replies no command waited for (late, or stray)
        # Called once, as soon as the handshake's response arrived (before any frame is read):
        # where a phone sends what it sends without waiting for the snapshot (join).
        self.on_open = on_open

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.proto.send_request(self.proto.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.time()
        proto = self.proto
        proto.receive_data(data)
        for event in proto.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT and event.fin:
                    self._on_text(event.data, now)
                elif event.opcode is Opcode.CLOSE:  # close_code is None until CLOSED
                    self.close_code = proto.close_rcvd.code if proto.close_rcvd else 1005
                elif event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
                    self.bad_frames += 1
            elif proto.handshake_exc is not None:
                if not self.ready.done():
                    self.ready.set_exception(ConnectionError(f"handshake: {proto.handshake_exc}"))
            elif self.on_open is not None:  # the handshake's response: the socket is open
                on_open, self.on_open = self.on_open, None
                on_open(self)
        self._flush()

    def connection_lost(self, exc) -> None:
        if not self.ready.done():
            self.ready.set_exception(
                ConnectionError(f"closed before the snapshot ({self.close_code})")
            )
        pending, self.pending = self.pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(ConnectionError(f"closed ({self.close_code})"))
        if not self.lost.done():
            self.lost.set_result(None)

    # commands: client -> server frames answered by a local frame
    def send(self, message: dict) -> None:
        if self.transport is None or self.transport.is_closing() or self.lost.done():
            raise ConnectionError(f"socket closed ({self.close_code})")
        self.proto.send_text(json.dumps(message, separators=(",", ":")).encode())
        self._flush()

    def submit(self, message: dict, ref: str) -> asyncio.Future:
        """Send one command now; the future gets (reply, arrival time) of the local frame
        that answers it. Sent before this returns, so commands leave in call order."""
        if ref in self.pending:
            raise ValueError(f"ref {ref!r} is already waiting for its reply")
        future = asyncio.get_running_loop().create_future()
        self.send(message)
        self.pending[ref] = future
        return future

    async def reply(self, ref: str, future: asyncio.Future, timeout: float) -> tuple[dict, float]:
        """Wait, bounded, for the reply to a submit(): (the frame, when its bytes arrived).
        One given up on stops waiting; its late reply is counted in `unmatched`."""
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            if self.pending.get(ref) is future:
                del self.pending[ref]

    async def request(self, message: dict, ref: str, timeout: float) -> tuple[dict, float]:
        """submit() and wait, bounded, for the reply: (the frame, when its bytes arrived)."""
        return await self.reply(ref, self.submit(message, ref), timeout)

    def _on_local(self, message: dict, now: float) -> None:
        """A frame outside the stream (no seq): the reply to a command, matched by its ref
        (the server answers a socket's joins, votes and asks as their rounds commit, so not
        necessarily in the order they were sent). identified and identify.* errors carry none
        and go to IDENTIFY_REF. Any other error without a ref (frame.unknown_type from a
        server without the command...) is taken as the answer to the oldest command still
        waiting: the server reads a socket's frames in order and answers such errors at once,
        so this is right whenever every waiting command met the same error."""
        kind = message.get("type")
        data = message.get("data")
        if not isinstance(data, dict):
            data = {}
        code = str(data.get("code", ""))
        if kind == "identified" or (kind == "error" and code.startswith("identify.")):
            ref = IDENTIFY_REF
            if kind == "identified":
                self.participant = data.get("participant")
        elif kind in REPLIES:
            ref = data.get("ref")
            if kind == "joined":
                self.participant = data.get("participant")
            if kind == "error" and ref is None and self.pending:
                ref = next(iter(self.pending))
        else:
            return  # pong
        future = self.pending.pop(ref, None) if isinstance(ref, str) else None
        if future is None:
            self.unmatched[code or kind] += 1
            return
        if not future.done():
            future.set_result((message, now))

    # frames
    def _on_text(self, data: bytes, now: float) -> None:
        self.frames += 1
        head = _head(data)
        if head is not None:  # the common case, read without parsing the whole frame
            seq, epoch, kind, question_id = head
            if epoch != self.epoch:
                self.epoch_changes += 1
                self.epoch = epoch
            elif seq <= self.seq:
                self.dups += 1
                return
            elif seq != self.seq + 1:
                self.gaps += 1
            self.seq = seq
            if question_id not in self.marks:
                self.marks[question_id] = now
                self.received[question_id] += 1
            return
        message = json.loads(data)
        seq = message.get("seq")
        if seq is None:
            self._on_local(message, now)  # a reply, pong or error: outside the stream
            return
        kind = message["type"]
        if kind == "snapshot":
            if self.epoch is not None:
                self.epoch_changes += 1  # a recovery snapshot
            self.epoch, self.seq, self.snapshot_at = message["epoch"], seq, now
            for question in message["data"].get("questions", ()):
                self.votes[question["id"]] = question.get("votes", 0)
            for poll in message["data"].get("polls", ()):
                self._hold_poll(poll)
            if not self.ready.done():
                self.ready.set_result(now)
            return
        if message["epoch"] != self.epoch:
            self.epoch_changes += 1
            self.epoch = message["epoch"]
        elif seq <= self.seq:
            self.dups += 1
            return
        elif seq != self.seq + 1:
            self.gaps += 1
        self.seq = seq
        if kind == "question.updated":
            question_id = message["data"]["id"]
            if question_id not in self.marks:
                self.marks[question_id] = now
                self.received[question_id] += 1
        elif kind == "votes.updated":
            votes = message["data"]["votes"]
            for key, count in votes.items():
                self.votes[int(key)] = count
            self.vote_frames[seq] = now
            self.vote_tallies.setdefault(seq, votes)
        elif kind == "poll.results":
            data = message["data"]
            self.polls[data["poll"]] = (data["voters"], data["votes"] or {})
            self.poll_frames[seq] = now
            self.poll_tallies.setdefault(seq, data)
        elif kind == "poll.updated":
            self._hold_poll(message["data"])

    def _hold_poll(self, poll: dict) -> None:
        votes = {str(o["id"]): o["votes"] for o in poll["options"] if o["votes"] is not None}
        self.polls[poll["id"]] = (poll["voters"], votes)

    def close(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        with contextlib.suppress(Exception):
            self.proto.send_close(1000)
            self._flush()


IDENTIFY_REF = "identify"  # where identified (which carries no ref) is routed
JOIN_REF = "join"  # a phone joins once, on the socket it then keeps
REPLIES = frozenset(
    {"vote.done", "ballot.done", "joined", "asked", "error"}
)  # local frames that carry a ref
_QUESTION_UPDATED = b'","type":"question.updated","data":{"id":'


def _head(data: bytes) -> tuple[int, str, str, int] | None:
    """(seq, epoch, type, question id) of a question.updated frame, read from its fixed head
    ({"seq":n,"epoch":"e","type":"question.updated","data":{"id":q,...); None for any other
    frame, which is then parsed as JSON. The product's frames and the baseline's share it."""
    if not data.startswith(b'{"seq":'):
        return None
    comma = data.find(b",", 7)
    if comma < 0 or data[comma : comma + 10] != b',"epoch":"':
        return None
    end = data.find(b'"', comma + 10)
    if end < 0 or data[end : end + len(_QUESTION_UPDATED)] != _QUESTION_UPDATED:
        return None
    at = end + len(_QUESTION_UPDATED)
    stop = at
    while data[stop : stop + 1].isdigit():
        stop += 1
    if stop == at:
        return None
    return (
        int(data[7:comma]),
        data[comma + 10 : end].decode(),
        "question.updated",
        int(data[at:stop]),
    )


async def open_client(
    url: str,
    received: Counter,
    tallies: dict,
    timeout: float,
    on_open: Callable[[Client], None] | None = None,
) -> Client:
    """Connected and holding its snapshot, or an exception (the socket aborted)."""
    loop = asyncio.get_running_loop()
    parsed = urlparse(url)
    client = Client(url, received, tallies, on_open)
    try:
        await asyncio.wait_for(
            loop.create_connection(lambda: client, parsed.hostname, parsed.port), timeout
        )
        await asyncio.wait_for(asyncio.shield(client.ready), timeout)
    except BaseException:
        if client.transport is not None:
            client.transport.abort()
        raise
    return client


HTTP_CONNECTIONS = 256  # per worker process
SOCKET_TIMEOUT = 30.0  # seconds a command over the socket waits for its reply, like httpx's


def _error_name(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:80]}"


class CommandError(Exception):
    """A command over the socket answered with an error frame (or not the reply it expects)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _reply_code(reply: dict) -> str:
    """What a reply that is not the expected answer says: its error code, or its type."""
    return str((reply.get("data") or {}).get("code") or reply.get("type"))


def _discard(future: asyncio.Future) -> None:
    """Stop waiting for a reply without leaving an exception nobody retrieves."""
    if not future.done():
        future.cancel()
    elif not future.cancelled():
        future.exception()


# ---------------------------------------------------------------------------------------------
# A worker process
# ---------------------------------------------------------------------------------------------


class Worker:
    def __init__(self, conn, index: int):
        self.conn = conn
        self.index = index
        self.groups: dict[str, list[Client]] = {}
        self.phones: dict[str, list[dict]] = {}
        self.received: dict[str, Counter] = {}  # group -> question id -> first arrivals
        self.tallies: dict[str, dict[int, dict]] = {}  # group -> seq -> votes.updated data
        self._http = None
        self._slots: asyncio.Semaphore | None = None
        self.retries = 0

    @property
    def slots(self) -> asyncio.Semaphore:
        """At most as many requests in flight as the pool has connections: httpx's pool
        gets slow with thousands of waiters, an asyncio semaphore does not."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(HTTP_CONNECTIONS)
        return self._slots

    @property
    def http(self):
        """One httpx client for all the worker's phones. It keeps no cookies: each phone is a
        browser of its own, so the page's csrftoken cookie set for one phone must not ride
        along on the next phone's first GET (the server would skip making it a new one)."""
        from http.cookiejar import CookieJar, DefaultCookiePolicy

        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=30.0,
                limits=httpx.Limits(
                    max_connections=HTTP_CONNECTIONS, max_keepalive_connections=HTTP_CONNECTIONS
                ),
                cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            )
        return self._http

    def _take_retries(self) -> int:
        retries, self.retries = self.retries, 0
        return retries

    async def request(self, method: str, url: str, **kwargs):
        """One request, retried once if the connection broke before an answer (a kept-alive
        connection the server had just closed), as a phone would. Counted in `retries`."""
        import httpx

        async with self.slots:
            try:
                return await self.http.request(method, url, **kwargs)
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
                self.retries += 1
                return await self.http.request(method, url, **kwargs)

    async def post(self, url: str, **kwargs):
        return await self.request("POST", url, **kwargs)

    async def get(self, url: str, **kwargs):
        return await self.request("GET", url, **kwargs)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            request = await loop.run_in_executor(None, self.conn.recv)
            if request["cmd"] == "exit":
                break
            try:
                result = await getattr(self, f"cmd_{request['cmd']}")(**request["args"])
                reply = {"ok": True, "result": result}
            except Exception:
                reply = {"ok": False, "error": traceback.format_exc(limit=5)}
            self.conn.send(reply)
        for clients in self.groups.values():
            for client in clients:
                if client.transport is not None:
                    client.transport.abort()
        if self._http is not None:
            await self._http.aclose()

    # ---- sockets ----------------------------------------------------------------------

    async def cmd_connect(
        self, group: str, urls: list[str], count: int, first: int, concurrency: int, timeout: float
    ) -> dict:
        """Open `count` clients, spread round-robin over `urls` by their global index."""
        clients = self.groups.setdefault(group, [])
        received = self.received.setdefault(group, Counter())
        tallies = self.tallies.setdefault(group, {})
        limit = asyncio.Semaphore(concurrency)
        errors: Counter = Counter()
        took: list[float] = []

        async def one(i: int) -> None:
            async with limit:
                started = time.time()
                try:
                    client = await open_client(
                        urls[(first + i) % len(urls)], received, tallies, timeout
                    )
                except Exception as exc:
                    errors[_error_name(exc)] += 1
                    return
                clients.append(client)
                took.append(client.snapshot_at - started)

        await asyncio.gather(*(one(i) for i in range(count)))
        return {
            "ok": len(took),
            "failed": sum(errors.values()),
            "errors": dict(errors),
            "took": took,
        }

    async def cmd_progress(self, group: str, question_ids: list[int]) -> dict:
        clients = self.groups.get(group, [])
        return {
            "clients": len(clients),
            "open": sum(1 for c in clients if not c.lost.done()),
            "received": sum(self.received.get(group, Counter())[q] for q in question_ids),
        }

    async def cmd_report(
        self, group: str, question_ids: list[int], expected_votes: dict | None = None
    ) -> dict:
        clients = self.groups.get(group, [])
        times = {q: [] for q in question_ids}
        for client in clients:
            marks = client.marks
            for q in question_ids:
                t = marks.get(q)
                if t is not None:
                    times[q].append(t)
        report = {
            "clients": len(clients),
            "closed": sum(1 for c in clients if c.lost.done()),
            "close_codes": dict(Counter(c.close_code for c in clients if c.lost.done())),
            "gaps": sum(c.gaps for c in clients),
            "dups": sum(c.dups for c in clients),
            "epoch_changes": sum(c.epoch_changes for c in clients),
            "bad_frames": sum(c.bad_frames for c in clients),
            "clients_with_gaps": sum(1 for c in clients if c.gaps or c.epoch_changes),
            "times": {str(q): ts for q, ts in times.items()},
        }
        if expected_votes is not None:
            expected = {int(k): v for k, v in expected_votes.items()}
            wrong = [
                {str(q): c.votes.get(q) for q in expected}
                for c in clients
                if any(c.votes.get(q) != v for q, v in expected.items())
            ]
            last_seen: dict[int, list] = {}
            for client in clients:
                for seq, t in client.vote_frames.items():
                    entry = last_seen.setdefault(seq, [0, 0.0])
                    entry[0] += 1
                    entry[1] = max(entry[1], t)
            report["votes_exact"] = len(clients) - len(wrong)
            report["votes_wrong_sample"] = wrong[:3]
            report["vote_frames"] = {
                str(seq): {"clients": n, "last": t, "votes": self.tallies[group][seq]}
                for seq, (n, t) in last_seen.items()
            }
        return report

    async def cmd_close(self, group: str, timeout: float) -> dict:
        clients = self.groups.pop(group, [])
        for client in clients:
            client.close()
        pending = [c.lost for c in clients if not c.lost.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)
        aborted = 0
        for client in clients:
            if not client.lost.done() and client.transport is not None:
                client.transport.abort()
                aborted += 1
        self.phones.pop(group, None)
        self.received.pop(group, None)
        self.tallies.pop(group, None)
        return {"closed": len(clients), "aborted": aborted}

    # ---- phones: HTTP + socket ----------------------------------------------------------

    async def cmd_join(
        self,
        group: str,
        http: list[str],
        ws: list[str],
        slug: str,
        first: int,
        offsets: list[float],
        start_at: float,
        timeout: float,
        give_up_after: float,
        over: str = "socket",
        page: str | None = None,
    ) -> dict:
        """Each phone, at start_at + its offset, as the phone page does: open its socket and
        send `join` the moment it is open, then wait for both the snapshot and `joined` (the
        token; the socket is then the participant's). With `over="http"`: POST join, then
        open the socket and wait for the snapshot. With `page` (a path with its query, such
        as "/e/<slug>/?session=<id>"), the phone first GETs the page from the Daphne process
        it then joins on, as a phone that scanned the QR code does, and fails unless it is
        200. A row per phone: began (the start of the GET, else of the join), paged (when
        the page arrived; None without `page`), joined (when the token arrived), snapshot
        (when the snapshot arrived), error (None, the error code of the join frame, the HTTP
        status, or an exception's name): a phone fails if its page, its token or its
        snapshot does."""
        if over not in ("socket", "http"):
            raise ValueError(f"over must be socket or http, not {over!r}")
        clients = self.groups.setdefault(group, [])
        phones = self.phones.setdefault(group, [])
        received = self.received.setdefault(group, Counter())
        tallies = self.tallies.setdefault(group, {})
        results = []

        async def by_http(base: str, url: str, row: dict) -> None:
            response = await self.post(f"{base}/api/v1/events/{slug}/join/", json={})
            if response.status_code != 201:
                raise RuntimeError(f"join answered {response.status_code}")
            token = response.json()["participant_token"]
            row["joined"] = time.time()
            client = await open_client(url, received, tallies, timeout)
            row["snapshot"] = client.snapshot_at
            clients.append(client)
            phones.append({"token": token, "base": base, "client": client})

        async def by_socket(base: str, url: str, row: dict) -> None:
            message = {"type": "join", "display_name": "", "ref": JOIN_REF}
            joining: list[asyncio.Future] = []  # the join's reply, sent once the socket is open
            try:
                client = await open_client(
                    url,
                    received,
                    tallies,
                    timeout,
                    lambda c: joining.append(c.submit(message, JOIN_REF)),
                )
            except BaseException:
                for future in joining:
                    _discard(future)
                raise
            try:
                row["snapshot"] = client.snapshot_at
                reply, arrived = await client.reply(JOIN_REF, joining[0], timeout)
                token = (reply.get("data") or {}).get("participant_token")
                if reply.get("type") != "joined":
                    raise CommandError(_reply_code(reply))
                if not isinstance(token, str) or not token:
                    raise CommandError("joined.without_token")
            except BaseException:
                client.transport.abort()  # a phone without its token leaves the hall
                raise
            row["joined"] = arrived
            clients.append(client)
            # The join identified this socket: no identify before its votes and asks.
            phones.append({"token": token, "base": base, "client": client, "identified": True})

        join = by_socket if over == "socket" else by_http

        async def one(i: int, offset: float) -> None:
            base, url = http[(first + i) % len(http)], ws[(first + i) % len(ws)]
            await asyncio.sleep(max(0.0, start_at + offset - time.time()))
            began = time.time()
            row = {"began": began, "paged": None, "joined": None, "snapshot": None, "error": None}
            try:
                if page is not None:
                    response = await self.get(f"{base}{page}")
                    if response.status_code != 200:
                        raise RuntimeError(f"page answered {response.status_code}")
                    row["paged"] = time.time()
                await join(base, url, row)
            except CommandError as exc:
                row["error"] = exc.code
            except Exception as exc:
                row["error"] = _error_name(exc)
            results.append(row)

        unfinished = await bounded([one(i, off) for i, off in enumerate(offsets)], give_up_after)
        return {"rows": results, "unfinished": unfinished, "retries": self._take_retries()}

    async def cmd_vote(
        self,
        group: str,
        question_ids: list[int],
        window: float,
        start_at: float,
        seed: int,
        give_up_after: float,
        over: str = "socket",
    ) -> dict:
        """Every phone votes once on each question, at random moments within the window:
        over its open socket (identify at its first vote, then a vote frame answered by
        vote.done), or with a POST each when `over` is "http". A row per vote: q, status
        ("ok" or the error code over the socket; the HTTP status; an exception's name),
        votes (the committed tally the answer carried), began, done (when the answer's bytes
        arrived over the socket; when httpx returned over HTTP)."""
        if over not in ("socket", "http"):
            raise ValueError(f"over must be socket or http, not {over!r}")
        rng = random.Random(seed)
        phones = self.phones.get(group, [])
        rows = []

        async def by_http(phone: dict, question_id: int, row: dict) -> None:
            response = await self.post(
                f"{phone['base']}/api/v1/questions/{question_id}/vote/",
                headers={"X-Participant-Token": phone["token"]},
            )
            row["status"] = response.status_code
            if response.status_code in (200, 201):
                row["votes"] = response.json()["votes"]

        async def by_socket(phone: dict, question_id: int, row: dict) -> None:
            client: Client = phone["client"]
            if not phone.get("identified") and phone.get("identify") is None:
                # The server handles a socket's frames in order: the vote can follow at once.
                message = {"type": "identify", "token": phone["token"]}
                phone["identify"] = (time.time(), client.submit(message, IDENTIFY_REF))
            ref = f"v{question_id}"
            message = {"type": "vote", "question": question_id, "ref": ref}
            reply, row["done"] = await client.request(message, ref, SOCKET_TIMEOUT)
            data = reply.get("data") or {}
            if reply.get("type") != "vote.done":
                row["status"] = _reply_code(reply)
            elif data.get("question") != question_id or not isinstance(data.get("votes"), int):
                row["status"] = "vote.done.mismatched"
            else:
                row["status"], row["votes"] = "ok", data["votes"]

        vote = by_socket if over == "socket" else by_http

        async def one(phone: dict, question_id: int, offset: float) -> None:
            await asyncio.sleep(max(0.0, start_at + offset - time.time()))
            began = time.time()
            row = {"q": question_id, "status": None, "votes": None, "began": began, "done": None}
            try:
                await vote(phone, question_id, row)
            except Exception as exc:
                row["status"] = _error_name(exc)
            if row["done"] is None:
                row["done"] = time.time()
            rows.append(row)

        jobs = [one(phone, q, rng.uniform(0, window)) for phone in phones for q in question_ids]
        unfinished = await bounded(jobs, give_up_after)
        result = {"rows": rows, "unfinished": unfinished, "retries": self._take_retries()}
        if over == "socket":
            result["identify"] = _identify_results(phones)
            result["unmatched_replies"] = _take_unmatched(phones)
        return result

    async def cmd_ballot(
        self,
        group: str,
        poll_id: int,
        option_ids: list[int],
        window: float,
        start_at: float,
        seed: int,
        give_up_after: float,
    ) -> dict:
        """Every phone sends one ballot (one option, picked at random with more weight on the
        first ones, as a hall leans) at a random moment within the window, over its open
        socket; answered by ballot.done. A row per ballot: status ("ok" or the error code),
        option, began, done (when the answer's bytes arrived)."""
        rng = random.Random(seed)
        weights = [len(option_ids) - i for i in range(len(option_ids))]
        phones = self.phones.get(group, [])
        rows = []

        async def one(phone: dict, option: int, offset: float) -> None:
            await asyncio.sleep(max(0.0, start_at + offset - time.time()))
            client: Client = phone["client"]
            row = {"option": option, "status": None, "began": time.time(), "done": None}
            try:
                if not phone.get("identified") and phone.get("identify") is None:
                    message = {"type": "identify", "token": phone["token"]}
                    phone["identify"] = (time.time(), client.submit(message, IDENTIFY_REF))
                ref = f"b{poll_id}"
                message = {"type": "ballot", "poll": poll_id, "options": [option], "ref": ref}
                reply, row["done"] = await client.request(message, ref, SOCKET_TIMEOUT)
                data = reply.get("data") or {}
                if reply.get("type") != "ballot.done":
                    row["status"] = _reply_code(reply)
                elif data.get("options") != [option]:
                    row["status"] = "ballot.done.mismatched"
                else:
                    row["status"] = "ok"
            except Exception as exc:
                row["status"] = _error_name(exc)
            if row["done"] is None:
                row["done"] = time.time()
            rows.append(row)

        jobs = [
            one(phone, rng.choices(option_ids, weights)[0], rng.uniform(0, window))
            for phone in phones
        ]
        unfinished = await bounded(jobs, give_up_after)
        return {
            "rows": rows,
            "unfinished": unfinished,
            "identify": _identify_results(phones),
            "unmatched_replies": _take_unmatched(phones),
        }

    async def cmd_poll_report(self, group: str, poll_id: int, expected: dict) -> dict:
        """How many of the group's clients hold the database's tallies of the poll
        (`expected`: voters and votes per option id), and when each poll.results frame
        reached its last client."""
        clients = self.groups.get(group, [])
        want = (expected["voters"], expected["votes"])
        wrong = [c.polls.get(poll_id) for c in clients if c.polls.get(poll_id) != want]
        last_seen: dict[int, list] = {}
        for client in clients:
            for seq, t in client.poll_frames.items():
                entry = last_seen.setdefault(seq, [0, 0.0, t])
                entry[0] += 1
                entry[1] = max(entry[1], t)
                entry[2] = min(entry[2], t)
        tallies = self.tallies.get(group, {}).get("polls", {})
        return {
            "clients": len(clients),
            "exact": len(clients) - len(wrong),
            "wrong_sample": wrong[:3],
            "gaps": sum(c.gaps for c in clients),
            "closed": sum(1 for c in clients if c.lost.done()),
            "frames": {
                str(seq): {
                    "clients": n,
                    "first": first,
                    "last": last,
                    "voters": tallies[seq]["voters"],
                }
                for seq, (n, last, first) in last_seen.items()
                if seq in tallies and tallies[seq]["poll"] == poll_id
            },
        }

    async def cmd_ask(
        self,
        group: str,
        count: int,
        session_id: int,
        window: float,
        start_at: float,
        seed: int,
        give_up_after: float,
        over: str = "socket",
    ) -> dict:
        """The first `count` phones each send one question twice at once, same client_id: a
        retry on bad Wi-Fi racing the original. Over the socket: two ask frames (different
        refs), after an identify if the socket is not yet the phone's; or, `over="http"`, two
        POSTs. A row per phone, {"first", "second"}, each {"status", "id", "took"}: status is
        the HTTP status, or over the socket "201"/"200" (asked with created true/false) or the
        error code; took runs from sending to the answer's arrival."""
        if over not in ("socket", "http"):
            raise ValueError(f"over must be socket or http, not {over!r}")
        rng = random.Random(seed)
        rows = []

        async def post(phone: dict, body: dict) -> dict:
            began = time.time()
            try:
                response = await self.post(
                    f"{phone['base']}/api/v1/sessions/{session_id}/questions/",
                    headers={"X-Participant-Token": phone["token"]},
                    json=body,
                )
                status = response.status_code
                question_id = response.json().get("id") if status in (200, 201) else None
            except Exception as exc:
                status, question_id = _error_name(exc), None
            return {"status": status, "id": question_id, "took": time.time() - began}

        async def by_http(phone: dict, body: dict) -> tuple[dict, dict]:
            return await asyncio.gather(post(phone, body), post(phone, body))

        async def answer(client: Client, ref: str, future: asyncio.Future, began: float) -> dict:
            row = {"status": None, "id": None, "took": None}
            try:
                reply, arrived = await client.reply(ref, future, SOCKET_TIMEOUT)
            except Exception as exc:
                row["status"], row["took"] = _error_name(exc), time.time() - began
                return row
            row["took"] = arrived - began
            data = reply.get("data") or {}
            question = data.get("question")
            question_id = question.get("id") if isinstance(question, dict) else None
            if reply.get("type") != "asked":
                row["status"] = _reply_code(reply)
            elif not isinstance(question_id, int) or not isinstance(data.get("created"), bool):
                row["status"] = "asked.mismatched"
            else:
                row["status"] = "201" if data["created"] else "200"
                row["id"] = question_id
            return row

        async def by_socket(phone: dict, body: dict) -> tuple[dict, dict]:
            client: Client = phone["client"]
            if not phone.get("identified") and phone.get("identify") is None:
                # The server handles a socket's frames in order: the asks can follow at once.
                message = {"type": "identify", "token": phone["token"]}
                phone["identify"] = (time.time(), client.submit(message, IDENTIFY_REF))
            refs = [f"{body['client_id']}/1", f"{body['client_id']}/2"]
            began = time.time()
            futures = []
            try:
                for ref in refs:  # both leave before either is answered
                    futures.append(client.submit({"type": "ask", **body, "ref": ref}, ref))
            except BaseException:
                for ref, future in zip(refs, futures, strict=False):
                    client.pending.pop(ref, None)
                    _discard(future)
                raise
            return await asyncio.gather(
                *(answer(client, ref, f, began) for ref, f in zip(refs, futures, strict=True))
            )

        ask = by_socket if over == "socket" else by_http

        async def one(i: int, phone: dict, offset: float) -> None:
            await asyncio.sleep(max(0.0, start_at + offset - time.time()))
            body = {
                "text": f"Câu hỏi số {self.index}-{i}: khi nào xe buýt điện chạy tuyến sân bay?",
                "client_id": f"bench-{self.index}-{i}-{seed}",
            }
            if over == "socket":
                body.update(author_name="", anonymous=False)
            try:
                first, second = await ask(phone, body)
            except Exception as exc:
                failed = {"status": _error_name(exc), "id": None, "took": 0.0}
                first, second = failed, dict(failed)
            rows.append({"first": first, "second": second})

        phones = self.phones.get(group, [])[:count]
        jobs = [one(i, p, rng.uniform(0, window)) for i, p in enumerate(phones)]
        unfinished = await bounded(jobs, give_up_after)
        result = {"rows": rows, "unfinished": unfinished, "retries": self._take_retries()}
        if over == "socket":
            result["identify"] = _identify_results(phones)
            result["unmatched_replies"] = _take_unmatched(phones)
        return result


def _identify_results(phones: list[dict]) -> dict:
    """How the identify frames of this storm went: statuses, and seconds from sending one to
    its identified. A phone whose identify failed or went unanswered sends it again at its
    next vote (in a later storm)."""
    statuses: Counter = Counter()
    took = []
    for phone in phones:
        entry = phone.pop("identify", None)
        if entry is None:
            continue
        began, future = entry
        if not future.done():
            future.cancel()
            client = phone["client"]
            if client.pending.get(IDENTIFY_REF) is future:
                del client.pending[IDENTIFY_REF]
            statuses["unanswered"] += 1
        elif future.cancelled():
            statuses["cancelled"] += 1
        elif future.exception() is not None:
            statuses[_error_name(future.exception())] += 1
        else:
            reply, arrived = future.result()
            if reply.get("type") == "identified":
                phone["identified"] = True
                statuses["ok"] += 1
                took.append(arrived - began)
            else:
                statuses[_reply_code(reply)] += 1
    return {"statuses": dict(statuses), "took": took}


def _take_unmatched(phones: list[dict]) -> dict:
    """Replies over these phones' sockets that no command waited for (late, after
    SOCKET_TIMEOUT, or stray) since the last storm, by code or type."""
    unmatched: Counter = Counter()
    for phone in phones:
        unmatched.update(phone["client"].unmatched)
        phone["client"].unmatched.clear()
    return dict(unmatched)


async def bounded(jobs: list, seconds: float) -> int:
    """Run the jobs; cancel whatever is still running after `seconds`. Returns how many were
    cancelled."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    if not tasks:
        return 0
    _, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:
        task.cancel()  # not awaited: they unwind in the background while the worker answers
    return len(pending)


def worker_main(conn, index: int) -> None:
    from bench.stack import raise_fd_limit

    raise_fd_limit()
    asyncio.run(Worker(conn, index).run())


# ---------------------------------------------------------------------------------------------
# The harness's side
# ---------------------------------------------------------------------------------------------


class Fleet:
    """N worker processes; `call` sends one command to each and waits (bounded) for all."""

    def __init__(self, workers: int, target: Callable[[object, int], None] | None = None):
        """`target(conn, index)` runs in each worker process: worker_main unless given (a
        module-level function, for the spawn context)."""
        ctx = mp.get_context("spawn")
        self.conns = []
        self.procs = []
        for i in range(workers):
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=target or worker_main, args=(child, i), daemon=True, name=f"loadgen-{i}"
            )
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def split(self, count: int, first: int = 0) -> list[tuple[int, int]]:
        """(first global index, count) per worker, as even as it gets."""
        size, extra = divmod(count, len(self.conns))
        out, at = [], first
        for i in range(len(self.conns)):
            n = size + (1 if i < extra else 0)
            out.append((at, n))
            at += n
        return out

    def call(self, cmd: str, args: list[dict] | dict, timeout: float) -> list[dict]:
        if isinstance(args, dict):
            args = [args] * len(self.conns)
        for conn, a in zip(self.conns, args, strict=True):
            conn.send({"cmd": cmd, "args": a})
        deadline = time.monotonic() + timeout
        replies = []
        for conn in self.conns:
            if not conn.poll(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"loadgen {cmd} did not finish within {timeout}s")
            reply = conn.recv()
            if not reply["ok"]:
                raise RuntimeError(f"loadgen {cmd} failed:\n{reply['error']}")
            replies.append(reply["result"])
        return replies

    def connect(
        self,
        group: str,
        urls: list[str],
        count: int,
        *,
        first: int = 0,
        concurrency: int = 100,
        timeout: float = 120.0,
    ) -> dict:
        args = [
            {
                "group": group,
                "urls": urls,
                "count": n,
                "first": at,
                "concurrency": concurrency,
                "timeout": min(timeout, 60.0),
            }
            for at, n in self.split(count, first)
        ]
        replies = self.call("connect", args, timeout)
        errors: Counter = Counter()
        for r in replies:
            errors.update(r["errors"])
        return {
            "ok": sum(r["ok"] for r in replies),
            "failed": sum(r["failed"] for r in replies),
            "errors": dict(errors),
            "took": [t for r in replies for t in r["took"]],
        }

    def close_group(self, group: str, timeout: float = 30.0) -> None:
        self.call("close", {"group": group, "timeout": timeout}, timeout + 10)

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(Exception):
                conn.send({"cmd": "exit", "args": {}})
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)

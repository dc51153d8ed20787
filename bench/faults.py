"""The fault scenarios of issue 10 (`python -m bench --scenarios faults`): what a venue's bad
day does to the screens, and how long until every one of them shows the exact state again.

Each scenario runs on two fresh Daphne processes (a fault must not inherit the last one's
damage) with its own event: phones on the session stream, a few hall displays and
moderation consoles (bench/faultclient.py, following the protocol as livesocket.js does),
spread over both processes, while a moderator approves a question every `interval` seconds
through the API. Then the fault:

- redis_restart: SIGKILL the bench's redis-server, keep it down `down` seconds, start an
  empty one on the same port (history lost, a new epoch).
- redis_restart_new_streams: the same, and while Redis is down `late` more clients (phones
  and 2 displays of another event's session and hall, streams no process follows yet) open
  their sockets: the subscriber must not wedge (issue #10, item 1).
- pubsub_kill: `CLIENT KILL TYPE pubsub` on that Redis.
- daphne_kill: SIGKILL one Daphne process; its clients reconnect, and the refused
  connection goes to the other process (as a load balancer would send it).

The moderator keeps acting through the fault. "Back" is the moment the fault is over: the new
Redis answers PING, or the kill. After a Redis restart the moderator stops at back: what the
clients must recover to is then what was committed while Redis was down (no broadcast could
carry it), and no approval answered later sets the floor of the measure. After the instant
faults (pubsub_kill, daphne_kill) the moderator acts `after` seconds more, since only changes
made after the kill can be lost; their time to recovery cannot be shorter than the last
approval's answer, so the time from that answer is given too. The truth is then read from the
database. Time to recovery of a client = from back to the moment its state (the digest of
session and questions) last changed, if it now equals the truth; clients not equal to it
`bound` seconds after back are unrecovered. A fresh socket per stream and process then
checks that a new snapshot equals the database too.

- hostile_frames: the honest clients follow; `hostile` anonymous sockets on the phones'
  stream each send what no screen sends (3.8 KB of nested brackets, a vote command nested as
  deep, 200 KB, a binary frame, invalid UTF-8, floods of pings and of votes) and one ping;
  what each gets back is recorded. Then presence as the moderation consoles hold it must be
  the honest screens' exactly (one more honest phone connects after the attack, so only a
  report made after it can show it), the fan-out of `broadcasts` approvals and the Daphne CPU
  per broadcast are measured again and set beside the same measure before the attack, and
  every client must end with the database's state.
- http_vote_burst: `phones` phones (each size in turn) vote over HTTP at the same instant on
  two processes started with the product's default database settings (no DATABASE_POOL_SIZE);
  counted votes against the answers' statuses.

Every wait is bounded; each scenario returns a plain dict for the results JSON."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from bench.faultclient import truth_digests
from bench.loadgen import Fleet
from bench.scenarios import _merge_counts, _stable_counts, ms, summary_ms

SCENARIOS = (
    "redis_restart",
    "redis_restart_new_streams",
    "pubsub_kill",
    "daphne_kill",
    "http_vote_burst",
    "hostile_frames",
)
RECOVERY = ("redis_restart", "redis_restart_new_streams", "pubsub_kill", "daphne_kill")


@dataclass
class Config:
    clients: int = 2000
    displays: int = 8
    moderators: int = 4
    interval: float = 0.2  # seconds between the moderator's approvals
    before: float = 3.0  # acting before the fault
    down: float = 3.0  # Redis kept down (redis_restart)
    after: float = 2.0  # acting after an instant fault (pubsub_kill, daphne_kill)
    bound: float = 60.0  # a client not exact this long after "back" is unrecovered
    burst: tuple[int, ...] = (300, 2000)
    late: int = 200  # clients opening new streams while Redis is down
    daphne: int = 2
    concurrency: int = 50
    hostile: int = 1500  # hostile sockets (hostile_frames)
    flood: int = 150  # pings, or votes, per flooding socket
    broadcasts: int = 10  # approvals timed before the attack, and as many after it
    broadcast_interval: float = 0.5
    broadcast_settle: float = 3.0  # after the last approval, within the CPU window


class Moderator(threading.Thread):
    """Approves the next pending question every `interval` seconds through the API, on the
    processes in turn, whatever the earlier approvals are still waiting for (several
    moderators at their consoles: a slow answer does not slow the pace down); at most
    `in_flight` at once. A process that refuses the connection is skipped from then on (its
    clients are gone too). Records every action: when, where, the status or the exception,
    how long its answer took."""

    def __init__(
        self,
        bases: list[str],
        token: str,
        pending: list[int],
        interval: float,
        in_flight: int = 8,
    ):
        super().__init__(daemon=True, name="moderator")
        self.bases = list(bases)
        self.pending = list(pending)
        self.interval = interval
        self.headers = {"Authorization": f"Token {token}"}
        self.pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="moderator")
        self.local = threading.local()
        self.clients: list[httpx.Client] = []
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.actions: list[dict] = []

    def _client(self) -> httpx.Client:
        client = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = httpx.Client(timeout=10.0, headers=self.headers)
            with self.lock:
                self.clients.append(client)
        return client

    def _approve(self, question_id: int, base: str) -> None:
        began = time.time()
        action = {"q": question_id, "base": base, "at": began}
        try:
            response = self._client().post(f"{base}/api/v1/questions/{question_id}/approve/")
            action["status"] = response.status_code
        except httpx.ConnectError as exc:
            action["status"] = type(exc).__name__
            with self.lock:
                if base in self.bases and len(self.bases) > 1:
                    self.bases.remove(base)
        except httpx.HTTPError as exc:
            action["status"] = type(exc).__name__
        action["took"] = time.time() - began
        with self.lock:
            self.actions.append(action)

    def run(self) -> None:
        at = 0
        next_at = time.monotonic()
        while not self.halt.is_set() and self.pending:
            with self.lock:
                base = self.bases[at % len(self.bases)]
            at += 1
            self.pool.submit(self._approve, self.pending.pop(0), base)
            next_at += self.interval
            self.halt.wait(max(0.0, next_at - time.monotonic()))

    def stop(self) -> list[dict]:
        """No new approvals; wait (bounded by the clients' timeout) for the answers."""
        self.halt.set()
        self.join(timeout=10)
        self.pool.shutdown(wait=True)
        for client in self.clients:
            client.close()
        return sorted(self.actions, key=lambda a: a["at"])


def _specs(cfg: Config, urls: dict[str, list[str]], headers: dict[str, dict]) -> list[dict]:
    """Every client: displays and moderators first (so each worker gets a few), then phones;
    each with its home process by index, so both processes carry half of each kind."""
    kinds = ["display"] * cfg.displays + ["moderation"] * cfg.moderators
    kinds += ["phone"] * max(0, cfg.clients - len(kinds))
    return [
        {"kind": k, "urls": urls[k], "home": i, "headers": headers.get(k, {})}
        for i, k in enumerate(kinds)
    ]


def _deal(specs: list[dict], workers: int) -> list[list[dict]]:
    return [specs[i::workers] for i in range(workers)]


def _venue(procs, data: dict) -> tuple[list[int], list[str], dict, dict]:
    """Ports, HTTP bases, the WebSocket URLs per kind on every process, headers per kind."""
    ports = [p.port for p in procs]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    _warm(bases, data["session_id"])
    sid, hid = data["session_id"], data["hall_id"]
    urls = {
        "phone": [f"ws://127.0.0.1:{p}/ws/sessions/{sid}/" for p in ports],
        "display": [f"ws://127.0.0.1:{p}/ws/halls/{hid}/display/" for p in ports],
        "moderation": [f"ws://127.0.0.1:{p}/ws/sessions/{sid}/moderation/" for p in ports],
    }
    return ports, bases, urls, {"moderation": {"Authorization": f"Token {data['token']}"}}


def _connect(fleet: Fleet, group: str, specs: list[dict], cfg: Config) -> dict:
    """Every spec's follower, spread over the workers; until each has its first snapshot."""
    workers = len(fleet.conns)
    replies = fleet.call(
        "follow",
        [
            {
                "group": group,
                "specs": part,
                "seed": 10 + i,
                "concurrency": max(1, cfg.concurrency // workers),
                "timeout": 60.0,
            }
            for i, part in enumerate(_deal(specs, workers))
        ],
        240,
    )
    return {
        "ok": sum(r["ok"] for r in replies),
        "failed": sum(r["failed"] for r in replies),
        "snapshot_ms": summary_ms([t for r in replies for t in r["took"]]),
    }


def _converge(fleet: Fleet, group: str, digests: dict, until: float) -> tuple[int, int]:
    """Poll every follower's digest against the truth's until all equal it or `until`."""
    while True:
        status = fleet.call("follow_status", {"group": group, "truth": digests}, 60)
        exact = sum(s["exact"] for s in status)
        clients = sum(s["clients"] for s in status)
        if exact == clients or time.time() > until:
            return exact, clients
        time.sleep(0.5)


def _warm(bases: list[str], session_id: int) -> None:
    with httpx.Client(timeout=30.0) as client:
        for base in bases:
            for _ in range(3):
                client.get(f"{base}/api/v1/sessions/{session_id}/questions/")


def recovery(
    name: str,
    fault: Callable[[list, Callable[[], None]], tuple[float, float, dict]],
    *,
    stack,
    ctl,
    fleet: Fleet,
    cfg: Config,
    after: float,
    late: int = 0,
    log: Callable[[str], None],
) -> dict:
    """One recovery scenario: set up, connect, act, fault, act `after` seconds more, measure,
    tear down. `fault(procs, during)` does the damage, calls `during()` while it lasts and
    returns (t_fault, t_back, details); with `late`, `during` opens that many clients of
    another event (kinds late_phone, late_display), which must recover too."""
    pending = int((cfg.before + cfg.down + after + 5) / cfg.interval) + 20
    data = ctl.call(
        "setup", name=f"{name}-{int(time.time())}", moderation="pre", pending=pending, approved=20
    )
    procs = stack.start_daphne(cfg.daphne, name=f"fault-{name}")
    moderator = None
    group = name
    out: dict = {
        "clients": cfg.clients + late,
        "late": late,
        "displays": cfg.displays,
        "moderators": cfg.moderators,
        "acting_after_back_s": after,
    }
    try:
        ports, bases, urls, headers = _venue(procs, data)
        sid = data["session_id"]
        specs = _specs(cfg, urls, headers)
        other = None
        if late:
            other = ctl.call("setup", name=f"{name}-late-{int(time.time())}", approved=5)
            sid2, hid2 = other["session_id"], other["hall_id"]
            urls["late_phone"] = [f"ws://127.0.0.1:{p}/ws/sessions/{sid2}/" for p in ports]
            urls["late_display"] = [f"ws://127.0.0.1:{p}/ws/halls/{hid2}/display/" for p in ports]
            kinds = ["late_display"] * 2 + ["late_phone"] * max(0, late - 2)
            late_specs = [
                {"kind": k, "urls": urls[k], "home": i, "headers": {}} for i, k in enumerate(kinds)
            ]

        def during() -> None:
            """The late clients start; they keep trying (their first snapshot cannot come
            before Redis is back), so wait for none of them."""
            if not late:
                return
            parts = _deal(late_specs, len(fleet.conns))
            fleet.call(
                "follow",
                [
                    {
                        "group": group,
                        "specs": part,
                        "seed": 50 + i,
                        "concurrency": len(part) or 1,
                        "timeout": 0.2,
                    }
                    for i, part in enumerate(parts)
                ],
                60,
            )

        log(f"{name}: connecting {len(specs)} clients")
        out["connect"] = _connect(fleet, group, specs, cfg)
        moderator = Moderator(bases, data["token"], data["pending"], cfg.interval)
        moderator.start()
        time.sleep(cfg.before)
        fleet.call("follow_mark", {"group": group}, 30)
        t_fault, t_back, details = fault(procs, during)
        out["fault"] = details
        out["down_s"] = round(t_back - t_fault, 2)
        log(f"{name}: fault at +0, back at +{t_back - t_fault:.2f} s")
        time.sleep(max(0.0, t_back + after - time.time()))
        actions = moderator.stop()
        moderator = None
        t_last = max((a["at"] + a["took"] for a in actions), default=t_back)
        truth = ctl.call("truth", session_id=sid)
        digests = truth_digests(truth)
        states = _states(truth)
        if other is not None:
            truth2 = ctl.call("truth", session_id=other["session_id"])
            for kind in ("phone", "display"):
                digests[f"late_{kind}"] = truth_digests(truth2)[kind]
                states[f"late_{kind}"] = _states(truth2)[kind]
        # Converged, or the bound: every follower's digest against the database's.
        deadline = t_back + cfg.bound
        exact, clients = _converge(fleet, group, digests, deadline)
        converged_at = time.time()
        reports = fleet.call(
            "follow_report",
            {"group": group, "truth": digests, "states": states, "since": t_fault},
            120,
        )
        rows = [row for r in reports for row in r["rows"]]
        out.update(_summarise(rows, t_back, t_last, cfg.bound))
        out["all_exact_after_s"] = round(converged_at - t_back, 2) if exact == clients else None
        out["actions"] = _actions(actions, t_fault, t_back)
        out["last_action_after_back_s"] = round(t_last - t_back, 2)
        out["truth"] = {"questions": len(truth["questions"]), "public": len(truth["public"])}
        out["fresh_snapshots"] = _probe(fleet, urls, headers, digests, procs)
        r = out["recovery_ms"]
        log(
            f"{name}: recovered {r['count']}/{clients} (p50 {r['p50']} ms, p99 {r['p99']} ms, "
            f"max {r['max']} ms), unrecovered {out['unrecovered']}, fresh snapshots "
            f"{out['fresh_snapshots']['equal_to_db']}/{out['fresh_snapshots']['probes']} = DB"
        )
    finally:
        if moderator is not None:
            moderator.stop()
        try:
            fleet.call("follow_close", {"group": group, "timeout": 10.0}, 40)
        finally:
            stack.stop(procs)
    return out


def _states(truth: dict) -> dict[str, dict]:
    public = set(truth["public"])
    every = {
        str(q["id"]): [q["status"], q["version"], q["votes"], q["pinned"]]
        for q in truth["questions"]
    }
    shown = {k: v for k, v in every.items() if int(k) in public}
    return {"phone": shown, "display": shown, "moderation": every}


def _summarise(rows: list[dict], t_back: float, t_last: float, bound: float) -> dict:
    """Time to recovery runs from back; the moderator's last action (`after` seconds later)
    is its floor, so the time from that action's answer is given too."""
    recovered = [max(0.0, r["changed_at"] - t_back) for r in rows if r["exact"]]
    settled = [max(0.0, r["changed_at"] - t_last) for r in rows if r["exact"]]
    late = [r for r in rows if not r["exact"]]
    by_kind: dict[str, dict] = {}
    for kind in sorted({r["kind"] for r in rows}):
        mine = [r for r in rows if r["kind"] == kind]
        times = [max(0.0, r["changed_at"] - t_back) for r in mine if r["exact"]]
        by_kind[kind] = {
            "clients": len(mine),
            "recovery_ms": summary_ms(times),
            "unrecovered": sum(1 for r in mine if not r["exact"]),
        }
    stats: Counter = Counter()
    for r in rows:
        stats.update(r["stats"])
    reconnected = sum(1 for r in rows if r["stats"].get("opened"))
    return {
        "recovery_ms": summary_ms(recovered),
        "after_last_action_ms": summary_ms(settled),
        "recovery_s_sorted": sorted(round(t, 3) for t in recovered),
        "unrecovered": len(late),
        "unrecovered_within_s": bound,
        "unrecovered_connected": sum(1 for r in late if r["connected"]),
        "unrecovered_sample": [
            {k: r.get(k) for k in ("kind", "connected", "diff", "position", "stats", "close_codes")}
            for r in late[:3]
        ],
        "connected_at_end": sum(1 for r in rows if r["connected"]),
        "by_kind": by_kind,
        # From the fault on (counters were zeroed just before it).
        "clients_that_reconnected": reconnected,
        "counts": dict(stats),
        "close_codes": _merge_counts(r["close_codes"] for r in rows),
    }


def _actions(actions: list[dict], t_fault: float, t_back: float) -> dict:
    def phase(a: dict) -> str:
        if a["at"] < t_fault:
            return "before"
        return "during" if a["at"] < t_back else "after"

    out: dict = {
        "count": len(actions),
        # Each approval: seconds from back to its request, how long its answer took, status.
        "timeline": [
            [round(a["at"] - t_back, 2), round(a["took"], 3), a["status"]] for a in actions
        ],
    }
    for name in ("before", "during", "after"):
        mine = [a for a in actions if phase(a) == name]
        out[name] = {
            "statuses": _merge_counts([{str(a["status"]): 1} for a in mine]),
            "took_ms_max": ms(max((a["took"] for a in mine), default=None)),
        }
    return out


def _probe(fleet: Fleet, urls: dict, headers: dict, digests: dict, procs) -> dict:
    """A fresh socket per stream kind and live process: is its snapshot the database's?"""
    alive = {p.port for p in procs if p.popen.poll() is None}
    targets = [
        {"kind": kind, "url": url, "headers": headers.get(kind, {})}
        for kind, kind_urls in urls.items()
        for url in kind_urls
        if int(url.split(":")[2].split("/")[0]) in alive
    ]
    idle = [{"targets": [], "timeout": 1.0}] * (len(fleet.conns) - 1)
    probes = fleet.call("probe", [{"targets": targets, "timeout": 10.0}, *idle], 60)[0]["probes"]
    for p in probes:
        p["equal_to_db"] = p.get("digest") == digests[p["kind"]]
    return {
        "probes": len(probes),
        "equal_to_db": sum(1 for p in probes if p["equal_to_db"]),
        "failures": [
            {"kind": p["kind"], "url": p["url"], "error": p.get("error")}
            for p in probes
            if not p["equal_to_db"]
        ],
    }


# ---- the faults ------------------------------------------------------------------------------


def redis_restart(stack, cfg: Config, sig: int = signal.SIGKILL):
    def fault(procs, during) -> tuple[float, float, dict]:
        t_fault = stack.kill_redis(sig)
        during()
        time.sleep(max(0.0, t_fault + cfg.down - time.time()))
        t_back = stack.restart_redis()
        return t_fault, t_back, {"signal": signal.Signals(sig).name, "down_for_s": cfg.down}

    return fault


def pubsub_kill(stack):
    def fault(procs, during) -> tuple[float, float, dict]:
        import redis

        client = redis.Redis.from_url(stack.redis_url)
        try:
            t_fault = time.time()
            killed = client.client_kill_filter(_type="pubsub")
        finally:
            client.close()
        during()
        return t_fault, t_fault, {"killed_connections": killed}

    return fault


def daphne_kill():
    def fault(procs, during) -> tuple[float, float, dict]:
        victim = procs[0]
        t_fault = time.time()
        victim.popen.send_signal(signal.SIGKILL)
        victim.popen.wait(timeout=10)
        during()
        return t_fault, t_fault, {"killed_pid": victim.pid, "killed_port": victim.port}

    return fault


def http_vote_burst(*, stack, ctl, fleet: Fleet, cfg: Config, log) -> dict:
    """Phones vote over HTTP at one instant on processes with the default database settings
    (DATABASE_POOL_SIZE unset)."""
    procs = stack.start_daphne(cfg.daphne, name="fault-burst", DATABASE_POOL_SIZE=None)
    out: dict = {"database_pool_size": "product default (unset)", "bursts": []}
    try:
        bases = [f"http://127.0.0.1:{p.port}" for p in procs]
        for phones in cfg.burst:
            data = ctl.call(
                "setup", name=f"burst-{phones}-{int(time.time())}", moderation="pre", approved=1
            )
            _warm(bases, data["session_id"])
            tokens = ctl.call("participants", event_id=data["event_id"], count=phones)["tokens"]
            [question_id] = data["approved"]
            start_at = time.time() + 2.0
            log(f"http_vote_burst: {phones} phones vote at once")
            replies = fleet.call(
                "vote_burst",
                [
                    {
                        "tokens": tokens[i :: len(fleet.conns)],
                        "bases": bases,
                        "question_id": question_id,
                        "start_at": start_at,
                        "timeout": 60.0,
                    }
                    for i in range(len(fleet.conns))
                ],
                150,
            )
            rows = [row for r in replies for row in r["rows"]]
            counts = _stable_counts(ctl, data["session_id"], [question_id], 20.0)
            counted = counts["vote_count"].get(str(question_id), 0)
            statuses = _merge_counts([{str(r["status"]): 1} for r in rows])
            errors = [r for r in rows if r["status"] not in (200, 201)]
            burst = {
                "phones": phones,
                "counted": counted,
                "vote_rows": counts["vote_rows"].get(str(question_id), 0),
                "statuses": statuses,
                "answered_ok": sum(1 for r in rows if r["status"] in (200, 201)),
                "errors_as_json": sum(1 for r in errors if r["json"]),
                "errors_with_retry_after": sum(1 for r in errors if r["retry_after"]),
                "took_ms": summary_ms([r["took"] for r in rows]),
                "last_answer_after_s": round(max(r["took"] for r in rows), 2) if rows else None,
            }
            log(f"http_vote_burst {phones}: counted {counted}, statuses {statuses}")
            out["bursts"].append(burst)
    finally:
        stack.stop(procs)
    return out


def _presence(fleet: Fleet, group: str) -> list:
    return [p for r in fleet.call("follow_presence", {"group": group}, 30) for p in r["shown"]]


def _wait_presence(fleet: Fleet, group: str, want: Callable[[dict], bool], bound: float) -> dict:
    """Until every moderation console holds a presence `want` accepts, or `bound` seconds."""
    started = time.time()
    while True:
        shown = _presence(fleet, group)
        ok = bool(shown) and all(p is not None and want(p) for p in shown)
        if ok or time.time() - started > bound:
            distinct = sorted({tuple(sorted((p or {}).items())) for p in shown})
            return {
                "ok": ok,
                "after_s": round(time.time() - started, 2),
                "consoles": len(shown),
                "shown": [dict(d) for d in distinct],
            }
        time.sleep(0.25)


def _broadcast_cost(
    fleet: Fleet, group: str, client: httpx.Client, bases: list[str], ids: list[int], pids, cfg
) -> dict:
    """The Daphne CPU of a quiet window (the clients' pings only), then that of a window as
    long in which `ids` are approved one by one `broadcast_interval` apart; the fan-out of
    each: from just before its request to the last follower's first frame of it."""
    from bench.stack import cpu_seconds

    window = len(ids) * cfg.broadcast_interval + cfg.broadcast_settle
    c0 = cpu_seconds(pids)
    time.sleep(window)
    idle = cpu_seconds(pids) - c0
    c0, t0 = cpu_seconds(pids), time.monotonic()
    sent: dict[int, tuple[float, int | str]] = {}
    for i, qid in enumerate(ids):
        began = time.time()
        try:
            status = client.post(f"{bases[i % len(bases)]}/api/v1/questions/{qid}/approve/")
            sent[qid] = (began, status.status_code)
        except httpx.HTTPError as exc:
            sent[qid] = (began, type(exc).__name__)
        time.sleep(max(0.0, t0 + (i + 1) * cfg.broadcast_interval - time.monotonic()))
    time.sleep(max(0.0, t0 + window - time.monotonic()))
    busy = cpu_seconds(pids) - c0
    arrivals: dict[str, dict] = {}
    for reply in fleet.call("follow_arrivals", {"group": group, "ids": ids}, 60):
        for qid, a in reply.items():
            mine = arrivals.setdefault(qid, {"have": 0, "of": 0, "last": None})
            mine["have"] += a["have"]
            mine["of"] += a["of"]
            if a["last"] is not None:
                mine["last"] = max(mine["last"] or 0.0, a["last"])
    last = [
        arrivals[str(q)]["last"] - sent[q][0]
        for q in ids
        if arrivals[str(q)]["last"] is not None
        and arrivals[str(q)]["have"] == arrivals[str(q)]["of"]
    ]
    return {
        "broadcasts": len(ids),
        "statuses": _merge_counts([{str(s): 1} for _, s in sent.values()]),
        "reached_everyone": len(last),
        "last_client_ms": summary_ms(last),
        "window_s": round(window, 2),
        "daphne_cpu_idle_s": round(idle, 3),
        "daphne_cpu_busy_s": round(busy, 3),
        "daphne_cpu_ms_per_broadcast": round(1000 * busy / len(ids), 1),
        "daphne_cpu_ms_per_broadcast_net": round(1000 * (busy - idle) / len(ids), 1),
    }


def _log_hits(procs, pattern: str) -> int:
    import re

    hits = 0
    for p in procs:
        with contextlib.suppress(OSError):
            hits += len(re.findall(pattern, p.log.read_text(errors="replace")))
    return hits


def hostile_frames(*, stack, ctl, fleet: Fleet, cfg: Config, log) -> dict:
    """Honest clients follow; hostile sockets come and go; then presence, broadcast cost
    (beside the same before the attack) and every client's state against the database."""
    from bench.faultclient import HOSTILE_KINDS
    from bench.stack import cpu_seconds

    name = group = "hostile_frames"
    n = cfg.broadcasts
    data = ctl.call(
        "setup", name=f"hostile-{int(time.time())}", moderation="pre", pending=2 * n, approved=20
    )
    procs = stack.start_daphne(cfg.daphne, name="fault-hostile")
    pids = [p.pid for p in procs]
    out: dict = {
        "clients": cfg.clients,
        "displays": cfg.displays,
        "moderators": cfg.moderators,
        "hostile_sockets": cfg.hostile,
        "flood": cfg.flood,
    }
    approver = httpx.Client(timeout=10.0, headers={"Authorization": f"Token {data['token']}"})
    try:
        ports, bases, urls, headers = _venue(procs, data)
        sid = data["session_id"]
        specs = _specs(cfg, urls, headers)
        workers = len(fleet.conns)
        log(f"{name}: connecting {len(specs)} clients")
        out["connect"] = _connect(fleet, group, specs, cfg)
        honest = Counter(s["kind"] for s in specs)
        expected = {
            "phones": honest["phone"],
            "displays": honest["display"],
            "moderators": honest["moderation"],
        }
        out["honest"] = expected
        out["presence_before"] = _wait_presence(
            fleet, group, lambda p: p.get("phones") == expected["phones"], 30.0
        )
        before_shown = out["presence_before"]["shown"]
        log(f"{name}: presence before {before_shown} (honest {expected})")
        pending = list(data["pending"])
        out["before"] = _broadcast_cost(fleet, group, approver, bases, pending[:n], pids, cfg)
        b = out["before"]
        log(
            f"{name}: before the attack, fan-out p50/p99 {b['last_client_ms']['p50']}/"
            f"{b['last_client_ms']['p99']} ms, {b['daphne_cpu_ms_per_broadcast']} ms CPU "
            "per broadcast"
        )

        # The attack: every kind in turn, on both processes.
        question = data["approved"][0]
        targets = [
            {"kind": HOSTILE_KINDS[i % len(HOSTILE_KINDS)], "url": urls["phone"][i % len(ports)]}
            for i in range(cfg.hostile)
        ]
        log(f"{name}: {cfg.hostile} hostile sockets")
        c0, t_attack = cpu_seconds(pids), time.time()
        replies = fleet.call(
            "hostile",
            [
                {
                    "targets": part,
                    "question": question,
                    "flood": cfg.flood,
                    "concurrency": max(1, cfg.concurrency // workers),
                    "timeout": 20.0,
                }
                for part in _deal(targets, workers)
            ],
            600,
        )
        gone = time.time()
        rows = [row for r in replies for row in r["rows"]]
        out["attack"] = _hostile_summary(rows)
        out["attack"]["took_s"] = round(gone - t_attack, 2)
        out["attack"]["daphne_cpu_s"] = round(cpu_seconds(pids) - c0, 2)
        out["attack"]["daphne_alive"] = sum(1 for p in procs if p.popen.poll() is None)
        out["attack"]["server_tracebacks"] = _log_hits(procs, "Traceback")
        out["attack"]["server_recursion_errors"] = _log_hits(procs, "RecursionError")
        log(
            f"{name}: attack over in {out['attack']['took_s']} s, acceptable "
            f"{out['attack']['acceptable']}/{len(rows)}; closes by kind "
            + "; ".join(f"{k} {v['closes']}" for k, v in out["attack"]["by_kind"].items())
        )

        # One more honest phone: presence must then count exactly the honest ones, which only
        # a report made after the hostile sockets left (leaks included) can show.
        witness = {"kind": "phone", "urls": urls["phone"], "home": 1, "headers": {}}
        fleet.call(
            "follow",
            [
                {
                    "group": group,
                    "specs": [witness] if i == 0 else [],
                    "seed": 99,
                    "concurrency": 1,
                    "timeout": 30.0,
                }
                for i in range(workers)
            ],
            60,
        )
        want = {**expected, "phones": expected["phones"] + 1}
        out["presence_after"] = _wait_presence(fleet, group, lambda p: p == want, cfg.bound)
        out["presence_after"]["expected"] = want
        out["presence_after"]["after_attack_s"] = round(time.time() - gone, 2)
        log(f"{name}: presence after {out['presence_after']['shown']} (honest {want})")
        out["after"] = _broadcast_cost(fleet, group, approver, bases, pending[n : 2 * n], pids, cfg)
        a = out["after"]
        log(
            f"{name}: after the attack, fan-out p50/p99 {a['last_client_ms']['p50']}/"
            f"{a['last_client_ms']['p99']} ms, {a['daphne_cpu_ms_per_broadcast']} ms CPU "
            "per broadcast"
        )

        # Every client against the database.
        truth = ctl.call("truth", session_id=sid)
        digests = truth_digests(truth)
        deadline = time.time() + cfg.bound
        exact, clients = _converge(fleet, group, digests, deadline)
        reports = fleet.call(
            "follow_report",
            {"group": group, "truth": digests, "states": _states(truth), "since": gone},
            120,
        )
        rows = [row for r in reports for row in r["rows"]]
        summary = _summarise(rows, gone, gone, cfg.bound)
        out["final"] = {
            "clients": clients,
            "exact": exact,
            "connected_at_end": summary["connected_at_end"],
            "by_kind": {k: v["clients"] for k, v in summary["by_kind"].items()},
            "unrecovered_sample": summary["unrecovered_sample"],
            "close_codes": summary["close_codes"],
            "clients_that_reconnected": sum(1 for r in rows if r["stats"].get("opened", 0) > 1),
        }
        out["truth"] = {"questions": len(truth["questions"]), "public": len(truth["public"])}
        out["fresh_snapshots"] = _probe(fleet, urls, headers, digests, procs)
        log(
            f"{name}: {exact}/{clients} clients exact, fresh snapshots "
            f"{out['fresh_snapshots']['equal_to_db']}/{out['fresh_snapshots']['probes']} = DB"
        )
    finally:
        approver.close()
        try:
            fleet.call("follow_close", {"group": group, "timeout": 10.0}, 40)
        finally:
            stack.stop(procs)
    return out


def _hostile_summary(rows: list[dict]) -> dict:
    """Per kind: how many, how many answered acceptably, the closes and the error codes."""
    by_kind: dict[str, dict] = {}
    for kind in sorted({r["kind"] for r in rows}):
        mine = [r for r in rows if r["kind"] == kind]
        by_kind[kind] = {
            "sockets": len(mine),
            "acceptable": sum(1 for r in mine if r["acceptable"]),
            "closes": _merge_counts([{str(r["close"]): 1} for r in mine]),
            "errors": _merge_counts(r["errors"] for r in mine),
            "pongs": sum(r["pongs"] for r in mine),
            "answers": sum(r["answers"] for r in mine),
            "took_ms": summary_ms([r["took"] for r in mine]),
        }
    return {
        "sockets": len(rows),
        "acceptable": sum(1 for r in rows if r["acceptable"]),
        "by_kind": by_kind,
        "unacceptable_sample": [r for r in rows if not r["acceptable"]][:5],
    }


def run(args, *, stack, ctl, deadline: float, log, cfg: Config) -> dict:
    """Every fault scenario in turn, each skipped once the time budget is spent."""
    from bench.faultclient import worker_main

    wanted = [s for s in SCENARIOS if s in args.fault_scenarios.split(",")]
    fleet = Fleet(args.workers, target=worker_main)
    out: dict = {"config": cfg.__dict__ | {"burst": list(cfg.burst)}}
    try:
        for name in wanted:
            if time.monotonic() > deadline:
                out[name] = {"skipped": "time budget spent"}
                log(f"{name}: skipped, time budget spent")
                continue
            if name != "daphne_kill" and name in RECOVERY and stack.redis_pid is None:
                # A Redis given with --redis-url may be someone else's: never stop it or kill
                # its connections.
                out[name] = {"skipped": "needs the bench's own redis-server (no --redis-url)"}
                log(f"{name}: skipped, {out[name]['skipped']}")
                continue
            try:
                if name == "http_vote_burst":
                    out[name] = http_vote_burst(stack=stack, ctl=ctl, fleet=fleet, cfg=cfg, log=log)
                    continue
                if name == "hostile_frames":
                    out[name] = hostile_frames(stack=stack, ctl=ctl, fleet=fleet, cfg=cfg, log=log)
                    continue
                fault = {
                    "redis_restart": lambda: redis_restart(stack, cfg),
                    "redis_restart_new_streams": lambda: redis_restart(stack, cfg),
                    "pubsub_kill": lambda: pubsub_kill(stack),
                    "daphne_kill": daphne_kill,
                }[name]()
                restart = name.startswith("redis_restart")
                out[name] = recovery(
                    name,
                    fault,
                    stack=stack,
                    ctl=ctl,
                    fleet=fleet,
                    cfg=cfg,
                    after=0.0 if restart else cfg.after,
                    late=cfg.late if name == "redis_restart_new_streams" else 0,
                    log=log,
                )
            except Exception as exc:
                out[name] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                log(f"{name} failed: {out[name]['error']}")
                if stack.redis_pid is not None and not _redis_up(stack):
                    stack.restart_redis()  # the next scenario needs a Redis
    finally:
        fleet.close()
    return out


def _redis_up(stack) -> bool:
    from bench.stack import redis_answers

    return redis_answers(stack.redis_url)

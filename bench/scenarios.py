"""The scenarios of issue 6, driven from the harness process: fan-out and scale (ours against
the plain `websockets` baseline, with memory per client), the channel-layer comparison, and the
join, vote and question storms. Each returns a plain dict that goes into the results JSON.

Latency is measured from the trigger (taken just before the HTTP request or control message)
to the moment a client's loop got the bytes; "last" means the slowest of the N clients for
one broadcast. Every loop is bounded in count and time."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from bench.loadgen import Fleet

# ---- small statistics ------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def summary_ms(values: list[float]) -> dict:
    return {
        "p50": ms(percentile(values, 50)),
        "p99": ms(percentile(values, 99)),
        "max": ms(max(values)) if values else None,
        "count": len(values),
    }


def rss(pid: int) -> int:
    import psutil

    return psutil.Process(pid).memory_info().rss


# ---- triggers: fire one broadcast, return the time taken just before -------------------------


class ApiApprove:
    """The moderator's real request: POST /api/v1/questions/<id>/approve/ with a DRF token."""

    via = "api"

    def __init__(self, ports: list[int], token: str):
        self.bases = [f"http://127.0.0.1:{p}" for p in ports]
        self.client = httpx.Client(timeout=10.0, headers={"Authorization": f"Token {token}"})
        self.count = 0

    def __call__(self, question_id: int) -> float:
        base = self.bases[self.count % len(self.bases)]
        self.count += 1
        started = time.time()
        response = self.client.post(f"{base}/api/v1/questions/{question_id}/approve/", json={})
        if response.status_code != 200:
            raise RuntimeError(
                f"approve {question_id} answered {response.status_code}: {response.text[:200]}"
            )
        return started

    def close(self) -> None:
        self.client.close()


class ServiceApprove:
    """Until the HTTP API exists: the same service call, made in the bench.ctl process."""

    via = "service"

    def __init__(self, ctl, username: str):
        self.ctl = ctl
        self.username = username

    def __call__(self, question_id: int) -> float:
        return self.ctl.call("approve", question_id=question_id, user=self.username)["t0"]

    def close(self) -> None:
        pass


class BaselineTrigger:
    via = "control socket"

    def __init__(self, port: int):
        from websockets.sync.client import connect

        self.ws = connect(f"ws://127.0.0.1:{port}/control", compression=None)

    def __call__(self, question_id: int) -> float:
        started = time.time()
        self.ws.send(str(question_id))
        self.ws.recv(timeout=10)
        return started

    def close(self) -> None:
        self.ws.close()


class TextbookTrigger:
    via = "group_send"

    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}/broadcast"
        self.client = httpx.Client(timeout=30.0)

    def __call__(self, question_id: int) -> float:
        started = time.time()
        response = self.client.post(f"{self.url}/{question_id}/")
        if response.status_code != 200:
            raise RuntimeError(f"textbook trigger answered {response.status_code}")
        return started

    def close(self) -> None:
        self.client.close()


@dataclass
class Target:
    """One system under test for fan-out."""

    name: str
    group: str  # the loadgen group its clients live in
    ws_urls: list[str]
    trigger: Callable[[int], float]
    pids: list[int]
    connected: int = 0
    rss_idle: dict[int, int] = field(default_factory=dict)


# ---- fan-out ---------------------------------------------------------------------------------


def connect_up_to(
    fleet: Fleet, target: Target, n: int, *, concurrency: int, timeout: float
) -> dict:
    """Grow the target's clients to n; the memory the new sockets took, per process."""
    if not target.rss_idle:
        target.rss_idle = {pid: rss(pid) for pid in target.pids}
    started = time.time()
    failed, errors, took = 0, {}, []
    for _ in range(3):  # a refused or timed-out handshake is counted, then retried (bounded)
        want = n - target.connected
        if want <= 0:
            break
        result = fleet.connect(
            target.group,
            target.ws_urls,
            want,
            first=target.connected,
            concurrency=concurrency,
            timeout=timeout,
        )
        target.connected += result["ok"]
        failed += result["failed"]
        errors = _merge_counts([errors, result["errors"]])
        took += result["took"]
    time.sleep(1.0)  # let the servers finish writing the snapshots before reading RSS
    per_process = max(1, target.connected // len(target.pids))
    memory = {
        str(pid): round((rss(pid) - target.rss_idle[pid]) / per_process / 1024, 1)
        for pid in target.pids
    }
    return {
        "connected": target.connected,
        "failed": failed,
        "errors": errors,
        "connect_seconds": round(time.time() - started, 1),
        "snapshot_ms": summary_ms(took),
        "kb_per_client": memory,
        "rss_mb": {str(pid): round(rss(pid) / 2**20, 1) for pid in target.pids},
    }


def broadcast_round(
    fleet: Fleet, target: Target, question_ids: list[int], *, interval: float, settle: float
) -> dict:
    """Fire one broadcast per question id, one every `interval` seconds, then wait (bounded)
    until every client has every one."""
    sent: dict[int, float] = {}
    errors: list[str] = []
    begin = time.time() + 0.2
    for i, question_id in enumerate(question_ids):
        wait = begin + i * interval - time.time()
        if wait > 0:
            time.sleep(wait)
        try:
            sent[question_id] = target.trigger(question_id)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
    fired = list(sent)
    expected = target.connected * len(fired)
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        progress = fleet.call("progress", {"group": target.group, "question_ids": fired}, 60)
        if sum(p["received"] for p in progress) >= expected:
            break
        time.sleep(0.2)
    reports = fleet.call("report", {"group": target.group, "question_ids": fired}, 180)
    return summarise_round(target, sent, reports, errors)


def summarise_round(
    target: Target, sent: dict[int, float], reports: list[dict], errors: list[str]
) -> dict:
    clients = sum(r["clients"] for r in reports)
    last: list[float] = []
    first: list[float] = []
    every: list[float] = []
    received = 0
    for question_id, t0 in sent.items():
        times = [t for r in reports for t in r["times"][str(question_id)]]
        received += len(times)
        if times:
            last.append(max(times) - t0)
            first.append(min(times) - t0)
            every.extend(t - t0 for t in times)
    return {
        "clients": clients,
        "broadcasts": len(sent),
        "trigger_errors": errors,
        "last_client_ms": summary_ms(last),
        "first_client_ms": summary_ms(first),
        "every_client_ms": summary_ms(every),
        "last_client_samples_ms": [ms(v) for v in last],
        "lost": clients * len(sent) - received,
        "seq_gaps": sum(r["gaps"] for r in reports),
        "seq_dups": sum(r["dups"] for r in reports),
        "epoch_changes": sum(r["epoch_changes"] for r in reports),
        "clients_with_gaps": sum(r["clients_with_gaps"] for r in reports),
        "closed_by_server": sum(r["closed"] for r in reports),
        "close_codes": _merge_counts(r["close_codes"] for r in reports),
    }


def _merge_counts(dicts) -> dict:
    out: dict[str, int] = {}
    for d in dicts:
        for k, v in d.items():
            out[str(k)] = out.get(str(k), 0) + v
    return out


def scale_series(
    fleet: Fleet,
    ours: Target,
    baseline: Target,
    *,
    ns: list[int],
    profile_n: int | None = None,
    profile_dir=None,
    pending: list[int],
    broadcasts: int,
    interval: float,
    settle: float,
    concurrency: int,
    deadline: float,
    log: Callable[[str], None],
) -> list[dict]:
    """Fan-out at each N, ours then the baseline, the clients of both kept and grown between
    points. Stops growing ours once its p99 passes 5 s or the time budget runs out."""
    points = []
    base_ids = 1_000_000
    for n in ns:
        if time.monotonic() > deadline:
            log(f"scale: time budget spent before N={n}")
            break
        point: dict = {"n": n}
        if len(pending) < broadcasts:
            log("scale: out of pending questions")
            break
        ids, pending[:] = pending[:broadcasts], pending[broadcasts:]
        log(f"N={n}: connecting ours ({ours.connected} -> {n})")
        point["ours_connect"] = connect_up_to(fleet, ours, n, concurrency=concurrency, timeout=180)
        log(f"N={n}: {broadcasts} approvals through {ours.trigger.via}")
        sampler = None
        if n == profile_n and profile_dir is not None:
            from bench.profile import Sampler

            sampler = Sampler(ours.pids, broadcasts * interval + 1.0, profile_dir)
        point["ours"] = broadcast_round(fleet, ours, ids, interval=interval, settle=settle)
        if sampler is not None:
            point["profile"] = sampler.summary()
        log(f"N={n}: connecting the baseline ({baseline.connected} -> {n})")
        point["baseline_connect"] = connect_up_to(
            fleet, baseline, n, concurrency=concurrency, timeout=180
        )
        base = list(range(base_ids, base_ids + broadcasts))
        base_ids += broadcasts
        point["baseline"] = broadcast_round(fleet, baseline, base, interval=interval, settle=settle)
        o, b = point["ours"]["last_client_ms"]["p99"], point["baseline"]["last_client_ms"]["p99"]
        point["ratio_p99"] = round(o / b, 2) if o and b else None
        log(f"N={n}: ours p99 {o} ms, baseline p99 {b} ms, lost {point['ours']['lost']}")
        points.append(point)
        if o is None or o > 5000:
            break
    return points


def layer_comparison(
    stack,
    fleet: Fleet,
    *,
    layers: list[str],
    n: int,
    broadcasts: int,
    interval: float,
    settle: float,
    concurrency: int,
    deadline: float,
    daphne: int,
    log: Callable[[str], None],
) -> dict:
    """The textbook consumer (bench/textbook.py) under each channel layer, N clients."""
    out = {}
    for layer in layers:
        if time.monotonic() > deadline:
            out[layer] = {"skipped": "time budget spent"}
            continue
        count = 1 if layer == "memory" else daphne
        procs = stack.start_daphne(
            count,
            app="bench.textbook_asgi:application",
            name=f"textbook-{layer}",
            DJANGO_SETTINGS_MODULE="bench.textbook_settings",
            BENCH_LAYER=layer,
        )
        trigger = TextbookTrigger(procs[0].port)
        target = Target(
            f"textbook-{layer}",
            f"textbook-{layer}",
            [f"ws://127.0.0.1:{p.port}/ws/" for p in procs],
            trigger,
            [p.pid for p in procs],
        )
        try:
            log(f"layer {layer}: {count} Daphne, connecting {n}")
            result = {
                "daphne": count,
                "connect": connect_up_to(fleet, target, n, concurrency=concurrency, timeout=180),
            }
            ids = list(range(2_000_000, 2_000_000 + broadcasts))
            result.update(broadcast_round(fleet, target, ids, interval=interval, settle=settle))
            log(f"layer {layer}: p99 {result['last_client_ms']['p99']} ms, lost {result['lost']}")
            out[layer] = result
        except Exception as exc:
            out[layer] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
            log(f"layer {layer}: {out[layer]['error']}")
        finally:
            trigger.close()
            fleet.close_group(target.group)
            stack.stop(procs)
    return out


# ---- storms ----------------------------------------------------------------------------------


GIVE_UP_AFTER = 60.0  # seconds past a storm's window after which its requests are cancelled
VOTE_ACCEPTED = (200, 201, "ok")  # a vote counted: the HTTP statuses, or vote.done on a socket
# A question answered: the HTTP statuses, or asked on a socket (created true -> "201", false
# -> "200").
ASK_ANSWERED = (200, 201, "200", "201")


def join_storm(
    fleet: Fleet,
    *,
    http: list[str],
    ws: list[str],
    slug: str,
    phones: int,
    window: float,
    over: str = "socket",
    page: str | None = None,
    seed: int = 6,
) -> dict:
    """`phones` phones arrive at random moments over `window` seconds. Over the socket, as the
    phone page does: open the socket, send join the moment it is open, receive the snapshot
    and (committed in rounds, so in either order) joined with the participant's token. With
    `over="http"`: POST join, then the socket and its snapshot. With `page` (the phone page's
    path and query), each phone first GETs the page, as a phone that scanned the QR code
    does. Times to the page, the snapshot and the token run from the phone's start (the GET;
    without the page, the connect or the POST); a phone fails if any of them fails."""
    rng = random.Random(seed)
    offsets = [rng.uniform(0, window) for _ in range(phones)]
    start_at = time.time() + 1.0
    give_up = window + GIVE_UP_AFTER
    args = [
        {
            "group": "phones",
            "http": http,
            "ws": ws,
            "slug": slug,
            "first": at,
            "offsets": offsets[at : at + count],
            "start_at": start_at,
            "timeout": 30.0,
            "give_up_after": give_up,
            "over": over,
            "page": page,
        }
        for at, count in fleet.split(phones)
    ]
    replies = fleet.call("join", args, give_up + 60)
    rows = [row for reply in replies for row in reply["rows"]]
    done = [r for r in rows if r["error"] is None]
    errors = _merge_counts([{r["error"]: 1} for r in rows if r["error"]])
    unfinished = sum(r["unfinished"] for r in replies)
    to_token = summary_ms([r["joined"] - r["began"] for r in done])
    result = {
        "phones": phones,
        "join_over": over,
        "join_with_page": page is not None,
        "window_s": window,
        "joined": len(done),
        "failures": len(rows) - len(done) + unfinished,
        "unfinished": unfinished,
        "retried_after_a_broken_connection": sum(r["retries"] for r in replies),
        # Per phone: "ok" (snapshot and token), or what failed.
        "statuses": _merge_counts([{r["error"] or "ok": 1} for r in rows]),
        "errors": errors,
        "to_snapshot_ms": summary_ms([r["snapshot"] - r["began"] for r in done]),
        "to_token_ms": to_token,
        # Every phone that got its page (200), joined or not afterwards; None without the page.
        "to_page_ms": summary_ms([r["paged"] - r["began"] for r in rows if r["paged"]])
        if page is not None
        else None,
        "all_done_after_s": round(max(max(r["snapshot"], r["joined"]) for r in done) - start_at, 2)
        if done
        else None,
    }
    if over == "http":
        result["join_http_ms"] = to_token  # the key of results written before join frames
    return result


def _stable_counts(ctl, session_id: int, question_ids: list[int], seconds: float) -> dict:
    """The database's tallies once they stop moving (requests given up on by a client may
    still be finishing on the server), bounded in time."""
    deadline = time.monotonic() + seconds
    last = ctl.call("counts", session_id=session_id, question_ids=question_ids)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = ctl.call("counts", session_id=session_id, question_ids=question_ids)
        if now == last:
            return now
        last = now
    return last


def vote_storm(
    fleet: Fleet,
    ctl,
    *,
    session_id: int,
    question_ids: list[int],
    phones: int,
    window: float,
    settle: float,
    over: str = "socket",
    seed: int = 7,
) -> dict:
    """Every joined phone votes once on each question within `window` seconds, over its
    open socket (identify, then vote frames answered by vote.done) or, `over="http"`, with a
    POST each. Exactness: the denormalised tally equals the vote rows, every accepted vote is
    in it, and every phone ends holding the database's tallies from its votes.updated frames."""
    start_at = time.time() + 1.0
    give_up = window + GIVE_UP_AFTER
    args = [
        {
            "group": "phones",
            "question_ids": question_ids,
            "window": window,
            "start_at": start_at,
            "seed": seed + i,
            "give_up_after": give_up,
            "over": over,
        }
        for i in range(len(fleet.conns))
    ]
    replies = fleet.call("vote", args, give_up + 60)
    rows = [row for reply in replies for row in reply["rows"]]
    unfinished = sum(r["unfinished"] for r in replies)
    ok = [r for r in rows if r["status"] in VOTE_ACCEPTED]
    sent_window = [r["began"] - start_at for r in rows]
    counts = _stable_counts(ctl, session_id, question_ids, 30.0)
    expected = counts["vote_count"]
    # Tallies go out coalesced (at most one votes.updated per 500 ms): wait, bounded, until
    # every phone holds the database's numbers.
    deadline = time.monotonic() + settle
    while True:
        reports = fleet.call(
            "report", {"group": "phones", "question_ids": [], "expected_votes": expected}, 120
        )
        exact = sum(r["votes_exact"] for r in reports)
        clients = sum(r["clients"] for r in reports)
        if exact == clients or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    accepted: dict[str, int] = {}
    for r in ok:
        accepted[str(r["q"])] = accepted.get(str(r["q"]), 0) + 1
    staleness, unresolved = _staleness(ok, reports, clients)
    finished = [r["done"] - start_at for r in ok]
    identify = [r["identify"] for r in replies if "identify" in r]
    return {
        "phones": phones,
        "vote_over": over,
        "votes_sent": len(rows) + unfinished,
        "votes_ok": len(ok),
        "unfinished": unfinished,
        "retried_after_a_broken_connection": sum(r["retries"] for r in replies),
        "statuses": _merge_counts([{str(r["status"]): 1} for r in rows]),
        "last_sent_after_s": round(max(sent_window), 2) if sent_window else None,
        "last_accepted_after_s": round(max(finished), 2) if finished else None,
        "vote_ack_ms": summary_ms([r["done"] - r["began"] for r in ok]),
        "identify_statuses": _merge_counts(i["statuses"] for i in identify) if identify else None,
        "identify_ms": summary_ms([t for i in identify for t in i["took"]]) if identify else None,
        # Replies over the socket that no vote waited for: late (after SOCKET_TIMEOUT) or stray.
        "unmatched_replies": _merge_counts(r.get("unmatched_replies", {}) for r in replies),
        "accepted_per_question": accepted,
        "db_vote_count": counts["vote_count"],
        "db_vote_rows": counts["vote_rows"],
        "expected_per_question": phones,
        "db_counter_matches_rows": counts["vote_count"] == counts["vote_rows"],
        "db_has_every_accepted_vote": all(
            counts["vote_count"].get(q, 0) >= n for q, n in accepted.items()
        ),
        "db_exact": all(v == phones for v in counts["vote_count"].values())
        and all(v == phones for v in counts["vote_rows"].values()),
        "clients": clients,
        "clients_exact": exact,
        "clients_wrong_sample": [s for r in reports for s in r["votes_wrong_sample"]][:3],
        "votes_updated_frames": len({s for r in reports for s in r["vote_frames"]}),
        "staleness_ms": summary_ms(staleness),
        "staleness_unresolved": unresolved,
        "seq_gaps": sum(r["gaps"] for r in reports),
        "closed_by_server": sum(r["closed"] for r in reports),
    }


def _staleness(votes: list[dict], reports: list[dict], clients: int) -> tuple[list[float], int]:
    """For each vote: from its acknowledgement (vote.done or the HTTP response; the tally it
    carried is committed) to the moment the LAST client held a votes.updated showing at least
    that tally."""
    frames: dict[int, dict] = {}
    for report in reports:
        for seq, entry in report["vote_frames"].items():
            merged = frames.setdefault(
                int(seq), {"clients": 0, "last": 0.0, "votes": entry["votes"]}
            )
            merged["clients"] += entry["clients"]
            merged["last"] = max(merged["last"], entry["last"])
    ordered = [frames[s] for s in sorted(frames)]
    out, unresolved = [], 0
    for vote in votes:
        key = str(vote["q"])
        hit = next((f for f in ordered if f["votes"].get(key, -1) >= vote["votes"]), None)
        if hit is None:
            unresolved += 1
            continue
        out.append(max(0.0, hit["last"] - vote["done"]))
    return out, unresolved


def poll_storm(
    fleet: Fleet,
    ctl,
    *,
    session_id: int,
    poll_id: int,
    option_ids: list[int],
    phones: int,
    displays: int,
    window: float,
    settle: float,
    seed: int = 16,
) -> dict:
    """Every joined phone sends one ballot within `window` seconds over its open socket
    (ballot, answered by ballot.done). Exactness: one ballot row per phone, every accepted
    ballot stored once, and every phone and display ends holding the database's tallies from
    its poll.results frames (coalesced: at most one per poll every 500 ms).

    Staleness of a ballot: from its acknowledgement to the moment the last client held a
    poll.results frame that first arrived after that acknowledgement and counts at least as
    many voters as had been acknowledged by then (every ballot acknowledged was committed)."""
    start_at = time.time() + 1.0
    give_up = window + GIVE_UP_AFTER
    args = [
        {
            "group": "phones",
            "poll_id": poll_id,
            "option_ids": option_ids,
            "window": window,
            "start_at": start_at,
            "seed": seed + i,
            "give_up_after": give_up,
        }
        for i in range(len(fleet.conns))
    ]
    replies = fleet.call("ballot", args, give_up + 60)
    rows = [row for reply in replies for row in reply["rows"]]
    unfinished = sum(r["unfinished"] for r in replies)
    ok = [r for r in rows if r["status"] == "ok"]
    deadline = time.monotonic() + 30.0
    counts = ctl.call("poll_counts", poll_id=poll_id)
    while time.monotonic() < deadline:  # requests given up on may still be finishing
        time.sleep(1.0)
        now = ctl.call("poll_counts", poll_id=poll_id)
        if now == counts:
            break
        counts = now
    expected = {"voters": counts["ballots"], "votes": counts["votes"]}
    deadline = time.monotonic() + settle
    while True:
        phone_reports = fleet.call(
            "poll_report", {"group": "phones", "poll_id": poll_id, "expected": expected}, 120
        )
        display_reports = fleet.call(
            "poll_report", {"group": "displays", "poll_id": poll_id, "expected": expected}, 120
        )
        reports = phone_reports + display_reports
        exact = sum(r["exact"] for r in reports)
        clients = sum(r["clients"] for r in reports)
        if exact == clients or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    accepted: dict[str, int] = {}
    for r in ok:
        accepted[str(r["option"])] = accepted.get(str(r["option"]), 0) + 1
    acks = sorted(r["done"] for r in ok)
    # Per stream (the phones' session stream, the display stream: each its own seq), then the
    # latest of the two for each ballot.
    per_stream = [_poll_staleness(acks, phone_reports), _poll_staleness(acks, display_reports)]
    staleness = [
        max(s[i] for s in per_stream if s[i] is not None)
        for i in range(len(acks))
        if all(s[i] is not None for s in per_stream)
    ]
    unresolved = len(acks) - len(staleness)
    sent = [r["began"] - start_at for r in rows]
    finished = [r["done"] - start_at for r in ok]
    identify = [r["identify"] for r in replies]
    return {
        "phones": phones,
        "displays": displays,
        "ballots_sent": len(rows) + unfinished,
        "ballots_ok": len(ok),
        "unfinished": unfinished,
        "statuses": _merge_counts([{str(r["status"]): 1} for r in rows]),
        "identify_statuses": _merge_counts(i["statuses"] for i in identify),
        "unmatched_replies": _merge_counts(r["unmatched_replies"] for r in replies),
        "last_sent_after_s": round(max(sent), 2) if sent else None,
        "last_accepted_after_s": round(max(finished), 2) if finished else None,
        "ballot_ack_ms": summary_ms([r["done"] - r["began"] for r in ok]),
        "accepted_per_option": accepted,
        "db_ballots": counts["ballots"],
        "db_votes": counts["votes"],
        "db_most_ballots_of_one_phone": counts["most_ballots_of_one_phone"],
        # Every phone's ballot stored once: as many rows as accepted ballots, one choice each,
        # and the accepted ballots per option are the stored ones.
        "db_exact": counts["ballots"] == len(ok) == counts["choices"]
        and counts["most_ballots_of_one_phone"] <= 1
        and all(counts["votes"].get(k, 0) == n for k, n in accepted.items()),
        "clients": clients,
        "clients_exact": exact,
        "phones_exact": sum(r["exact"] for r in phone_reports),
        "displays_exact": sum(r["exact"] for r in display_reports),
        "clients_wrong_sample": [s for r in reports for s in r["wrong_sample"]][:3],
        "poll_results_frames": len({s for r in phone_reports for s in r["frames"]}),
        "staleness_ms": summary_ms(staleness),
        "staleness_unresolved": unresolved,
        "seq_gaps": sum(r["gaps"] for r in reports),
        "closed_by_server": sum(r["closed"] for r in reports),
    }


def _poll_staleness(acks: list[float], reports: list[dict]) -> list[float | None]:
    """For each acknowledgement (sorted), on one stream: seconds until the last client held the
    first poll.results that arrived after it and counts at least as many voters as had been
    acknowledged by then; None if no frame did."""
    frames: dict[int, dict] = {}
    for report in reports:
        for seq, entry in report["frames"].items():
            merged = frames.setdefault(int(seq), {**entry, "clients": 0})
            merged["clients"] += entry["clients"]
            merged["first"] = min(merged["first"], entry["first"])
            merged["last"] = max(merged["last"], entry["last"])
    ordered = [frames[s] for s in sorted(frames)]
    out: list[float | None] = []
    for rank, ack in enumerate(acks, start=1):
        hit = next((f for f in ordered if f["first"] >= ack and f["voters"] >= rank), None)
        out.append(None if hit is None else max(0.0, hit["last"] - ack))
    return out


def question_storm(
    fleet: Fleet,
    ctl,
    *,
    session_id: int,
    askers: int,
    window: float,
    already: int,
    over: str = "socket",
    seed: int = 8,
) -> dict:
    """`askers` phones each send one question twice at once with the same client_id: two ask
    frames over their socket (identifying it first where the phone did not join or vote on
    it), or, `over="http"`, two POSTs. Statuses over the socket are those of HTTP: "201" for
    asked with created true, "200" for the first question given back, else the error code."""
    start_at = time.time() + 1.0
    args = [
        {
            "group": "phones",
            "count": count,
            "session_id": session_id,
            "window": window,
            "start_at": start_at,
            "seed": seed,
            "give_up_after": window + GIVE_UP_AFTER,
            "over": over,
        }
        for _, count in fleet.split(askers)
    ]
    replies = fleet.call("ask", args, window + GIVE_UP_AFTER + 60)
    rows = [row for reply in replies for row in reply["rows"]]
    requests = [x for r in rows for x in (r["first"], r["second"])]
    answered = [x for x in requests if x["status"] in ASK_ANSWERED]
    identify = [r["identify"] for r in replies if "identify" in r]
    pairs_same = sum(
        1 for r in rows if r["first"]["id"] is not None and r["first"]["id"] == r["second"]["id"]
    )
    counts = _stable_counts(ctl, session_id, [], 15.0)
    unfinished = sum(r["unfinished"] for r in replies)
    return {
        "askers": len(rows)
        + unfinished,  # phones that asked (a worker asks with the phones it has)
        "ask_over": over,
        "requests": len(requests),
        "unfinished_pairs": unfinished,
        "retried_after_a_broken_connection": sum(r["retries"] for r in replies),
        "statuses": _merge_counts([{str(x["status"]): 1} for x in requests]),
        "pairs_same_question": pairs_same,
        "stored": counts["stored"] - already,
        "stored_with_client_id": counts["with_client_id"],
        "duplicated_client_ids": counts["duplicated_client_ids"],
        "response_ms": summary_ms([x["took"] for x in answered]),
        # Over the socket: the identify frames sent first (none for phones that joined or
        # voted on it), and replies no ask waited for.
        "identify_statuses": _merge_counts(i["statuses"] for i in identify) if identify else None,
        "unmatched_replies": _merge_counts(r.get("unmatched_replies", {}) for r in replies),
    }

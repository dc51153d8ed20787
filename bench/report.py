"""One table for the terminal (and docs/performance.md), one PNG plot."""

from __future__ import annotations

from pathlib import Path

# The targets of issue 6.
FANOUT_P99_MS = 200
RATIO_GOAL = 3.0
SCALE_P99_MS = 1000
SCALE_GOAL_N = 8000
JOIN_P99_MS = 2000
BALLOT_ACK_P99_MS = 300  # issue 16: a ballot acknowledged within 300 ms (p99)
STALENESS_P99_MS = 1000
ASK_P99_MS = 500
KB_PER_CLIENT = 40
# The target of issue 10.
RECOVERY_P99_S = 10.0


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "MISSED")


def rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(scenario, measured, target, verdict)"""
    out = []
    scale = results.get("scale") or []
    headline_n = results.get("config", {}).get("n", 2000)
    head = next((p for p in scale if p["n"] == headline_n), None)
    if head:
        o, b = head["ours"], head["baseline"]
        p99 = o["last_client_ms"]["p99"]
        clean = o["lost"] == 0 and o["clients_with_gaps"] == 0
        out.append(
            (
                f"fan-out N={head['n']}, {o['broadcasts']} approvals ({results.get('trigger')})",
                f"p99 {p99} ms (p50 {o['last_client_ms']['p50']}), lost {o['lost']}, "
                f"clients with seq gaps {o['clients_with_gaps']}",
                f"p99 <= {FANOUT_P99_MS} ms, 0 lost, seq continuous",
                _verdict(p99 is not None and p99 <= FANOUT_P99_MS and clean),
            )
        )
        out.append(
            (
                f"baseline (websockets.broadcast) N={head['n']}",
                f"p99 {b['last_client_ms']['p99']} ms (p50 {b['last_client_ms']['p50']}), lost {b['lost']}; "
                f"ratio ours/baseline {head['ratio_p99']}x",
                f"ratio <= {RATIO_GOAL}x",
                _verdict(head["ratio_p99"] is not None and head["ratio_p99"] <= RATIO_GOAL),
            )
        )
    if scale:
        good = []  # from the smallest N up, while p99 stays under 1 s with nothing lost
        for p in scale:
            p99 = p["ours"]["last_client_ms"]["p99"]
            if p99 is None or p99 >= SCALE_P99_MS or p["ours"]["lost"]:
                break
            good.append(p["n"])
        series = ", ".join(
            f"{p['n']}: {p['ours']['last_client_ms']['p99']} / {p['baseline']['last_client_ms']['p99']}"
            for p in scale
        )
        out.append(
            (
                "scale: largest N with p99 < 1 s",
                f"N = {max(good) if good else 'none'} (p99 ms ours / baseline: {series})",
                f"N >= {SCALE_GOAL_N}",
                _verdict(bool(good) and max(good) >= SCALE_GOAL_N),
            )
        )
        last = scale[-1]
        kb = last["ours_connect"]["kb_per_client"]
        worst = max(kb.values()) if kb else None
        out.append(
            (
                f"memory per client per Daphne (N={last['n']})",
                f"{', '.join(f'{v} KB' for v in kb.values())}; baseline "
                f"{', '.join(f'{v} KB' for v in last['baseline_connect']['kb_per_client'].values())}",
                f"<= {KB_PER_CLIENT} KB",
                _verdict(worst is not None and worst <= KB_PER_CLIENT),
            )
        )
    for layer, r in (results.get("layers") or {}).items():
        if "last_client_ms" in r:
            measured = (
                f"p99 {r['last_client_ms']['p99']} ms (p50 {r['last_client_ms']['p50']}), "
                f"lost {r['lost']}, connect failures {r['connect']['failed']}"
            )
        else:
            measured = r.get("error") or r.get("skipped", "")
        out.append(
            (
                f"textbook consumer, {layer} layer, N={results['config']['layer_n']}",
                measured,
                "comparison",
                "-",
            )
        )
    storms = results.get("storms") or {}
    if "skipped" in storms:
        out.append(("storms", storms["skipped"], "", "-"))
    for name in ("join", "vote", "question"):
        if "error" in storms.get(name, {}):
            out.append((f"{name} storm", storms[name]["error"], "", "MISSED"))
    j = storms.get("join", {})
    if "to_snapshot_ms" in j:
        p99 = j["to_snapshot_ms"]["p99"]
        # Results written before join frames: HTTP, the token's time under the old key.
        over = j.get("join_over", "http")
        token = j.get("to_token_ms") or j.get("join_http_ms")
        # Results written before --join-with-page: no page.
        paged = j.get("join_with_page", False)
        how = (
            "join frame on the socket as it opens"
            if over == "socket"
            else "POST join, then the socket"
        )
        page = j.get("to_page_ms") or {}
        out.append(
            (
                f"join storm: {j['phones']} phones arriving over {j['window_s']} s "
                f"({'page, then ' if paged else ''}{how})",
                (f"to page p99 {page.get('p99')} ms (p50 {page.get('p50')}), " if paged else "")
                + f"to snapshot p99 {p99} ms (p50 {j['to_snapshot_ms']['p50']}), to token p99 "
                f"{token['p99']} ms{'' if over == 'socket' else ' (the join POST)'}, failures "
                f"{j['failures']}, last in after {j['all_done_after_s']} s",
                f"p99 <= {JOIN_P99_MS} ms, 0 failures, all within 20 s",
                _verdict(
                    p99 is not None
                    and p99 <= JOIN_P99_MS
                    and j["failures"] == 0
                    and (j["all_done_after_s"] or 99) <= 20
                ),
            )
        )
    v = storms.get("vote", {})
    if "staleness_ms" in v:
        p99 = v["staleness_ms"]["p99"]
        ok = (
            v["db_exact"]
            and v["db_counter_matches_rows"]
            and v["clients_exact"] == v["clients"]
            and v["votes_ok"] == v["votes_sent"]
            and v["staleness_unresolved"] == 0
            and p99 is not None
            and p99 <= STALENESS_P99_MS
        )
        # Results written before votes went over the socket: HTTP, under the old key.
        over = v.get("vote_over", "http")
        ack = v.get("vote_ack_ms") or v.get("vote_http_ms")
        out.append(
            (
                f"vote storm: {v['phones']} phones x 5 questions over {results['config']['vote_window']} s "
                f"({'vote frames on the socket' if over == 'socket' else 'POST per vote'})",
                f"{v['votes_ok']}/{v['votes_sent']} accepted (last after {v['last_accepted_after_s']} s, "
                f"ack p99 {ack['p99']} ms); DB counter = rows {v['db_counter_matches_rows']}, "
                f"all {v['phones']} counted {v['db_exact']}; phones holding the DB tallies "
                f"{v['clients_exact']}/{v['clients']}; staleness p99 {p99} ms",
                f"every vote counted, DB = phones, staleness p99 <= {STALENESS_P99_MS} ms",
                _verdict(ok),
            )
        )
    b = storms.get("poll", {})
    if "ballot_ack_ms" in b:
        ack, stale = b["ballot_ack_ms"]["p99"], b["staleness_ms"]["p99"]
        ok = (
            b["db_exact"]
            and b["ballots_ok"] == b["phones"]
            and b["clients_exact"] == b["clients"]
            and ack is not None
            and ack <= BALLOT_ACK_P99_MS
            and stale is not None
            and stale <= STALENESS_P99_MS
        )
        out.append(
            (
                f"poll storm: {b['phones']} phones, one ballot each over "
                f"{results['config'].get('poll_window')} s (ballot frames on the socket), "
                f"{b['displays']} hall displays",
                f"{b['ballots_ok']}/{b['ballots_sent']} accepted (last after "
                f"{b['last_accepted_after_s']} s, ack p99 {ack} ms); ballots stored once "
                f"{b['db_exact']} ({b['db_ballots']} rows); phones holding the DB tallies "
                f"{b['phones_exact']}/{b['phones']}, displays {b['displays_exact']}/{b['displays']}; "
                f"staleness p99 {stale} ms ({b['poll_results_frames']} poll.results)",
                f"every ballot stored once, DB = phones = displays, ack p99 <= {BALLOT_ACK_P99_MS} ms, "
                f"staleness p99 <= {STALENESS_P99_MS} ms",
                _verdict(ok),
            )
        )
    q = storms.get("question", {})
    if "response_ms" in q:
        p99 = q["response_ms"]["p99"]
        ok = (
            q["stored"] == q["askers"]
            and q["duplicated_client_ids"] == 0
            and q["pairs_same_question"] == q["askers"]
            and p99 is not None
            and p99 <= ASK_P99_MS
        )
        over = q.get("ask_over", "http")  # results written before ask frames: HTTP
        out.append(
            (
                f"question storm: {q['askers']} phones x 2 (same client_id) over {results['config']['ask_window']} s "
                f"({'ask frames on the socket' if over == 'socket' else 'POST per question'})",
                f"stored {q['stored']}, same question in {q['pairs_same_question']} pairs, statuses "
                f"{q['statuses']}, p99 {p99} ms (p50 {q['response_ms']['p50']})",
                f"exactly {q['askers']} stored, p99 <= {ASK_P99_MS} ms",
                _verdict(ok),
            )
        )
    return out + fault_rows(results)


def fault_rows(results: dict) -> list[tuple[str, str, str, str]]:
    out = []
    f = results.get("faults") or {}
    for name in ("redis_restart", "redis_restart_new_streams", "pubsub_kill", "daphne_kill"):
        r = f.get(name)
        if r is None:
            continue
        if "recovery_ms" not in r:
            out.append((f"fault: {name}", r.get("error") or r.get("skipped", ""), "", "MISSED"))
            continue
        rec = r["recovery_ms"]
        what = {
            "redis_restart": f"Redis SIGKILLed, down {r['down_s']} s, restarted empty",
            "redis_restart_new_streams": f"the same; {r.get('late')} of them open new streams "
            "while Redis is down",
            "pubsub_kill": "CLIENT KILL TYPE pubsub",
            "daphne_kill": "SIGKILL of one of 2 Daphne processes",
        }[name]
        p99_s = None if rec["p99"] is None else rec["p99"] / 1000
        fresh = r["fresh_snapshots"]
        out.append(
            (
                f"fault: {name}, {r['clients']} clients ({what})",
                f"time to recovery p50 {rec['p50']} ms, p99 {rec['p99']} ms, max {rec['max']} ms "
                f"(the last approval {r['last_action_after_back_s']} s after back; from it: p99 "
                f"{r['after_last_action_ms']['p99']} ms); unrecovered after "
                f"{r['unrecovered_within_s']:.0f} s: {r['unrecovered']}; pong timeouts "
                f"{r['counts'].get('pong_timeouts', 0)}; "
                f"clients that reconnected {r['clients_that_reconnected']}, connects "
                f"{r['counts'].get('connects', 0)}, snapshots {r['counts'].get('snapshots', 0)}, "
                f"frames {r['counts'].get('frames', 0)}; fresh snapshots = DB "
                f"{fresh['equal_to_db']}/{fresh['probes']}",
                f"every client exact, p99 <= {RECOVERY_P99_S:.0f} s",
                _verdict(
                    r["unrecovered"] == 0
                    and p99_s is not None
                    and p99_s <= RECOVERY_P99_S
                    and fresh["equal_to_db"] == fresh["probes"]
                ),
            )
        )
    out += _hostile_rows(f.get("hostile_frames"))
    burst = f.get("http_vote_burst")
    if burst is not None and "bursts" not in burst:
        out.append(
            ("fault: http_vote_burst", burst.get("error") or burst.get("skipped", ""), "", "MISSED")
        )
    for b in (burst or {}).get("bursts", []):
        failed = b["phones"] - b["answered_ok"]
        out.append(
            (
                f"fault: http_vote_burst, {b['phones']} phones vote over HTTP at once "
                "(default database settings)",
                f"counted {b['counted']}/{b['phones']}; answers {b['statuses']}; errors as JSON "
                f"{b['errors_as_json']}/{failed}, with Retry-After {b['errors_with_retry_after']}; "
                f"p99 {b['took_ms']['p99']} ms",
                "every vote counted (a refusal at least a JSON 503 with Retry-After, never a 500)",
                _verdict(b["counted"] == b["phones"] == b["answered_ok"]),
            )
        )
    return out


def _close(code: str) -> str:
    return {"None": "dropped, no close", "open": "stayed open"}.get(code, f"close {code}")


def _hostile_rows(h: dict | None) -> list[tuple[str, str, str, str]]:
    if h is None:
        return []
    if "final" not in h:
        return [("fault: hostile_frames", h.get("error") or h.get("skipped", ""), "", "MISSED")]
    a, p, b, af, fin = h["attack"], h["presence_after"], h["before"], h["after"], h["final"]
    closes = "; ".join(
        f"{kind} {', '.join(f'{_close(c)} x{n}' for c, n in k['closes'].items())}"
        + (f" ({', '.join(k['errors'])})" if k["errors"] else "")
        for kind, k in a["by_kind"].items()
    )
    fresh = h["fresh_snapshots"]

    def cost(r: dict) -> str:
        return (
            f"{r['last_client_ms']['p50']} / {r['last_client_ms']['p99']} ms, "
            f"{r['daphne_cpu_ms_per_broadcast']} ms CPU ({r['daphne_cpu_ms_per_broadcast_net']} "
            "net of idle)"
        )

    shown = p["shown"][0] if len(p["shown"]) == 1 else p["shown"]
    return [
        (
            f"fault: hostile_frames, {a['sockets']} hostile sockets, {h['clients']} honest clients",
            f"answered acceptably {a['acceptable']}/{a['sockets']} ({closes}); Daphne processes "
            f"alive {a['daphne_alive']}, tracebacks {a['server_tracebacks']}",
            "an error frame or a close 1000/1007/1009/4xxx (a drop only for invalid UTF-8)",
            _verdict(a["acceptable"] == a["sockets"]),
        ),
        (
            "fault: hostile_frames, afterwards",
            f"presence {shown} ({p['after_attack_s']} s after the attack; honest "
            f"{p['expected']}); fan-out p50 / p99 to the last client and Daphne CPU per "
            f"broadcast, {b['broadcasts']} approvals: before {cost(b)}, after {cost(af)}; "
            f"clients exact {fin['exact']}/{fin['clients']}; fresh snapshots = DB "
            f"{fresh['equal_to_db']}/{fresh['probes']}",
            "presence = the honest screens; broadcast cost as before; every client exact",
            _verdict(
                p["ok"]
                and fin["exact"] == fin["clients"]
                and fresh["equal_to_db"] == fresh["probes"]
                and af["reached_everyone"] == af["broadcasts"]
            ),
        ),
    ]


def plot_faults(results: dict, path: Path) -> Path | None:
    """The share of clients exact again against the time since the fault was over."""
    f = results.get("faults") or {}
    curves = [
        (name, f[name])
        for name in ("redis_restart", "redis_restart_new_streams", "pubsub_kill", "daphne_kill")
        if "recovery_s_sorted" in f.get(name, {})
    ]
    if not curves:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for name, r in curves:
        times = r["recovery_s_sorted"]
        total = r["clients"]
        ys = [100 * (i + 1) / total for i in range(len(times))]
        label = f"{name} ({r['unrecovered']} of {total} unrecovered)"
        ax.step([0.0, *times], [0.0, *ys], where="post", label=label)
    ax.axvline(RECOVERY_P99_S, color="tab:red", linewidth=0.8, linestyle=":", label="target: 10 s")
    ax.set_xlabel("seconds since Redis was back / the kill")
    ax.set_ylabel("clients holding the exact state (%)")
    ax.set_ylim(0, 101)
    ax.set_title(
        f"Time to full recovery, commit {results.get('commit')}, {results['machine']['nproc']} cores"
    )
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def table(results: dict) -> str:
    lines = ["| scenario | measured | target | verdict |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    return "\n".join(lines)


def plot(results: dict, path: Path) -> Path | None:
    """p50 and p99 of the last-client latency against N, ours and the baseline."""
    scale = results.get("scale") or []
    if not scale:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [p["n"] for p in scale]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for key, label, colour in (
        ("ours", "hub + Redis, Daphne x2", "tab:blue"),
        ("baseline", "websockets.broadcast, 1 process", "tab:grey"),
    ):
        for pct, style in (("p99", "-"), ("p50", "--")):
            ys = [p[key]["last_client_ms"][pct] for p in scale]
            ax.plot(ns, ys, style, marker="o", color=colour, label=f"{label} {pct}")
    for layer, r in (results.get("layers") or {}).items():
        if "last_client_ms" in r and r["last_client_ms"]["p99"] is not None:
            ax.plot(
                [r["clients"]],
                [r["last_client_ms"]["p99"]],
                "x",
                markersize=8,
                label=f"textbook consumer, {layer} layer, p99",
            )
    ax.axhline(
        FANOUT_P99_MS,
        color="tab:red",
        linewidth=0.8,
        linestyle=":",
        label="target 200 ms (N=2,000)",
    )
    ax.set_xlabel("clients (N)")
    ax.set_ylabel("trigger -> last client (ms)")
    ax.set_yscale("log")
    ax.set_title(f"Fan-out latency to the last client, {results['machine']['nproc']} cores")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def machine_block(results: dict) -> str:
    m = results["machine"]
    return "\n".join(
        [
            f"- {m['nproc']} cores ({m['cpu']}), {m['memory_gb']} GB of memory, load average "
            f"{m['load_average'][0]} when the run started; everything on this one machine.",
            f"- Python {m['python']}, Django {m['django']}, Channels {m['channels']}, channels-redis "
            f"{m['channels_redis']}, Daphne {m['daphne']}, redis-py {m['redis_py']}, websockets "
            f"{m['websockets']}; {results.get('redis')}, {results.get('database')}.",
            f"- {results['config']['daphne']} Daphne processes, {results['config']['workers']} load "
            f"generator processes, commit {results.get('commit')}, run started "
            f"{results['started_at']}, took {results.get('seconds')} s.",
        ]
    )


def layers_table(results: dict) -> str:
    """The layer comparison with ours and the baseline at the same N from the same run."""
    n = results["config"]["layer_n"]
    lines = [
        f"| N = {n} | Daphne | p50 to the last client | p99 | lost | seq gaps | connect failures |",
        "|---|---|---|---|---|---|---|",
    ]
    point = next((p for p in results.get("scale") or [] if p["n"] == n), None)
    if point:
        for key, label, procs in (
            ("ours", "hub + Redis streams (the project)", results["config"]["daphne"]),
            ("baseline", "plain websockets.broadcast()", 1),
        ):
            r = point[key]
            lines.append(
                f"| {label} | {procs} | {r['last_client_ms']['p50']} ms | {r['last_client_ms']['p99']} ms "
                f"| {r['lost']} | {r['seq_gaps']} | {point[key + '_connect']['failed']} |"
            )
    for layer, r in (results.get("layers") or {}).items():
        if "last_client_ms" not in r:
            lines.append(
                f"| textbook consumer, {layer} layer | | {r.get('error') or r.get('skipped')} | | | | |"
            )
            continue
        lines.append(
            f"| textbook consumer, {layer} layer | {r['daphne']} | {r['last_client_ms']['p50']} ms "
            f"| {r['last_client_ms']['p99']} ms | {r['lost']} | {r['seq_gaps']} | {r['connect']['failed']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    data = json.loads(Path(sys.argv[1]).read_text())
    print(machine_block(data), "", table(data), "", layers_table(data), sep="\n")

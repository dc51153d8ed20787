"""`python -m bench [options]`: start the stack, run the scenarios, print one table, write
bench/results/<date>.json and <date>.png. `python -m bench --smoke` is the 50-client
version the test suite runs (tests/e2e/test_bench_smoke.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path

from bench import faults, report, scenarios
from bench.ctl import Ctl
from bench.loadgen import Fleet
from bench.stack import ROOT, Stack, cpu_seconds, raise_fd_limit

ALL = ("fanout", "layers", "storms")
GROUPS = (*ALL, "faults")  # faults: run on its own (see docs/performance.md, "Faults")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--smoke", action="store_true", help="50 clients, short windows (the test suite's run)"
    )
    p.add_argument("--scenarios", default=",".join(ALL), help=f"comma list of {', '.join(GROUPS)}")
    p.add_argument("--daphne", type=int, default=2, help="Daphne processes (default 2)")
    p.add_argument("--workers", type=int, default=4, help="load generator processes (default 4)")
    p.add_argument(
        "--n", type=int, default=2000, help="clients of the headline fan-out (default 2000)"
    )
    p.add_argument("--scale", default="1000,2000,4000,8000", help="N of the scale series")
    p.add_argument("--broadcasts", type=int, default=50, help="approvals per fan-out point")
    p.add_argument("--interval", type=float, default=0.2, help="seconds between approvals")
    p.add_argument("--layers", default="pubsub,redis,memory", help="channel layers to compare")
    p.add_argument("--layer-n", type=int, default=1000, help="clients in the layer comparison")
    p.add_argument("--phones", type=int, default=2000, help="phones of the join and vote storms")
    p.add_argument(
        "--join-window", type=float, default=15.0, help="seconds over which phones arrive"
    )
    p.add_argument(
        "--join-over",
        choices=("socket", "http"),
        default="socket",
        help="how phones join: a join frame on their socket as it opens (default), or a POST "
        "and then the socket",
    )
    p.add_argument(
        "--join-with-page",
        action="store_true",
        help="each phone of the join storm first GETs its page, /e/<slug>/?session=<id> "
        "(off by default, so results stay comparable with runs before it)",
    )
    p.add_argument("--vote-window", type=float, default=10.0)
    p.add_argument(
        "--vote-over",
        choices=("socket", "http"),
        default="socket",
        help="how phones vote: frames over their open socket (default) or a POST each",
    )
    p.add_argument(
        "--poll-window", type=float, default=10.0, help="seconds of the poll storm's ballots"
    )
    p.add_argument(
        "--storms",
        default="vote,question,poll",
        help="the storms after the join storm, a comma list of vote, question, poll",
    )
    p.add_argument("--askers", type=int, default=500)
    p.add_argument(
        "--storm-prefill",
        type=int,
        default=0,
        help="questions the storm session holds before the storms (e.g. 1000)",
    )
    p.add_argument("--ask-window", type=float, default=10.0)
    p.add_argument(
        "--ask-over",
        choices=("socket", "http"),
        default="socket",
        help="how phones ask: two ask frames over their socket (default) or two POSTs",
    )
    p.add_argument(
        "--fault-scenarios",
        default=",".join(faults.SCENARIOS),
        help=f"which of the faults group: comma list of {', '.join(faults.SCENARIOS)}",
    )
    p.add_argument(
        "--fault-clients", type=int, default=2000, help="clients of each recovery scenario"
    )
    p.add_argument("--fault-down", type=float, default=3.0, help="seconds Redis stays down")
    p.add_argument(
        "--fault-bound",
        type=float,
        default=60.0,
        help="seconds after the fault a client must be exact by, else it is unrecovered",
    )
    p.add_argument(
        "--fault-hostile",
        type=int,
        default=1500,
        help="hostile sockets of the hostile_frames scenario (default 1500)",
    )
    p.add_argument(
        "--burst", default="300,2000", help="phones of each HTTP vote burst (comma list)"
    )
    p.add_argument(
        "--redis-url", default=None, help="use this Redis (default: a throwaway redis-server)"
    )
    p.add_argument(
        "--database-url",
        default=None,
        help="default postgres://postgres@127.0.0.1:5432/hoithao_bench",
    )
    p.add_argument("--drop-database", action="store_true", help="drop the database at the end")
    p.add_argument(
        "--out", default=str(ROOT / "bench" / "results"), help="where the JSON and PNG go"
    )
    p.add_argument(
        "--log-dir", default=None, help="keep the servers' logs here (default: a temp dir, removed)"
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the Daphne processes during the headline fan-out",
    )
    p.add_argument(
        "--budget", type=float, default=840.0, help="seconds; later phases are skipped past it"
    )
    args = p.parse_args(argv)
    if args.smoke:
        args.workers = 2
        args.n = 50
        args.scale = "50"
        args.broadcasts = 5
        args.layers = "memory"
        args.layer_n = 50
        args.phones = 50
        args.join_window = 1.0
        args.vote_window = 1.0
        args.poll_window = 1.0
        args.askers = 20
        args.ask_window = 1.0
        args.budget = 55.0
        args.fault_clients = 50
        args.fault_down = 1.0
        args.fault_bound = 40.0
        args.burst = "30"
        args.fault_hostile = 70
        if "faults" in args.scenarios.split(","):
            args.budget += 150.0
    unknown = set(args.scenarios.split(",")) - set(GROUPS)
    if unknown:
        p.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


def commit() -> str:
    """The code measured: the checkout's HEAD (plus "+dirty"), or BENCH_COMMIT for an export."""
    import os
    import subprocess

    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def machine() -> dict:
    import channels
    import channels_redis
    import daphne
    import django
    import psutil
    import redis
    import websockets

    return {
        "nproc": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "django": django.__version__,
        "channels": channels.__version__,
        "channels_redis": channels_redis.__version__,
        "daphne": daphne.__version__,
        "redis_py": redis.__version__,
        "websockets": websockets.__version__,
        "load_average": [round(x, 2) for x in psutil.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wanted = set(args.scenarios.split(","))
    started = time.monotonic()
    deadline = started + args.budget
    fd_limit = raise_fd_limit()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    results: dict = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:] if argv is None else argv,
        "machine": machine(),
        "fd_limit": fd_limit,
        "commit": commit(),
        "config": {k: v for k, v in vars(args).items() if k not in ("redis_url", "database_url")},
    }
    fleet = None
    with Stack(
        redis_url=args.redis_url,
        database_url=args.database_url,
        keep_database=not args.drop_database,
        log_dir=Path(args.log_dir) if args.log_dir else None,
    ) as stack:
        results["redis"] = "throwaway redis-server" if stack.redis_pid else "given"
        results["database"] = "postgresql" if stack._is_postgres() else "sqlite"
        ctl = Ctl(stack)
        try:
            ns = [int(x) for x in args.scale.split(",") if x]
            if args.n not in ns and "fanout" in wanted:
                ns = sorted({*ns, args.n})
            data = ctl.call(
                "setup", name="fanout", moderation="pre", pending=args.broadcasts * (len(ns) + 1)
            )
            results["api"] = data["api"]
            log(f"API present: {data['api']}")
            daphnes = stack.start_daphne(args.daphne)
            baseline_proc = stack.start_baseline()
            ports = [p.port for p in daphnes]
            warm_up(
                [f"http://127.0.0.1:{p}" for p in ports],
                ctl.call("setup", name="warmup", moderation="pre"),
            )
            results["pids"] = {
                "daphne": [p.pid for p in daphnes],
                "baseline": baseline_proc.pid,
                "redis": stack.redis_pid,
            }
            fleet = Fleet(args.workers)
            results["pids"]["loadgen"] = fleet.pids
            settle = 10.0 if args.smoke else 15.0
            concurrency = 25 if args.smoke else 50

            if "fanout" in wanted:
                trigger = (
                    scenarios.ApiApprove(ports, data["token"])
                    if data["api"]["approve"]
                    else scenarios.ServiceApprove(ctl, "mod-fanout")
                )
                results["trigger"] = trigger.via
                ours = scenarios.Target(
                    "ours",
                    "ours",
                    [f"ws://127.0.0.1:{p}/ws/sessions/{data['session_id']}/" for p in ports],
                    trigger,
                    [p.pid for p in daphnes],
                )
                base_trigger = scenarios.BaselineTrigger(baseline_proc.port)
                baseline = scenarios.Target(
                    "baseline",
                    "baseline",
                    [f"ws://127.0.0.1:{baseline_proc.port}/"],
                    base_trigger,
                    [baseline_proc.pid],
                )
                try:
                    results["scale"] = scenarios.scale_series(
                        fleet,
                        ours,
                        baseline,
                        ns=ns,
                        pending=list(data["pending"]),
                        broadcasts=args.broadcasts,
                        interval=args.interval,
                        settle=settle,
                        concurrency=concurrency,
                        profile_n=args.n if args.profile else None,
                        profile_dir=Path(args.out) / "profiles",
                        deadline=started + 0.6 * args.budget,
                        log=log,
                    )
                finally:
                    trigger.close()
                    base_trigger.close()
                    fleet.close_group("ours")
                    fleet.close_group("baseline")

            if "layers" in wanted:
                results["layers"] = scenarios.layer_comparison(
                    stack,
                    fleet,
                    layers=[x for x in args.layers.split(",") if x],
                    n=args.layer_n,
                    broadcasts=args.broadcasts,
                    interval=args.interval,
                    settle=settle,
                    concurrency=concurrency,
                    deadline=started + 0.75 * args.budget,
                    daphne=args.daphne,
                    log=log,
                )

            if "storms" in wanted:
                results["storms"] = run_storms(
                    args, ctl, fleet, ports, [d.pid for d in daphnes], deadline, log
                )

            if "faults" in wanted:
                # The fault scenarios start Daphne processes of their own, one pair each, and
                # kill Redis: the shared processes and the load generator leave first.
                fleet.close()
                fleet = None
                stack.stop([*daphnes, baseline_proc])
                results["faults"] = faults.run(
                    args,
                    stack=stack,
                    ctl=ctl,
                    deadline=deadline,
                    log=log,
                    cfg=faults.Config(
                        clients=args.fault_clients,
                        displays=2 if args.smoke else 8,
                        moderators=2 if args.smoke else 4,
                        before=1.0 if args.smoke else 3.0,
                        after=1.0 if args.smoke else 2.0,
                        down=args.fault_down,
                        bound=args.fault_bound,
                        burst=tuple(int(x) for x in args.burst.split(",") if x),
                        late=10 if args.smoke else 200,
                        daphne=args.daphne,
                        concurrency=25 if args.smoke else 50,
                        hostile=args.fault_hostile,
                        broadcasts=3 if args.smoke else 10,
                        broadcast_settle=1.5 if args.smoke else 3.0,
                    ),
                )
        except Exception as exc:
            results["error"] = f"{type(exc).__name__}: {exc}"
            log(f"run failed: {results['error']}")
            raise
        finally:
            if fleet is not None:
                fleet.close()
            ctl.close()
            results["seconds"] = round(time.monotonic() - started, 1)
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            stem = "smoke" if args.smoke else dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
            if not args.smoke and (out / f"{stem}.json").exists():  # two runs in one minute
                stem = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M%S")
            json_path = out / f"{stem}.json"
            json_path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
            png_path = report.plot(results, out / f"{stem}.png")
            if results.get("faults"):
                png_path = report.plot_faults(results, out / f"{stem}-faults.png") or png_path
            print(report.table(results))
            log(f"wrote {json_path}" + (f" and {png_path}" if png_path else ""))
    return 0


def run_storms(
    args, ctl: Ctl, fleet: Fleet, ports: list[int], pids: list[int], deadline: float, log
) -> dict:
    storm = ctl.call(
        "setup", name="storm", moderation="pre", approved=5, prefill=args.storm_prefill
    )
    missing = [k for k in ("join", "vote", "questions") if not storm["api"][k]]
    if missing:
        log(f"storms skipped: the API has no {', '.join(missing)} endpoint yet")
        return {"skipped": f"API endpoints missing: {missing}"}
    if time.monotonic() > deadline:
        return {"skipped": "time budget spent"}
    http = [f"http://127.0.0.1:{p}" for p in ports]
    ws = [f"ws://127.0.0.1:{p}/ws/sessions/{storm['session_id']}/" for p in ports]
    out: dict = {}

    def attempt(name: str, run) -> bool:
        """One storm; a failure is recorded and ends the storms (the fleet may be out of step).
        Records the CPU the Daphne processes spent meanwhile (settling included)."""
        try:
            before = cpu_seconds(pids)
            out[name] = run()
            out[name]["daphne_cpu_s"] = round(cpu_seconds(pids) - before, 2)
            return True
        except Exception as exc:
            out[name] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
            log(f"{name} storm failed: {out[name]['error']}")
            return False

    page = f"/e/{storm['slug']}/?session={storm['session_id']}" if args.join_with_page else None
    log(
        f"join storm: {args.phones} phones over {args.join_window}s "
        f"({'the page, then ' if page else ''}over {args.join_over})"
    )
    ok = attempt(
        "join",
        lambda: scenarios.join_storm(
            fleet,
            http=http,
            ws=ws,
            slug=storm["slug"],
            phones=args.phones,
            window=args.join_window,
            over=args.join_over,
            page=page,
        ),
    )
    if ok:
        j = out["join"]
        log(
            (f"join storm: to page p99 {j['to_page_ms']['p99']} ms, " if page else "join storm: ")
            + f"to snapshot p99 {j['to_snapshot_ms']['p99']} ms, to token p99 "
            f"{j['to_token_ms']['p99']} ms, failures {j['failures']}"
        )
    joined = out["join"].get("joined", 0) if ok else 0
    missing = args.phones - joined
    if ok and missing > 0 and time.monotonic() < deadline:
        # The vote and question storms are about every phone of the hall: phones the join storm
        # lost join again, slowly (40 a second), outside any measurement (and without the page).
        log(f"topping up: {missing} phones join over {missing / 40:.0f}s (not measured)")
        ok = attempt(
            "top_up",
            lambda: scenarios.join_storm(
                fleet,
                http=http,
                ws=ws,
                slug=storm["slug"],
                phones=missing,
                window=missing / 40,
                over=args.join_over,
            ),
        )
        joined += out["top_up"].get("joined", 0) if ok else 0
    storms = set(args.storms.split(","))
    if ok and joined and "vote" in storms and time.monotonic() < deadline:
        log(
            f"vote storm: {joined} phones x 5 questions over {args.vote_window}s "
            f"(over {args.vote_over})"
        )
        ok = attempt(
            "vote",
            lambda: scenarios.vote_storm(
                fleet,
                ctl,
                session_id=storm["session_id"],
                question_ids=storm["approved"],
                phones=joined,
                window=args.vote_window,
                settle=15.0,
                over=args.vote_over,
            ),
        )
        if ok:
            v = out["vote"]
            log(
                f"vote storm: {v['votes_ok']}/{v['votes_sent']} accepted, db exact {v['db_exact']}, "
                f"clients exact {v['clients_exact']}/{v['clients']}, ack p99 {v['vote_ack_ms']['p99']} ms, "
                f"staleness p99 {v['staleness_ms']['p99']} ms"
            )
    if ok and joined and "question" in storms and time.monotonic() < deadline:
        askers = min(args.askers, joined)
        log(f"question storm: {askers} phones x 2 over {args.ask_window}s (over {args.ask_over})")
        ok = attempt(
            "question",
            lambda: scenarios.question_storm(
                fleet,
                ctl,
                session_id=storm["session_id"],
                askers=askers,
                window=args.ask_window,
                already=5 + args.storm_prefill,
                over=args.ask_over,
            ),
        )
        if ok:
            q = out["question"]
            log(f"question storm: stored {q['stored']}, p99 {q['response_ms']['p99']} ms")
    if ok and joined and "poll" in storms and time.monotonic() < deadline:
        ok = attempt("poll", lambda: run_poll_storm(args, ctl, fleet, ports, storm, joined, log))
    if ok:
        fleet.close_group("phones")
    return out


def run_poll_storm(args, ctl: Ctl, fleet: Fleet, ports: list[int], storm: dict, joined: int, log):
    """The poll storm: a poll opened on the hall screen with its results shown, a hall
    display on each Daphne process, then every phone sends its ballot within the window."""
    poll = ctl.call("poll_open", session_id=storm["session_id"], options=4)
    displays = [f"ws://127.0.0.1:{p}/ws/halls/{storm['hall_id']}/display/" for p in ports]
    fleet.connect("displays", displays, len(displays))
    log(f"poll storm: {joined} phones, one ballot each over {args.poll_window}s")
    try:
        result = scenarios.poll_storm(
            fleet,
            ctl,
            session_id=storm["session_id"],
            poll_id=poll["poll_id"],
            option_ids=poll["option_ids"],
            phones=joined,
            displays=len(displays),
            window=args.poll_window,
            settle=15.0,
        )
    finally:
        fleet.close_group("displays")
    log(
        f"poll storm: {result['ballots_ok']}/{result['ballots_sent']} accepted, db exact "
        f"{result['db_exact']}, clients exact {result['clients_exact']}/{result['clients']}, "
        f"ack p99 {result['ballot_ack_ms']['p99']} ms, staleness p99 "
        f"{result['staleness_ms']['p99']} ms"
    )
    return result


def warm_up(http: list[str], data: dict) -> None:
    """A started Daphne loads the URL conf and the API modules on its first requests; a hall
    of phones meets a server that has been up for hours. Warm each process on another event."""
    import httpx

    with httpx.Client(timeout=30.0) as client:
        for base in http:
            for _ in range(3):
                client.post(f"{base}/api/v1/events/{data['slug']}/join/", json={})
                client.get(f"{base}/api/v1/sessions/{data['session_id']}/questions/")


if __name__ == "__main__":
    sys.exit(main())

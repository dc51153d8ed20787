"""Machine translation suggestions (issue 14): a client of the LibreTranslate HTTP API, and
the small thread pool that asks it after commit, off the request path.

    POST {TRANSLATE_URL}/translate  {"q", "source", "target", "format": "text", "api_key"?}
    200 {"translatedText": "..."}      errors: 400/403/429/500 {"error": "..."}

Nothing here may slow a submit or a moderator down: `run_after_commit` hands the work to a
pool of two threads once the transaction has committed, the request has a timeout
(`TRANSLATE_TIMEOUT`), and whatever goes wrong (server down, slow, an error, garbage) is
logged and leaves the suggestion empty. No `TRANSLATE_URL`: nothing is asked."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.db import close_old_connections, connections, transaction

from qa.text import clean_text

log = logging.getLogger(__name__)

# A translation server's answer is a sentence or two; anything longer is not one.
MAX_RESPONSE_BYTES = 64 * 1024
# Jobs waiting or running at most: a question storm against a slow or dead server drops
# suggestions (logged) rather than queue minutes of work and memory behind it.
MAX_PENDING = 200


class TranslationError(Exception):
    """The server could not be reached, refused, or answered something else than documented."""


def enabled() -> bool:
    return bool(settings.TRANSLATE_URL)


def translate(text: str, *, source: str, target: str) -> str:
    """The server's translation of `text`, cleaned like user text (qa/text.py). Raises
    TranslationError on any failure, including a timeout."""
    if not settings.TRANSLATE_URL.startswith(("http://", "https://")):
        raise TranslationError("TRANSLATE_URL is not an http(s) URL")
    body = {"q": text, "source": source, "target": target, "format": "text"}
    if settings.TRANSLATE_API_KEY:
        body["api_key"] = settings.TRANSLATE_API_KEY
    request = urllib.request.Request(  # noqa: S310 (http or https, checked above)
        f"{settings.TRANSLATE_URL}/translate",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 (http or https, checked above)
            request, timeout=settings.TRANSLATE_TIMEOUT
        ) as response:
            raw = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise TranslationError(f"HTTP {error.code}: {_error_of(error)}") from error
    except (OSError, ValueError) as error:  # refused, reset, timed out, bad URL
        raise TranslationError(f"unreachable: {error}") from error
    if len(raw) > MAX_RESPONSE_BYTES:
        raise TranslationError("answer too long")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TranslationError("answer is not JSON") from error
    translated = data.get("translatedText") if isinstance(data, dict) else None
    if not isinstance(translated, str):
        raise TranslationError("answer without translatedText")
    translated = clean_text(translated)
    if not translated:
        raise TranslationError("empty translation")
    return translated


def _error_of(error: urllib.error.HTTPError) -> str:
    """The documented `{"error": ...}` of a refusal, or what there is instead."""
    try:
        data = json.loads(error.read(MAX_RESPONSE_BYTES))
        return str(data.get("error", data))[:200] if isinstance(data, dict) else "?"
    except (OSError, ValueError):
        return error.reason if isinstance(error.reason, str) else "?"


# ---- after commit, off the request path ---------------------------------------------------------

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_running: set[Future] = set()


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="translate")
        return _pool


def run_after_commit(job: Callable[[], None]) -> None:
    """Run `job` in the translation pool once the current transaction commits (never if it
    rolls back). The job's own errors are logged, its database connection closed."""

    def submit() -> None:
        if len(_running) >= MAX_PENDING:
            log.warning("translation pool full (%d jobs): a suggestion is skipped", MAX_PENDING)
            return
        future = _get_pool().submit(_run, job)
        _running.add(future)
        future.add_done_callback(_running.discard)

    transaction.on_commit(submit, robust=True)


def _run(job: Callable[[], None]) -> None:
    try:
        job()
    except Exception:
        log.exception("translation job failed")
    finally:
        # This pool thread opened its own database connection.
        close_old_connections()
        connections.close_all()


def wait_idle(timeout: float) -> bool:
    """Wait for the jobs submitted so far (tests, shutdown). True if all are done."""
    _, not_done = wait(list(_running), timeout=timeout)
    return not not_done

"""Group commit: the small writes of many sockets in one database call.

A vote sent over a socket is a few bytes; committing each in a transaction of its own (a
thread hop, BEGIN, a few statements, COMMIT) costs far more than the rest of its path, and a
hall votes in the same seconds. A GroupCommit takes what arrives while its previous call
runs and hands all of it to the next call: one call per round however many sockets wait,
and at low load a round holds one item and nothing waits for a timer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from live import metrics
from live.realtime.db import database_sync_to_async

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """`apply(items) -> results` (same length, same order) runs in Django's database thread.
    If it raises, every item of that round gets the exception; later rounds still run."""

    def __init__(
        self,
        apply: Callable[[list[Item]], list[Result]],
        *,
        max_items: int = 500,
        name: str = "",
    ):
        self._apply = database_sync_to_async(apply)
        # Labels the round sizes in the metrics: `votes_round`, `run_each` by default.
        self.name = name or getattr(apply, "__name__", "group_commit").lstrip("_")
        self._max_items = max_items
        self._pending: list[tuple[Item, asyncio.Future]] = []
        self._runner: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.rounds = 0  # calls made (for tests and benchmarks)

    def submit(self, item: Item) -> asyncio.Future:
        """The item's result, once its round has committed. Items are applied in the order
        they were submitted."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests start one per test)
            self._loop, self._pending, self._runner = loop, [], None
        future = loop.create_future()
        self._pending.append((item, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.ensure_future(self._run())
        return future

    async def _run(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_items]
            del self._pending[: self._max_items]
            self.rounds += 1
            metrics.group_commit_round(self.name, len(batch))
            try:
                results = await self._apply([item for item, _ in batch])
            except Exception as exc:
                log.exception("a group commit of %d items failed", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # its socket may have gone meanwhile
                    future.set_result(result)


def run_each(calls: list[Callable[[], Result]]) -> list[Result | Exception]:
    """For a GroupCommit of independent calls (each its own transaction, if any): one thread
    hop for all of them; a call that raises gets its exception as its result, the others
    still run."""
    results: list[Result | Exception] = []
    for call in calls:
        try:
            results.append(call())
        except Exception as exc:
            results.append(exc)
    return results

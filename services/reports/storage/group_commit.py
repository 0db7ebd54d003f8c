"""Group commit: concurrent writers share one transaction, each answered only after it commits."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from shared.postgres.pool import POSTGRES_UNAVAILABLE

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Failures of the database or the network, not of an item: every waiting caller gets the error,
# and nothing is retried item by item (it would fail the same way, one round trip at a time).
INFRASTRUCTURE: tuple[type[BaseException], ...] = (OSError, *POSTGRES_UNAVAILABLE)


class StoreClosed(ConnectionError):
    """The store has stopped: the call's item was not committed (or, if the writer was stopped
    during its COMMIT, its outcome is unknown, as when a connection drops then)."""


class GroupCommit(Generic[T, R]):
    """Queues items; one writer task commits everything pending (up to ``max_batch``) at once.

    ``commit(items)`` writes the items in ONE transaction and returns one result per item, in
    order; it must be correct for a single item too. If it fails for a reason other than the
    infrastructure, each item is committed alone, so a bad item fails only its own caller.
    A caller that is cancelled before its item is taken is dropped; after, its item is committed
    (or not) with the others. Either way nothing is written twice.
    """

    def __init__(
        self,
        commit: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        *,
        max_batch: int = 500,
        name: str = "group-commit",
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._commit = commit
        self._max_batch = max_batch
        self._name = name
        self._queue: deque[tuple[T, asyncio.Future[R]]] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self.commits = 0
        """Transactions committed (a batch, or one item after its batch failed)."""
        self.committed_items = 0

    @property
    def writing(self) -> bool:
        """Whether the writer task is running; it ends whenever nothing is queued."""
        return self._writer is not None and not self._writer.done()

    async def submit(self, item: T) -> R:
        """Commit the item with whatever else is pending; returns its result after the commit."""
        if self._closed:
            raise StoreClosed(f"{self._name} is closed")
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._writer is None or self._writer.done():
            # A fresh context: the writer must not carry the first caller's span for its lifetime.
            self._writer = asyncio.create_task(
                self._run(), name=f"{self._name}:writer", context=contextvars.Context()
            )
            self._writer.add_done_callback(self._report_crash)
        return await future

    async def close(self, timeout: float = 5.0) -> None:
        """Take no more items and wait for the queued ones to commit (the writer is cancelled after
        ``timeout``: those still waiting then get StoreClosed)."""
        self._closed = True
        writer = self._writer
        if writer is None or writer.done():
            return
        await asyncio.wait({writer}, timeout=timeout)
        if not writer.done():
            writer.cancel()
            await asyncio.wait({writer})

    async def _run(self) -> None:
        # Runs while there is work and ends when the queue is empty, so it never outlives it.
        batch: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while batch := self._take():
                await self._write(batch)
        except BaseException:
            # Cancelled (shutdown) mid-batch: its outcome is unknown to the callers, as when a
            # connection drops during COMMIT; a retry with the same idempotency key is safe.
            error = StoreClosed(f"{self._name} stopped")
            self._fail(batch, error)
            self._fail(list(self._queue), error)
            self._queue.clear()
            raise

    def _take(self) -> list[tuple[T, asyncio.Future[R]]]:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        while self._queue and len(batch) < self._max_batch:
            item, future = self._queue.popleft()
            if not future.done():  # a cancelled caller's item is not written
                batch.append((item, future))
        return batch

    async def _write(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._commit([item for item, _ in batch])
        except INFRASTRUCTURE as exc:
            self._fail(batch, exc)
            return
        except Exception as exc:
            if len(batch) == 1:
                self._fail(batch, exc)
                return
            log.warning("%s: batch of %d failed (%r); committing one by one", self._name, len(batch), exc)
            await self._write_singly(batch)
            return
        self._committed(batch, results)

    async def _write_singly(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        for i, (item, future) in enumerate(batch):
            if future.done():
                continue
            try:
                results = await self._commit([item])
            except INFRASTRUCTURE as exc:
                self._fail(batch[i:], exc)
                return
            except Exception as exc:
                self._fail([(item, future)], exc)
                continue
            self._committed([(item, future)], results)

    def _committed(self, batch: list[tuple[T, asyncio.Future[R]]], results: Sequence[R]) -> None:
        self.commits += 1
        self.committed_items += len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    @staticmethod
    def _fail(batch: list[tuple[T, asyncio.Future[R]]], error: BaseException) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(error)

    def _report_crash(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: writer died", self._name, exc_info=task.exception())

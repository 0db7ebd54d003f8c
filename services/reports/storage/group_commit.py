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
    """Queues items; a writer task commits everything pending (up to ``max_batch``) at once.

    ``commit(items)`` writes the items in ONE transaction and returns one result per item, in
    order; it must be correct for a single item too, and for two transactions running at once.
    If it fails for a reason other than the infrastructure, each item is committed alone, so a
    bad item fails only its own caller. A caller that is cancelled before its item is taken is
    dropped; after, its item is committed (or not) with the others. Either way nothing is
    written twice.

    Up to ``max_writers`` transactions are in flight: while one commits, the items that arrive
    are taken by another instead of waiting for it. With one writer, a batch holding most of the
    callers left the event loop idle for its whole commit, and the next batch held the few others.

    ``linger_s`` and ``crowd`` keep transactions few when items come one at a time: a writer
    about to take lingers up to ``linger_s`` unless ``crowd`` items are queued (it goes as soon as
    they are), and a further writer starts only when ``crowd`` items are queued while the others
    write. With the defaults (no linger, a crowd of one) every item that finds the writers busy
    starts another, and a writer takes at once.
    """

    def __init__(
        self,
        commit: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        *,
        max_batch: int = 128,
        max_writers: int = 2,
        linger_s: float = 0.0,
        crowd: int = 1,
        name: str = "group-commit",
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if max_writers < 1:
            raise ValueError("max_writers must be at least 1")
        if linger_s < 0:
            raise ValueError("linger_s must not be negative")
        if not 1 <= crowd <= max_batch:
            raise ValueError("crowd must be between 1 and max_batch")
        self._commit = commit
        self._max_batch = max_batch
        self._max_writers = max_writers
        self._linger_s = linger_s
        self._crowd = crowd
        # One per lingering writer; resolved when a crowd has gathered, or by its timer.
        self._gathering: set[asyncio.Future[None]] = set()
        self._name = name
        self._queue: deque[tuple[T, asyncio.Future[R]]] = deque()
        self._writers: set[asyncio.Task[None]] = set()
        # A writer started but not yet taking: it will take what is queued, so none is started.
        self._starting = False
        self._closed = False
        self.commits = 0
        """Transactions committed (a batch, or one item after its batch failed)."""
        self.committed_items = 0

    @property
    def writing(self) -> bool:
        """Whether a writer task is running; each ends whenever nothing is queued."""
        return any(not writer.done() for writer in self._writers)

    async def submit(self, item: T) -> R:
        """Commit the item with whatever else is pending; returns its result after the commit."""
        if self._closed:
            raise StoreClosed(f"{self._name} is closed")
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        crowded = len(self._queue) >= self._crowd
        if crowded:
            self._end_lingers()
        # A writer leaves _writers as it returns (in _run), not in its done callback, which runs a
        # loop step later: counted until then, it would let an item sit with no writer to take it.
        if not self._starting and len(self._writers) < self._max_writers and (crowded or not self._writers):
            self._starting = True
            # A fresh context: the writer must not carry the first caller's span for its lifetime.
            writer = asyncio.create_task(
                self._run(), name=f"{self._name}:writer", context=contextvars.Context()
            )
            self._writers.add(writer)
            writer.add_done_callback(self._writer_done)
        return await future

    async def close(self, timeout: float = 5.0) -> None:
        """Take no more items and wait for the queued ones to commit (the writers are cancelled
        after ``timeout``: those still waiting then get StoreClosed)."""
        self._closed = True
        self._end_lingers()  # what is queued is written now, not after the linger
        writers = {writer for writer in self._writers if not writer.done()}
        if writers:
            _, pending = await asyncio.wait(writers, timeout=timeout)
            for writer in pending:
                writer.cancel()
            if pending:
                await asyncio.wait(pending)
        # Nothing is left, unless a writer died: its callers must not wait forever.
        self._fail(list(self._queue), StoreClosed(f"{self._name} is closed"))
        self._queue.clear()

    async def _run(self) -> None:
        # Runs while there is work and ends when the queue is empty, so it never outlives it.
        batch: list[tuple[T, asyncio.Future[R]]] = []
        me = asyncio.current_task()
        try:
            while True:
                await self._linger()
                batch = self._take()
                self._starting = False
                if not batch:
                    self._writers.discard(me)  # now: a submit in this same loop step starts another
                    return
                await self._write(batch)
        except BaseException:
            # Cancelled (shutdown) mid-batch: its outcome is unknown to the callers, as when a
            # connection drops during COMMIT; a retry with the same idempotency key is safe.
            error = StoreClosed(f"{self._name} stopped")
            self._fail(batch, error)
            self._fail(list(self._queue), error)
            self._queue.clear()
            raise

    async def _linger(self) -> None:
        """Wait up to linger_s for a crowd, so the items that trickle in share a transaction."""
        if self._closed or not self._linger_s or not self._queue or len(self._queue) >= self._crowd:
            return
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._gathering.add(waiter)
        timer = loop.call_later(self._linger_s, _wake, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._gathering.discard(waiter)

    def _end_lingers(self) -> None:
        for waiter in self._gathering:
            _wake(waiter)

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

    def _writer_done(self, task: asyncio.Task[None]) -> None:
        self._writers.discard(task)
        if not self._writers:
            self._starting = False  # a writer cancelled before it ran never cleared it
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: writer died", self._name, exc_info=task.exception())


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)

"""A pool that lets another transaction commit between the statements of a read, to test snapshots."""

from __future__ import annotations

from collections.abc import Awaitable, Callable


class Meanwhile:
    """A pool whose connections let ``change`` commit, on another connection, right after the
    first statement they run: what a busy district does between two reads of one page."""

    def __init__(self, pool, change: Callable[[], Awaitable[None]]) -> None:
        self._pool = pool
        self._change = change
        self.changed = False

    def acquire(self) -> _Acquired:
        return _Acquired(self)

    async def after_statement(self) -> None:
        if not self.changed:
            self.changed = True
            await self._change()


class _Acquired:
    def __init__(self, outer: Meanwhile) -> None:
        self._outer = outer

    async def __aenter__(self) -> _Connection:
        self._ctx = self._outer._pool.acquire()
        return _Connection(await self._ctx.__aenter__(), self._outer)

    async def __aexit__(self, *exc) -> None:
        await self._ctx.__aexit__(*exc)


class _Connection:
    def __init__(self, conn, outer: Meanwhile) -> None:
        self._conn = conn
        self._outer = outer

    def transaction(self, **options):
        return self._conn.transaction(**options)

    async def fetch(self, *args):
        rows = await self._conn.fetch(*args)
        await self._outer.after_statement()
        return rows

    async def fetchrow(self, *args):
        row = await self._conn.fetchrow(*args)
        await self._outer.after_statement()
        return row

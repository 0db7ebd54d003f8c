"""The warm map's read side: stations indexed in memory, loaded from PostgreSQL, nearest-N queries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import asyncpg

from services.stations.app.importer import import_stations
from services.stations.domain.index import StationIndex
from services.stations.domain.riding import RidingModel
from services.stations.domain.station import Station
from services.stations.storage import postgres
from shared.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NearestQuery:
    """Nearest stations to a WGS84 point, with optional filters and a riding-time cut-off."""

    lon: float
    lat: float
    limit: int = 5
    amenities: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    open_now: bool = False
    within_minutes: float | None = None
    riding: RidingModel = field(default_factory=RidingModel)


@dataclass(frozen=True)
class Hit:
    """One answer: the station, how far, how long to ride, and whether it is open."""

    station: Station
    distance_m: float
    riding_minutes: float
    open_now: bool
    closes_at: datetime | None


class StationCatalogue:
    """Holds the current index; rebuilds it after imports and when another process imports."""

    def __init__(self, *, pool: asyncpg.Pool, clock: Clock, seed_path: Path | None, cell_m: float) -> None:
        self._pool = pool
        self._clock = clock
        self._seed_path = seed_path
        self._cell_m = cell_m
        self._index: StationIndex | None = None
        self._lock = asyncio.Lock()
        self._reload_lock = asyncio.Lock()

    async def ready(self) -> StationIndex:
        """The index, seeding the synthetic set into an empty table and loading on first use."""
        if self._index is None:
            async with self._lock:
                if self._index is None:
                    if self._seed_path is not None:
                        await self._seed(self._seed_path)
                    await self.reload()
        assert self._index is not None
        return self._index

    async def _seed(self, path: Path) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await postgres.lock_seed(conn)
            if await postgres.count(conn):
                return
            data = await asyncio.to_thread(path.read_bytes)
            result = await import_stations(
                conn, data, fmt="csv", source=path.name, actor="seed", at=self._clock.now()
            )
            log.info("seeded %d synthetic stations", result.rows)

    async def reload(self) -> None:
        """Rebuild the index from the table.

        Reloads run one at a time, so the index installed last was read from the table last: one
        read before an import committed (the first load, a NOTIFY's) cannot land after, and undo,
        the reload the import's own answer waits for.
        """
        async with self._reload_lock:
            stations = await postgres.load_all(self._pool)
            self._index = await asyncio.to_thread(StationIndex, stations, cell_m=self._cell_m)

    async def nearest(self, query: NearestQuery) -> tuple[list[Hit], datetime]:
        """The nearest stations matching the query, and the instant "open now" was judged at."""
        index = await self.ready()
        return nearest(index, query, self._clock.now()), self._clock.now()

    async def get(self, station_id: str) -> Hit | None:
        """One station (distance fields zero), or None."""
        index = await self.ready()
        i = index.by_id.get(station_id)
        if i is None:
            return None
        station, now = index.stations[i], self._clock.now()
        return Hit(station, 0.0, 0.0, station.hours.is_open(now), station.hours.closes_at(now))

    async def all(self) -> list[Station]:
        """Every station, ordered by id."""
        return list((await self.ready()).stations)

    async def follow_changes(self, database_url: str, *, check_s: float = 2.0) -> None:
        """Reload whenever any process commits an import (LISTEN); reconnects on failure.

        A listening connection that dies raises nothing on its own, so it is checked every
        ``check_s``; after a reconnect the index is reloaded, since an import committed while
        nobody listened sent its NOTIFY to no one.
        """
        changed = asyncio.Event()
        reconnected = False
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(database_url)
                await conn.add_listener(postgres.CHANGED_CHANNEL, lambda *_: changed.set())
                await (self.reload() if reconnected else self.ready())
                while True:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), check_s)
                    if conn.is_closed():
                        raise asyncpg.InterfaceError("the listening connection was closed")
                    if changed.is_set():
                        changed.clear()
                        await self.reload()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.warning("station change listener lost its connection; retrying", exc_info=True)
                reconnected = True
                await asyncio.sleep(1)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)


def nearest(index: StationIndex, query: NearestQuery, now: datetime) -> list[Hit]:
    """Answer a query from an index at an instant (pure; what the HTTP route and benchmarks call)."""
    accept = index.accept(amenities=query.amenities, kinds=query.kinds,
                          open_at=now if query.open_now else None)
    max_m = query.riding.reach_m(query.within_minutes) if query.within_minutes is not None else None
    hits = []
    for i, d in index.nearest(query.lon, query.lat, limit=query.limit, accept=accept, max_m=max_m):
        s = index.stations[i]
        is_open = bool(index.open_mask(now)[i])
        hits.append(Hit(s, d, query.riding.minutes(d), is_open, s.hours.closes_at(now) if is_open else None))
    return hits


"""Stations in PostgreSQL: load them all for the index, upsert imports in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import asyncpg

from services.stations.domain.hours import OpeningHours
from services.stations.domain.station import Station

CHANGED_CHANNEL = "stations_changed"
_CHUNK = 1000

_UPSERT = """
INSERT INTO stations (station_id, name, kind, lon, lat, address, community_code, hours, amenities,
    synthetic, updated_at)
SELECT i, n, k, x, y, a, c, h, string_to_array(m, ','), s, $11
FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::text[],
    $8::text[], $9::text[], $10::bool[]) AS t(i, n, k, x, y, a, c, h, m, s)
ON CONFLICT (station_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
    lon = EXCLUDED.lon, lat = EXCLUDED.lat, address = EXCLUDED.address,
    community_code = EXCLUDED.community_code, hours = EXCLUDED.hours,
    amenities = EXCLUDED.amenities, synthetic = EXCLUDED.synthetic, updated_at = EXCLUDED.updated_at
RETURNING (xmax = 0) AS created
"""


def _station(row: asyncpg.Record) -> Station:
    return Station(
        row["station_id"], row["name"], row["kind"], row["lon"], row["lat"], row["address"],
        row["community_code"], OpeningHours.parse(row["hours"]), frozenset(row["amenities"]),
        row["synthetic"],
    )


async def load_all(conn: asyncpg.Connection | asyncpg.Pool) -> list[Station]:
    """Every station, for the in-memory index."""
    return [_station(r) for r in await conn.fetch("SELECT * FROM stations ORDER BY station_id")]


async def count(conn: asyncpg.Connection) -> int:
    """How many stations there are."""
    return await conn.fetchval("SELECT count(*) FROM stations")


async def upsert(
    conn: asyncpg.Connection, stations: Sequence[Station], at: datetime,
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Insert or replace stations by id (inside the caller's transaction); (created, updated)."""
    created = 0
    for start in range(0, len(stations), _CHUNK):
        chunk = stations[start:start + _CHUNK]
        columns = (
            [s.station_id for s in chunk], [s.name for s in chunk], [s.kind for s in chunk],
            [s.lon for s in chunk], [s.lat for s in chunk], [s.address for s in chunk],
            [s.community_code for s in chunk], [s.hours.text() for s in chunk],
            [",".join(sorted(s.amenities)) for s in chunk], [s.synthetic for s in chunk],
        )
        rows = await conn.fetch(_UPSERT, *columns, at)
        created += sum(1 for r in rows if r["created"])
        if on_chunk:
            on_chunk(start + len(chunk))
    # Delivered at commit, so other instances reload only what was really written.
    await conn.execute("SELECT pg_notify($1, '')", CHANGED_CHANNEL)
    return created, len(stations) - created


async def log_import(
    conn: asyncpg.Connection, *, source: str, actor: str, rows: int, created: int, updated: int,
    at: datetime,
) -> int:
    """Record an accepted import; returns its id."""
    return await conn.fetchval(
        "INSERT INTO station_imports (source, actor, rows, created, updated, imported_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING import_id",
        source, actor, rows, created, updated, at,
    )


async def lock_seed(conn: asyncpg.Connection) -> None:
    """Serialise first-start seeding between processes (inside the caller's transaction)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('stations:seed'))")

"""Importing stations (CSV or GeoJSON, WGS84 or GCJ-02): one transaction, upsert by id; CLI entry too."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from services.stations.app.sources import Progress, parse_stations
from services.stations.domain.station import Station
from services.stations.storage import postgres
from shared.postgres import migrate

SCHEMA = "stations"
MIGRATIONS = Path(__file__).resolve().parents[1] / "storage" / "migrations"


@dataclass(frozen=True)
class ImportResult:
    """What an accepted import did."""

    import_id: int
    rows: int
    created: int
    updated: int


def format_of(path: Path) -> str:
    """csv or geojson, from a file name."""
    return "geojson" if path.suffix.lower() in (".geojson", ".json") else "csv"


async def import_stations(
    conn: asyncpg.Connection, data: bytes | str, *, fmt: str, crs: str | None = None,
    source: str, actor: str, at: datetime, progress: Progress | None = None,
) -> ImportResult:
    """Validate every row, then upsert all of them in one transaction (ImportRejected: nothing written)."""
    # Parsing is CPU work; off the event loop so a big file does not stall other requests.
    stations = await asyncio.to_thread(parse_stations, data, fmt=fmt, crs=crs, progress=progress)
    return await store_stations(conn, stations, source=source, actor=actor, at=at, progress=progress)


async def store_stations(
    conn: asyncpg.Connection, stations: list[Station], *, source: str, actor: str, at: datetime,
    progress: Progress | None = None,
) -> ImportResult:
    """Upsert validated stations and log the import, in one transaction."""
    total = len(stations)

    def written(n: int) -> None:
        if progress:
            progress("written", n, total)

    async with conn.transaction():
        created, updated = await postgres.upsert(conn, stations, at, written)
        import_id = await postgres.log_import(
            conn, source=source, actor=actor, rows=total, created=created, updated=updated, at=at
        )
    return ImportResult(import_id, total, created, updated)


async def import_file(
    path: str | Path, *, database_url: str, crs: str | None = None, fmt: str | None = None,
    actor: str = "cli", progress: Progress | None = None,
) -> ImportResult:
    """Import a file straight into the database (migrating the schema first), as the CLI does.

    A running service notices through LISTEN/NOTIFY and reloads its index.
    """
    path = Path(path)
    data = await asyncio.to_thread(path.read_bytes)
    # Validate before touching the database, so a bad file is refused even when it is down.
    stations = await asyncio.to_thread(parse_stations, data, fmt=fmt or format_of(path), crs=crs,
                                       progress=progress)
    await migrate.upgrade(database_url, schema=SCHEMA, script_location=MIGRATIONS)
    conn = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA})
    try:
        return await store_stations(
            conn, stations, source=path.name, actor=actor, at=datetime.now(UTC), progress=progress
        )
    finally:
        await conn.close()


def run_import_file(
    path: str | Path, *, database_url: str, crs: str | None = None, fmt: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Synchronous import_file for a command line."""
    return asyncio.run(import_file(path, database_url=database_url, crs=crs, fmt=fmt, progress=progress))

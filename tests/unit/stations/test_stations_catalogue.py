"""The catalogue's reloads: one read before an import committed never replaces one read after."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from services.stations.app import catalogue as catalogue_module
from services.stations.app.catalogue import StationCatalogue
from services.stations.app.sources import parse_stations
from shared.clock import ManualClock

HEADER = "id,name,kind,lon,lat,crs,address,community_code,hours,amenities,synthetic\n"
SYNTHETIC = "syn-1,旧驿站,rest_station,106.55,29.66,,,,24h,,true\n"
IMPORTED = "imp-1,新驿站,rest_station,106.5555,29.6666,,,,24h,,\n"
BEFORE = parse_stations((HEADER + SYNTHETIC).encode(), fmt="csv")
AFTER = parse_stations((HEADER + SYNTHETIC + IMPORTED).encode(), fmt="csv")


async def test_a_reload_that_read_the_table_first_never_lands_last(monkeypatch):
    """The startup load reads the table, an import commits and reloads, then the slow first load
    finishes: the index must still hold the import."""
    first_read, release_first = asyncio.Event(), asyncio.Event()
    reads: list[str] = []

    async def load_all(pool):
        if not reads:  # the first load: reads the table before the import committed, then stalls
            reads.append("before")
            first_read.set()
            await release_first.wait()
            return BEFORE
        reads.append("after")
        return AFTER

    monkeypatch.setattr(catalogue_module.postgres, "load_all", load_all)
    cat = StationCatalogue(pool=None, clock=ManualClock(datetime(2026, 12, 7, 3, tzinfo=UTC)),  # type: ignore[arg-type]
                           seed_path=None, cell_m=700.0)

    startup = asyncio.create_task(cat.reload())
    await first_read.wait()
    after_import = asyncio.create_task(cat.reload())
    await asyncio.sleep(0.05)  # the import's reload runs as far as it is allowed to
    release_first.set()
    await asyncio.gather(startup, after_import)

    assert reads == ["before", "after"]
    assert "imp-1" in (await cat.ready()).by_id

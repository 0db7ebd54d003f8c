"""The warm map on real PostgreSQL: nearest answers against brute force, filters, imports, access."""

from __future__ import annotations

import asyncio
import math
import random
from datetime import datetime

import pytest

from services.stations.app.importer import import_file
from services.stations.domain.hours import SHANGHAI, OpeningHours
from shared.clock import ManualClock
from shared.geo.coords import wgs84_to_gcj02
from tests.support.system import run_system

pytestmark = pytest.mark.integration
MONDAY_3AM = datetime(2026, 11, 30, 3, 0, tzinfo=SHANGHAI)


def haversine(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle metres, written out independently of the service's numpy version."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def expected(stations: list[dict], lon: float, lat: float, limit: int, keep=lambda s: True) -> list:
    """(id, metres) of the nearest stations by brute force over the map's GeoJSON."""
    ranked = sorted(
        ((s["id"], haversine(lon, lat, *s["geometry"]["coordinates"])) for s in stations if keep(s)),
        key=lambda p: (p[1], p[0]),
    )
    return ranked[:limit]


async def test_nearest_answers_match_brute_force_and_follow_filters_and_the_clock(settings):
    clock = ManualClock(MONDAY_3AM)
    async with run_system(settings, ["stations"], clock=clock) as system, system.client() as http:
        geo = (await http.get("/stations/map.geojson")).json()
        stations = [{**f["properties"], "geometry": f["geometry"]} for f in geo["features"]]
        assert len(stations) >= 300 and geo["synthetic_count"] == len(stations)

        rng = random.Random(7)
        for _ in range(50):
            lon, lat, limit = rng.uniform(106.45, 106.85), rng.uniform(29.55, 30.05), rng.choice([1, 5, 10])
            params = {"lon": lon, "lat": lat, "limit": limit}
            body = (await http.get("/stations/nearest", params=params)).json()
            want = expected(stations, lon, lat, limit)
            assert [r["id"] for r in body["results"]] == [w[0] for w in want]
            assert all(abs(r["distance_m"] - w[1]) <= 1 for r, w in zip(body["results"], want, strict=True))
        assert "1.3" in body["riding"]["method"] and body["riding"]["speed_kmh"] == 15

        point = {"lon": 106.53, "lat": 29.62, "limit": 20, "open_now": "true"}

        def open_at(when):
            return lambda s: OpeningHours.parse(s["hours"]).is_open(when)

        night = (await http.get("/stations/nearest", params=point)).json()["results"]
        want_night = expected(stations, 106.53, 29.62, 20, open_at(MONDAY_3AM))
        assert [r["id"] for r in night] == [w[0] for w in want_night]
        assert night and all(r["always_open"] and r["closes_at"] is None for r in night)

        clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))
        morning = (await http.get("/stations/nearest", params=point)).json()["results"]
        assert [r["id"] for r in morning] == [w[0] for w in expected(stations, 106.53, 29.62, 20,
                                                                     open_at(clock.now()))]
        assert {r["id"] for r in morning} != {r["id"] for r in night}
        assert all(r["open_now"] and (r["always_open"] or r["closes_at"]) for r in morning)

        params = {"lon": 106.53, "lat": 29.62, "limit": 50, "amenity": ["battery_charging", "急救"],
                  "within_minutes": 12}
        body = (await http.get("/stations/nearest", params=params)).json()
        reach = 12 * 250 / 1.3
        want = expected(stations, 106.53, 29.62, 50,
                        lambda s: {"battery_charging", "first_aid"} <= set(s["amenities"]))
        assert [r["id"] for r in body["results"]] == [w[0] for w in want if w[1] <= reach]
        assert 0 < len(body["results"]) < len(want)  # the cut-off removed some
        assert body["riding"]["within_m"] == pytest.approx(reach)

        circle = (await http.get("/stations/nearest",
                                 params={"lon": 106.53, "lat": 29.62, "circle": "true", "limit": 50})).json()
        assert circle["riding"]["within_minutes"] == 15
        assert all(r["riding_minutes"] <= 15 for r in circle["results"])

        one = (await http.get(f"/stations/{want[0][0]}")).json()
        assert one["synthetic"] is True and one["kind_label"]
        assert (await http.get("/stations/nope")).status_code == 404
        bad = await http.get("/stations/nearest", params={"lon": 106.5, "lat": 29.6, "amenity": "sauna"})
        assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "amenity"


HEADER = "id,name,kind,lon,lat,crs,address,community_code,hours,amenities,synthetic\n"


async def test_imports_are_for_staff_converted_from_gcj02_and_all_or_nothing(settings):
    async with run_system(settings, ["stations"], clock=ManualClock(MONDAY_3AM)) as system:
        glon, glat = wgs84_to_gcj02(106.5555, 29.6666)
        csv = HEADER + f"imp-1,新牌坊职工港湾,职工港湾,{glon},{glat},GCJ-02,某路2号,,24h,water;wifi,false\n"
        async with system.client(system.token("w-1", "worker")) as worker:
            refused = await worker.post("/stations/import", content=csv.encode())
            assert refused.status_code == 403
        async with system.client() as anonymous:
            assert (await anonymous.post("/stations/import", content=csv.encode())).status_code == 401

        async with system.client(system.token("d-1", "district_staff")) as staff:
            done = await staff.post("/stations/import", content=csv.encode(), params={"source": "t.csv"})
            assert done.status_code == 200 and done.json()["created"] == 1
            body = (await staff.get("/stations/nearest",
                                    params={"lon": glon, "lat": glat, "crs": "GCJ02", "limit": 1})).json()
            [hit] = body["results"]
            assert hit["id"] == "imp-1" and hit["distance_m"] < 1 and hit["synthetic"] is False
            assert (hit["lon"], hit["lat"]) == pytest.approx((106.5555, 29.6666), abs=1e-6)

            again = (HEADER + "imp-1,新牌坊职工港湾(改),workers_harbour,106.5555,29.6666,,,,24h,,\n"
                     + "imp-2,新驿站,rest_station,106.56,29.67,,,,Mo-Su 08:00-20:00,water,\n"
                     + "imp-3,坏驿站,rest_station,106.56,29.67,,,,Mo-Su 8-20,water,\n")
            rejected = await staff.post("/stations/import", content=again.encode())
            assert rejected.status_code == 422
            problem = rejected.json()
            assert problem["error"] == "import_rejected" and "row 4, hours" in problem["message"]
            assert [(f["row"], f["field"]) for f in problem["fields"]] == [(4, "hours")]
            assert (await staff.get("/stations/imp-2")).status_code == 404
            assert (await staff.get("/stations/imp-1")).json()["name"] == "新牌坊职工港湾"

            geo = {"type": "FeatureCollection", "crs": "GCJ-02", "features": [{
                "type": "Feature", "geometry": {"type": "Point", "coordinates": [glon, glat]},
                "properties": {"id": "imp-1", "name": "新牌坊职工港湾(改)", "kind": "workers_harbour",
                               "hours": "Mo-Fr 09:00-18:00", "amenities": ["water"]}}]}
            updated = await staff.post("/stations/import", json=geo, params={"format": "geojson"})
            assert updated.json()["updated"] == 1
            one = (await staff.get("/stations/imp-1")).json()
            assert one["name"].endswith("(改)") and one["hours"] == "Mo-Fr 09:00-18:00; Sa-Su off"


async def nearest_ids_once_they_are(http, expected: list[str], timeout_s: float = 20) -> list[str]:
    """The ids /stations/nearest answers near the test point, polled until they are ``expected``
    (a reload is asynchronous) or the time is up; the last answer either way."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    ids: list[str] = []
    while asyncio.get_running_loop().time() < deadline and ids != expected:
        body = (await http.get("/stations/nearest", params={"lon": 106.6, "lat": 29.7})).json()
        ids = [r["id"] for r in body["results"]]
        await asyncio.sleep(0.1)
    return ids


async def test_a_cli_import_reaches_a_running_service_without_the_demo_set(settings, tmp_path):
    overrides = {"stations": {"seed_synthetic": False}}
    async with run_system(settings, ["stations"], overrides=overrides) as system, system.client() as http:
        assert (await http.get("/stations/map.geojson")).json()["features"] == []
        path = tmp_path / "cli.csv"
        path.write_text(HEADER + "cli-1,回兴街道暖新驿站,rest_station,106.62,29.70,,,,24h,toilet,\n",
                        encoding="utf-8")
        seen = []
        result = await import_file(path, database_url=settings.database_url,
                                   progress=lambda *a: seen.append(a))
        assert (result.rows, result.created) == (1, 1) and ("written", 1, 1) in seen
        # The service hears of the commit through LISTEN/NOTIFY and reloads its index.
        assert await nearest_ids_once_they_are(http, ["cli-1"]) == ["cli-1"]


async def test_the_map_reloads_after_its_listening_connection_is_lost(settings, tmp_path):
    overrides = {"stations": {"seed_synthetic": False}}
    async with run_system(settings, ["stations"], overrides=overrides) as system, system.client() as http:
        pool = system.host("stations").runtime.pool

        async def listener_pids() -> list[int]:
            return [r["pid"] for r in await pool.fetch(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND query ILIKE 'LISTEN%stations_changed%'"
            )]

        deadline = asyncio.get_running_loop().time() + 20
        while not await listener_pids() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        (pid,) = await listener_pids()
        # As a database restart or a dropped connection would: the listener's backend goes away,
        # and an import commits before it is back, so its NOTIFY reaches no one.
        await pool.execute("SELECT pg_terminate_backend($1)", pid)
        path = tmp_path / "during.csv"
        path.write_text(HEADER + "gap-1,回兴街道暖新驿站,rest_station,106.62,29.70,,,,24h,toilet,\n",
                        encoding="utf-8")
        await import_file(path, database_url=settings.database_url)
        ids = await nearest_ids_once_they_are(http, ["gap-1"])
        assert ids == ["gap-1"], "the service reconnected and reloaded what it missed"
        assert await listener_pids() and await listener_pids() != [pid], "listening again"

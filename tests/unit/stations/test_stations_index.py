"""The in-memory index against brute force, its filters, and the shipped synthetic set."""

from __future__ import annotations

import math
import random
from datetime import datetime

import pytest

from services.stations.app.catalogue import NearestQuery, nearest
from services.stations.app.sources import parse_stations
from services.stations.data.generate import OUTPUT_PATH, generate, to_csv
from services.stations.domain.hours import SHANGHAI
from services.stations.domain.index import StationIndex

STATIONS = parse_stations(OUTPUT_PATH.read_bytes(), fmt="csv")
INDEX = StationIndex(STATIONS, cell_m=700.0)


def brute(lon: float, lat: float, stations, limit: int) -> list[tuple[str, float]]:
    """Nearest ids by a plain-Python haversine over every station."""
    r = 6_371_008.8

    def dist(s) -> float:
        p1, p2 = math.radians(lat), math.radians(s.lat)
        a = (math.sin((p2 - p1) / 2) ** 2
             + math.cos(p1) * math.cos(p2) * math.sin(math.radians(s.lon - lon) / 2) ** 2)
        return 2 * r * math.asin(math.sqrt(a))

    return sorted(((s.station_id, dist(s)) for s in stations), key=lambda p: (p[1], p[0]))[:limit]


@pytest.mark.parametrize("seed", range(3))
def test_nearest_equals_brute_force_inside_and_far_outside_the_district(seed):
    rng = random.Random(seed)
    points = [(rng.uniform(106.3, 107.0), rng.uniform(29.5, 30.2)) for _ in range(300)]
    points += [(116.4, 39.9), (106.0, 29.0)]  # Beijing; south-west of the grid
    for lon, lat in points:
        limit = rng.choice([1, 5, 12])
        got = [(INDEX.stations[i].station_id, d) for i, d in INDEX.nearest(lon, lat, limit=limit)]
        expected = brute(lon, lat, STATIONS, limit)
        assert [g[0] for g in got] == [e[0] for e in expected]
        assert all(abs(g[1] - e[1]) < 0.01 for g, e in zip(got, expected, strict=True))


def test_filters_match_brute_force_over_the_filtered_set():
    now = datetime(2026, 12, 5, 21, 30, tzinfo=SHANGHAI)  # Saturday evening: many closed
    query = NearestQuery(106.52, 29.61, limit=8, amenities=("battery_charging", "toilet"), open_now=True,
                         within_minutes=40)
    hits = nearest(INDEX, query, now)
    keep = [s for s in STATIONS if {"battery_charging", "toilet"} <= s.amenities and s.hours.is_open(now)]
    reach = query.riding.reach_m(40)
    expected = [p for p in brute(106.52, 29.61, keep, 8) if p[1] <= reach]
    assert [h.station.station_id for h in hits] == [e[0] for e in expected]
    assert hits and all(h.open_now and h.riding_minutes <= 40 for h in hits)
    assert all(h.closes_at is None or h.closes_at > now for h in hits)


def test_kind_filter_and_an_empty_answer_beyond_reach():
    hits = nearest(INDEX, NearestQuery(106.52, 29.61, limit=3, kinds=("health_centre",)),
                   datetime(2026, 12, 1, 10, tzinfo=SHANGHAI))
    assert [h.station.kind for h in hits] == ["health_centre"] * 3
    far = NearestQuery(116.4, 39.9, limit=3, within_minutes=15)
    assert nearest(INDEX, far, datetime(2026, 12, 1, 10, tzinfo=SHANGHAI)) == []


def test_the_shipped_synthetic_set_is_what_the_generator_makes():
    assert OUTPUT_PATH.read_text(encoding="utf-8") == to_csv(generate())


def test_the_synthetic_set_covers_every_urban_community_and_every_street():
    assert len(STATIONS) >= 300 and all(s.synthetic for s in STATIONS)
    resting = {"rest_station", "workers_harbour", "union_post", "community_canteen"}
    rest_codes = {s.community_code for s in STATIONS if s.kind in resting}
    urban = {s.station_id.split("-")[1] for s in STATIONS if s.station_id.endswith("-01")}
    assert len(urban) == 239 and urban <= rest_codes
    assert len({s.station_id for s in STATIONS if s.kind == "health_centre"}) == 30

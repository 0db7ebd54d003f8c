"""GCJ-02 ⇄ WGS84 conversion and GCJ-02 GeoJSON import."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import shape

from services.routing.geodata import loader
from shared.geo import coords

GEODATA = Path(loader.__file__).resolve().parent


def _demo_places() -> list[dict[str, str]]:
    with (GEODATA / "demo_places.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_forward_matches_known_airport_pair():
    lon, lat = coords.wgs84_to_gcj02(106.641670, 29.719170)
    assert abs(lon - 106.645436) < 2e-6
    assert abs(lat - 29.716353) < 2e-6


@pytest.mark.parametrize("row", _demo_places(), ids=lambda r: r["name"][:12])
def test_forward_matches_every_demo_place(row):
    lon, lat = coords.wgs84_to_gcj02(float(row["lon_wgs84"]), float(row["lat_wgs84"]))
    assert abs(lon - float(row["lon_gcj02"])) < 2e-6
    assert abs(lat - float(row["lat_gcj02"])) < 2e-6


def test_offset_is_hundreds_of_metres_in_yubei():
    lon, lat = coords.wgs84_to_gcj02(106.6, 29.7)
    assert 0.002 < lon - 106.6 < 0.006
    assert -0.006 < lat - 29.7 < -0.001


def test_scalar_round_trip_below_1e6_deg():
    for lon, lat in [(106.44, 29.57), (106.98, 30.13), (106.641670, 29.719170), (116.4, 39.9)]:
        glon, glat = coords.wgs84_to_gcj02(lon, lat)
        wlon, wlat = coords.gcj02_to_wgs84(glon, glat)
        assert abs(wlon - lon) < 1e-6 and abs(wlat - lat) < 1e-6


def test_vectorised_round_trip_and_agreement_with_scalar():
    rng = np.random.default_rng(7)
    lon = rng.uniform(106.4, 107.0, 5000)
    lat = rng.uniform(29.5, 30.2, 5000)
    glon, glat = coords.wgs84_to_gcj02_np(lon, lat)
    wlon, wlat = coords.gcj02_to_wgs84_np(glon, glat)
    assert np.abs(wlon - lon).max() < 1e-6 and np.abs(wlat - lat).max() < 1e-6
    s = coords.wgs84_to_gcj02(float(lon[3]), float(lat[3]))
    assert s == pytest.approx((glon[3], glat[3]), abs=1e-12)


def test_outside_china_is_unchanged():
    assert coords.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    lon, lat = coords.wgs84_to_gcj02_np(np.array([2.35, 106.6]), np.array([48.85, 29.7]))
    assert lon[0] == 2.35 and lat[0] == 48.85 and lon[1] != 106.6


def test_loader_converts_gcj02_geojson_to_wgs84():
    gcj = json.loads((GEODATA / "yubei_boundary.geojson").read_text(encoding="utf-8"))
    wgs = json.loads((GEODATA / "yubei_boundary_wgs84.geojson").read_text(encoding="utf-8"))
    gcj["features"][0]["properties"].update(level="street", code="500112")
    assert loader.detect_crs(gcj) == loader.GCJ02
    streets, communities = loader.parse_jurisdictions(gcj)
    assert communities == [] and [s.code for s in streets] == ["500112"]
    expected = shape(wgs["features"][0]["geometry"])
    got = streets[0].geometry
    assert got.symmetric_difference(expected).area / expected.area < 1e-5
    # Without conversion the ~500 m GCJ-02 shift would leave a far larger mismatch.
    raw = shape(gcj["features"][0]["geometry"])
    assert raw.symmetric_difference(expected).area / expected.area > 1e-3

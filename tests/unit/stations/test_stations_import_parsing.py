"""Reading CSV and GeoJSON station files: GCJ-02 conversion, aliases, errors by row and field."""

from __future__ import annotations

import json

import pytest

from services.stations.app.sources import parse_stations
from services.stations.domain.records import ImportRejected
from shared.geo.coords import gcj02_to_wgs84, wgs84_to_gcj02

HEADER = "id,name,kind,lon,lat,crs,address,community_code,hours,amenities,synthetic\n"
GOOD = "a-1,双龙湖街道暖新驿站,rest_station,106.51,29.60,WGS84,某路1号,500112002001,24h,water;toilet,true\n"


def rejected(data, **kwargs) -> list[tuple[int, str]]:
    """(row, field) of every problem an import is refused for."""
    with pytest.raises(ImportRejected) as info:
        parse_stations(data, **kwargs)
    return [(e.row, e.field) for e in info.value.errors]


def test_a_good_row_becomes_a_station():
    [s] = parse_stations(HEADER + GOOD, fmt="csv")
    assert (s.station_id, s.kind, s.lon, s.lat, s.synthetic) == ("a-1", "rest_station", 106.51, 29.6, True)
    assert s.amenities == {"water", "toilet"} and s.hours.always_open


def test_gcj02_rows_are_converted_to_wgs84():
    glon, glat = wgs84_to_gcj02(106.51, 29.60)
    row = f"g-1,驿站,驿站,{glon},{glat},GCJ-02,,,24h,,false\n"
    [s] = parse_stations(HEADER + row, fmt="csv")
    assert s.lon == pytest.approx(106.51, abs=1e-6) and s.lat == pytest.approx(29.60, abs=1e-6)
    # The same numbers read as WGS84 land several hundred metres away.
    [raw] = parse_stations(HEADER + row.replace("GCJ-02", ""), fmt="csv")
    assert abs(raw.lon - s.lon) > 1e-3


def test_a_crs_parameter_applies_to_rows_without_one():
    glon, glat = wgs84_to_gcj02(106.6, 29.7)
    [s] = parse_stations(HEADER + f"g-2,食堂,社区食堂,{glon},{glat},,,,24h,,\n", fmt="csv", crs="GCJ02")
    assert (s.lon, s.lat) == pytest.approx(gcj02_to_wgs84(glon, glat), abs=1e-6)
    assert s.kind == "community_canteen"


def test_errors_name_the_spreadsheet_row_and_the_field():
    bad = (HEADER + GOOD + "a-2,x,rest_station,abc,29.6,,,,24h,,\n"
           + "a-3,x,castle,106.5,29.6,,,,Mo 25:00-26:00,wings,maybe\n" + GOOD)
    assert rejected(bad, fmt="csv") == [
        (3, "lon"), (4, "kind"), (4, "hours"), (4, "amenities"), (4, "synthetic"), (5, "id"),
    ]


def test_swapped_coordinates_and_bad_codes_are_caught():
    row = "a-9,x,rest_station,29.6,106.5,,,5001,24h,,\n"
    assert rejected(HEADER + row, fmt="csv") == [(2, "lon"), (2, "community_code")]


def test_missing_columns_and_required_values():
    assert rejected("id,name\n1,x\n", fmt="csv") == [(1, "kind"), (1, "lon"), (1, "lat"), (1, "hours")]
    assert rejected(HEADER + "a-1,,rest_station,106.5,29.6,,,,,,\n", fmt="csv") == [
        (2, "name"), (2, "hours"),
    ]


def test_progress_is_reported():
    seen = []
    parse_stations(HEADER + GOOD, fmt="csv", progress=lambda *a: seen.append(a))
    assert seen == [("validated", 1, 1)]


def feature(props: dict, coords=(106.51, 29.6), kind="Point") -> dict:
    """A GeoJSON feature."""
    return {"type": "Feature", "geometry": {"type": kind, "coordinates": list(coords)}, "properties": props}


def test_geojson_with_a_gcj02_hint_and_feature_numbers_in_errors():
    glon, glat = wgs84_to_gcj02(106.51, 29.60)
    props = {"id": "j-1", "name": "卫生服务中心", "kind": "社区卫生服务中心", "hours": "Mo-Su 08:00-17:00",
             "amenities": ["急救", "toilet"]}
    doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "GCJ-02"}},
           "features": [feature(props, (glon, glat))]}
    [s] = parse_stations(json.dumps(doc, ensure_ascii=False), fmt="geojson")
    assert (s.lon, s.lat) == pytest.approx((106.51, 29.60), abs=1e-6)
    assert s.kind == "health_centre" and s.amenities == {"first_aid", "toilet"}
    doc["features"] += [feature({**props, "id": "j-2"}, kind="LineString"), feature({**props, "id": "j-3",
                                                                                       "hours": "soon"})]
    assert rejected(json.dumps(doc), fmt="geojson") == [(2, "lon"), (2, "lat"), (3, "hours")]


def test_files_that_are_not_station_files():
    assert rejected("{not json", fmt="geojson") == [(0, "file")]
    assert rejected('{"type": "Feature"}', fmt="geojson") == [(0, "file")]
    assert rejected(HEADER, fmt="csv") == [(0, "file")]
    assert rejected(HEADER + GOOD, fmt="csv", crs="BD09") == [(0, "crs")]
    assert rejected(b"\xff\xfe\x00", fmt="csv") == [(0, "file")]

"""Invariants of the shipped synthetic Yubei street/community polygons."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from services.routing.geodata import generate
from services.routing.geodata.loader import SYNTHETIC_PATH, load_geojson_jurisdictions

GEODATA = Path(generate.__file__).resolve().parent


def _csv_codes(name: str) -> dict[str, dict[str, str]]:
    with (GEODATA / name).open(encoding="utf-8", newline="") as f:
        return {r["code"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def data():
    return json.loads(SYNTHETIC_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def jurisdictions():
    return load_geojson_jurisdictions(SYNTHETIC_PATH)


@pytest.fixture(scope="module")
def outline():
    raw = json.loads((GEODATA / "yubei_boundary_wgs84.geojson").read_text(encoding="utf-8"))
    return shape(raw["features"][0]["geometry"])


def test_reference_files_and_licences_are_shipped():
    for name in [
        "README.md",
        "yubei_streets.csv",
        "yubei_communities.csv",
        "demo_places.csv",
        "yubei_boundary.geojson",
        "yubei_boundary_wgs84.geojson",
    ]:
        assert (GEODATA / name).stat().st_size > 0, name
    assert len(list((GEODATA / "LICENSES").glob("*.txt"))) >= 2


def test_file_is_labelled_synthetic_and_small(data):
    assert data["synthetic"] is True
    assert "synthetic" in data["note"].lower() and "not official" in data["note"].lower()
    assert all(f["properties"]["synthetic"] is True for f in data["features"])
    assert SYNTHETIC_PATH.stat().st_size < 3_000_000


def test_counts_and_codes_match_csv(jurisdictions):
    streets, communities = jurisdictions
    street_rows = _csv_codes("yubei_streets.csv")
    comm_rows = _csv_codes("yubei_communities.csv")
    assert len(streets) == 30 and len(communities) == 412
    assert {s.code for s in streets} == set(street_rows)
    assert {c.code for c in communities} == set(comm_rows)
    for s in streets:
        assert s.parent_code == "500112"
        assert s.name == street_rows[s.code]["name"]
        assert s.properties["kind"] == street_rows[s.code]["kind"]
    for c in communities:
        assert c.parent_code == comm_rows[c.code]["street_code"]
        assert c.name == comm_rows[c.code]["name"]
    per_street = {code: 0 for code in street_rows}
    for c in communities:
        per_street[c.parent_code] += 1
    assert per_street == {k: int(r["community_count"]) for k, r in street_rows.items()}


def test_every_geometry_is_a_valid_nonempty_polygon(jurisdictions):
    streets, communities = jurisdictions
    for j in streets + communities:
        assert j.geometry.geom_type in ("Polygon", "MultiPolygon"), j.code
        assert j.geometry.is_valid and not j.geometry.is_empty, j.code
        assert j.geometry.area > 0


def test_communities_nest_inside_their_street(jurisdictions):
    streets, communities = jurisdictions
    by_code = {s.code: s.geometry for s in streets}
    for c in communities:
        outside = c.geometry.difference(by_code[c.parent_code]).area
        assert outside <= 1e-9 * c.geometry.area, c.code


def test_communities_tile_their_street(jurisdictions):
    streets, communities = jurisdictions
    for s in streets:
        mine = [c.geometry for c in communities if c.parent_code == s.code]
        total = sum(g.area for g in mine)
        assert total == pytest.approx(s.geometry.area, rel=1e-7), s.code
        assert shapely.union_all(mine).area == pytest.approx(total, rel=1e-7), s.code


def test_streets_tile_the_district_outline(jurisdictions, outline):
    streets, _ = jurisdictions
    geoms = [s.geometry for s in streets]
    union = shapely.union_all(geoms)
    total = sum(g.area for g in geoms)
    assert union.area / outline.area == pytest.approx(1.0, abs=1e-4)
    # Overlap would make the summed area exceed the union's.
    assert total / union.area == pytest.approx(1.0, abs=1e-7)
    assert outline.symmetric_difference(union).area / outline.area < 1e-4


def test_towns_are_larger_than_urban_streets(jurisdictions):
    streets, _ = jurisdictions
    town = [s.geometry.area for s in streets if s.properties["kind"] == "镇"]
    urban = [s.geometry.area for s in streets if s.properties["kind"] == "街道"]
    assert min(town) > sum(urban) / len(urban)


def test_generator_is_deterministic(tmp_path):
    out = tmp_path / "gen.geojson"
    generate.build(out)
    assert out.read_bytes() == SYNTHETIC_PATH.read_bytes()

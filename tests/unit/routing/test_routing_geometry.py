"""JurisdictionIndex lookups against the shipped synthetic communities."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from services.routing.domain.geometry import JurisdictionIndex, metres_per_degree
from services.routing.geodata.loader import load_geojson_jurisdictions


@pytest.fixture(scope="module")
def communities():
    return load_geojson_jurisdictions()[1]


@pytest.fixture(scope="module")
def index(communities):
    return JurisdictionIndex([(c.code, c.geometry) for c in communities])


def test_representative_point_of_each_community_locates_to_it(index, communities):
    pts = [c.geometry.representative_point() for c in communities]
    lons = np.array([p.x for p in pts])
    lats = np.array([p.y for p in pts])
    assert index.locate_many(lons, lats) == [c.code for c in communities]


def test_points_outside_the_district_are_none(index):
    assert index.locate(106.2, 29.5) is None
    assert index.locate_many(np.array([0.0, 120.0]), np.array([0.0, 40.0])) == [None, None]


def test_locate_matches_locate_many_and_empty_input(index, communities):
    p = communities[7].geometry.representative_point()
    assert index.locate(p.x, p.y) == communities[7].code
    assert index.locate_many(np.array([]), np.array([])) == []


def test_shared_border_resolves_to_smallest_code():
    idx = JurisdictionIndex([("b", box(1, 0, 2, 1)), ("a", box(0, 0, 1, 1))])
    assert idx.locate(1.0, 0.5) == "a"
    assert idx.locate(1.5, 0.5) == "b"
    assert idx.codes == ["a", "b"]


def test_duplicate_codes_rejected():
    with pytest.raises(ValueError):
        JurisdictionIndex([("a", box(0, 0, 1, 1)), ("a", box(1, 0, 2, 1))])


def test_metres_per_degree_at_yubei():
    m_lon, m_lat = metres_per_degree(29.7)
    assert m_lat == pytest.approx(110_850, abs=20)
    assert m_lon == pytest.approx(96_770, abs=30)


def test_boundary_neighbours_respect_distance():
    m_lon, _ = metres_per_degree(29.7)
    west = box(106.5, 29.7, 106.6, 29.8)
    east = box(106.6, 29.7, 106.7, 29.8)
    idx = JurisdictionIndex([("w", west), ("e", east)])
    # 50 m west of the shared border at x = 106.6.
    lon = 106.6 - 50 / m_lon
    assert idx.locate(lon, 29.75) == "w"
    assert idx.boundary_neighbours(lon, 29.75, 60) == ["e"]
    assert idx.boundary_neighbours(lon, 29.75, 40) == []


def test_boundary_neighbours_on_real_data_are_adjacent(index, communities):
    geoms = {c.code: c.geometry for c in communities}
    code = communities[0].code
    poly = geoms[code]
    # A point just inside the polygon's boundary is near at least one neighbour.
    border = shapely.get_coordinates(poly.exterior)
    point = None
    for x, y in border:
        candidate = shapely.Point(x, y)
        if index.locate(x, y) == code and index.boundary_neighbours(x, y, 1.0):
            point = candidate
            break
    assert point is not None
    near = index.boundary_neighbours(point.x, point.y, 1.0)
    assert code not in near
    for other in near:
        assert geoms[other].distance(point) < 1e-4


def test_nearest_neighbours_of_many_points_equal_the_one_point_search(index, communities):
    # Points on and near every community's border (where co-owners exist) plus random ones.
    rng = np.random.default_rng(7)
    border = np.concatenate([shapely.get_coordinates(c.geometry.exterior)[::7] for c in communities])
    jitter = rng.normal(scale=0.0002, size=border.shape)  # about 20 m
    lo, hi = border.min(axis=0), border.max(axis=0)
    spread = rng.uniform(lo, hi, size=(2_000, 2))
    points = np.concatenate([border, border + jitter, spread])
    for within_m in (30.0, 150.0):
        got = index.nearest_neighbours(points[:, 0], points[:, 1], within_m)
        want = [
            (index.boundary_neighbours(x, y, within_m) or [None])[0] for x, y in points.tolist()
        ]
        assert got == want
        assert sum(g is not None for g in got) > 100, "the sample reaches many boundaries"
        assert sum(g is None for g in got) > 100

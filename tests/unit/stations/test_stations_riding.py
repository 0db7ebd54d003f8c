"""Riding-time maths and great-circle distances."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.stations.domain.riding import EARTH_RADIUS_M, RidingModel, haversine_m


def test_fifteen_minutes_at_fifteen_kmh_with_detour():
    m = RidingModel(speed_kmh=15, detour_factor=1.3)
    # 15 min at 15 km/h is 3,750 m of road; a straight line of 3750 / 1.3 m.
    assert m.reach_m(15) == pytest.approx(3750 / 1.3)
    assert m.minutes(3750 / 1.3) == pytest.approx(15)
    assert m.minutes(1000) == pytest.approx(1300 / 250)
    assert "1.3" in m.describe() and "15 km/h" in m.describe()


def test_without_detour_the_circle_is_speed_times_time():
    assert RidingModel(speed_kmh=12, detour_factor=1.0).reach_m(10) == pytest.approx(2000)


@pytest.mark.parametrize("kwargs", [{"speed_kmh": 0}, {"detour_factor": 0.9}])
def test_impossible_models_are_refused(kwargs):
    with pytest.raises(ValueError):
        RidingModel(**kwargs)


def test_haversine_matches_known_distances():
    one_degree = EARTH_RADIUS_M * math.pi / 180
    assert haversine_m(106.5, 29.0, 106.5, 30.0) == pytest.approx(one_degree)
    assert haversine_m(106.5, 29.6, 106.5, 29.6) == 0
    # Along a parallel a degree shrinks with the cosine of the latitude (short arc ≈ chord).
    d = haversine_m(106.0, 29.7, 106.01, 29.7)
    assert d == pytest.approx(one_degree * 0.01 * math.cos(math.radians(29.7)), rel=1e-6)


def test_haversine_is_vectorised():
    d = haversine_m(106.5, 29.6, np.array([106.5, 106.6]), np.array([29.7, 29.6]))
    assert d.shape == (2,) and d[0] == pytest.approx(haversine_m(106.5, 29.6, 106.5, 29.7))

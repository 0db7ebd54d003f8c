"""GCJ-02 ⇄ WGS84 conversion (scalar and vectorised numpy), pure functions."""

from __future__ import annotations

import math

import numpy as np

# GCJ-02 is defined on the Krasovsky 1940 ellipsoid, not on WGS84's.
_A = 6378245.0
_EE = 0.00669342162296594323

# The offset is only applied inside mainland China's rough bounding box; outside it the
# published algorithm returns the input unchanged, and so must we to stay compatible.
_LON_MIN, _LON_MAX = 72.004, 137.8347
_LAT_MIN, _LAT_MAX = 0.8293, 55.8271

_INVERSE_TOL_DEG = 1e-10
_INVERSE_MAX_ITER = 30


def _offsets(lon, lat, xp):
    """(dlon, dlat) GCJ-02 offset in degrees, for floats (xp=math) or arrays (xp=numpy)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    common = (20.0 * xp.sin(6.0 * x * pi) + 20.0 * xp.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * xp.sqrt(abs(x))
    dlat = dlat + common
    dlat = dlat + (20.0 * xp.sin(y * pi) + 40.0 * xp.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * xp.sin(y / 12.0 * pi) + 320.0 * xp.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * xp.sqrt(abs(x))
    dlon = dlon + common
    dlon = dlon + (20.0 * xp.sin(x * pi) + 40.0 * xp.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * xp.sin(x / 12.0 * pi) + 300.0 * xp.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * xp.sin(radlat) ** 2
    sqrtmagic = xp.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * xp.cos(radlat) * pi)
    return dlon, dlat


def out_of_china(lon: float, lat: float) -> bool:
    """True when the point lies outside the box where GCJ-02 applies an offset."""
    return not (_LON_MIN <= lon <= _LON_MAX and _LAT_MIN <= lat <= _LAT_MAX)


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Convert one WGS84 lon/lat to GCJ-02."""
    if out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _offsets(lon, lat, math)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert one GCJ-02 lon/lat to WGS84 by fixed-point iteration (error < 1e-9 deg)."""
    if out_of_china(lon, lat):
        return lon, lat
    # The offset field is smooth (gradient ~1e-5 per degree), so the fixed point
    # w = g - offset(w) converges by several digits per step.
    wlon, wlat = lon, lat
    for _ in range(_INVERSE_MAX_ITER):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = glon - lon, glat - lat
        wlon, wlat = wlon - elon, wlat - elat
        if abs(elon) < _INVERSE_TOL_DEG and abs(elat) < _INVERSE_TOL_DEG:
            break
    return wlon, wlat


def _outside_mask(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < _LON_MIN) | (lon > _LON_MAX) | (lat < _LAT_MIN) | (lat > _LAT_MAX)


def wgs84_to_gcj02_np(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised WGS84 → GCJ-02 for arrays of lon/lat."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _offsets(lon, lat, np)
    outside = _outside_mask(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_wgs84_np(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised GCJ-02 → WGS84 by fixed-point iteration (error < 1e-9 deg)."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(_INVERSE_MAX_ITER):
        glon, glat = wgs84_to_gcj02_np(wlon, wlat)
        elon, elat = glon - lon, glat - lat
        wlon, wlat = wlon - elon, wlat - elat
        if elon.size == 0 or max(np.abs(elon).max(), np.abs(elat).max()) < _INVERSE_TOL_DEG:
            break
    return wlon, wlat

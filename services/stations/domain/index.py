"""In-memory nearest-station index: a uniform grid on projected metres, exact great-circle ranking."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from services.stations.domain.hours import week_minute
from services.stations.domain.riding import EARTH_RADIUS_M, haversine_m
from services.stations.domain.station import Station, amenity_mask

# The grid only prunes; ranking uses exact haversine. Its flat (equirectangular) frame is off
# by < 1 % within ~1.5° of its centre latitude, so "covered" radii are shrunk by this margin.
_PROJECTION_MARGIN = 0.02
# Past this distance from the grid the flat frame is meaningless: rank every station instead.
_FAR_M = 150_000.0


class StationIndex:
    """Stations ordered by id, with a grid over them for k-nearest queries with filters."""

    def __init__(self, stations: Sequence[Station], *, cell_m: float = 1000.0) -> None:
        self.stations = sorted(stations, key=lambda s: s.station_id)  # index order = tie-break
        self.by_id = {s.station_id: i for i, s in enumerate(self.stations)}
        n = len(self.stations)
        self.lon = np.array([s.lon for s in self.stations], dtype=np.float64)
        self.lat = np.array([s.lat for s in self.stations], dtype=np.float64)
        self.amenities = np.array([amenity_mask(s.amenities) for s in self.stations], dtype=np.int64)
        self.kinds = np.array([s.kind for s in self.stations], dtype=object)
        spans = [(i, s, e) for i, st in enumerate(self.stations) for s, e in st.hours.weekly()]
        self._iv = np.array(spans, dtype=np.int64).reshape(-1, 3)
        self._cell = cell_m
        self._lat0 = float(self.lat.mean()) if n else 29.7
        self._m_lat = EARTH_RADIUS_M * math.pi / 180.0
        self._m_lon = self._m_lat * math.cos(math.radians(self._lat0))
        x, y = self._project(self.lon, self.lat)
        self._x0, self._y0 = (float(x.min()), float(y.min())) if n else (0.0, 0.0)
        self._w = int((x.max() - self._x0) // cell_m) + 1 if n else 1
        self._h = int((y.max() - self._y0) // cell_m) + 1 if n else 1
        cells = ((x - self._x0) // cell_m).astype(np.int64) * self._h + (
            (y - self._y0) // cell_m
        ).astype(np.int64)
        self._order = np.argsort(cells, kind="stable")
        self._starts = np.searchsorted(cells[self._order], np.arange(self._w * self._h + 1))
        self._open_cache: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.stations)

    def _project(self, lon, lat):
        return np.asarray(lon) * self._m_lon, (np.asarray(lat) - self._lat0) * self._m_lat

    def open_mask(self, at) -> np.ndarray:
        """Which stations are open at an instant (cached per minute)."""
        w = week_minute(at)
        if self._open_cache is None or self._open_cache[0] != w:
            mask = np.zeros(len(self.stations), dtype=bool)
            iv = self._iv
            mask[iv[(iv[:, 1] <= w) & (w < iv[:, 2]), 0]] = True
            self._open_cache = (w, mask)
        return self._open_cache[1]

    def accept(self, *, amenities=(), kinds=(), open_at=None) -> np.ndarray | None:
        """The filter mask for amenities (all required), kinds (any of) and open-at; None if none."""
        mask = None
        if amenities:
            need = amenity_mask(amenities)
            mask = (self.amenities & need) == need
        if kinds:
            k = np.isin(self.kinds, list(kinds))
            mask = k if mask is None else mask & k
        if open_at is not None:
            o = self.open_mask(open_at)
            mask = o if mask is None else mask & o
        return mask

    def nearest(
        self, lon: float, lat: float, *, limit: int, accept: np.ndarray | None = None,
        max_m: float | None = None,
    ) -> list[tuple[int, float]]:
        """(station index, great-circle metres) of the nearest accepted stations, nearest first."""
        if not self.stations or limit <= 0:
            return []
        qx, qy = (float(v) for v in self._project(lon, lat))
        cx, cy = int((qx - self._x0) // self._cell), int((qy - self._y0) // self._cell)
        far = max(-cx, cx - self._w + 1, -cy, cy - self._h + 1, 0)
        if far * self._cell > _FAR_M:
            return self._rank(np.arange(len(self.stations)), lon, lat, limit, accept, max_m)
        r = max(far, 1)
        while True:
            x0, x1 = max(cx - r, 0), min(cx + r, self._w - 1)
            y0, y1 = max(cy - r, 0), min(cy + r, self._h - 1)
            cols = [self._order[self._starts[c * self._h + y0]:self._starts[c * self._h + y1 + 1]]
                    for c in range(x0, x1 + 1)]
            cand = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
            ranked = self._rank(cand, lon, lat, limit, accept, max_m)
            covered = min(
                qx - (self._x0 + x0 * self._cell) if x0 > 0 else math.inf,
                self._x0 + (x1 + 1) * self._cell - qx if x1 < self._w - 1 else math.inf,
                qy - (self._y0 + y0 * self._cell) if y0 > 0 else math.inf,
                self._y0 + (y1 + 1) * self._cell - qy if y1 < self._h - 1 else math.inf,
            ) * (1 - _PROJECTION_MARGIN)
            # Done when nothing outside the block could be nearer than what was found.
            if (len(ranked) == limit and ranked[-1][1] <= covered) or covered == math.inf:
                return ranked
            if max_m is not None and max_m <= covered:
                return ranked
            r *= 2

    def _rank(self, cand, lon, lat, limit, accept, max_m) -> list[tuple[int, float]]:
        if accept is not None:
            cand = cand[accept[cand]]
        d = haversine_m(lon, lat, self.lon[cand], self.lat[cand])
        if max_m is not None:
            keep = d <= max_m
            cand, d = cand[keep], d[keep]
        order = np.lexsort((cand, d))[:limit]
        return [(int(i), float(v)) for i, v in zip(cand[order], d[order], strict=True)]

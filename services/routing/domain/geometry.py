"""Point-in-jurisdiction lookup over community polygons (pure shapely/numpy, WGS84)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

# Yubei spans 29.58–30.13°N; 29.7°N is its populated south. At that latitude one degree is
# ≈110.85 km north–south and ≈96.77 km east–west (see metres_per_degree).
REFERENCE_LAT = 29.7


def metres_per_degree(lat: float = REFERENCE_LAT) -> tuple[float, float]:
    """Metres per degree of (longitude, latitude) at lat on the WGS84 ellipsoid."""
    # Standard truncated series; accurate to ~1 m per degree, far below what a
    # "near the boundary" radius of tens of metres needs.
    phi = math.radians(lat)
    m_lat = 111_132.954 - 559.822 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
    m_lon = 111_412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi) + 0.118 * math.cos(5 * phi)
    return m_lon, m_lat


class JurisdictionIndex:
    """Spatial index of community polygons answering 'which community owns this point?'."""

    def __init__(self, items: Iterable[tuple[str, BaseGeometry]]) -> None:
        # Sorting by code makes tree index order equal code order, so "smallest index"
        # is the deterministic tie-break for points on a shared border.
        pairs = sorted(items, key=lambda p: p[0])
        codes = [c for c, _ in pairs]
        if len(set(codes)) != len(codes):
            raise ValueError("duplicate jurisdiction codes")
        self._codes = codes
        self._geoms = np.array([g for _, g in pairs], dtype=object)
        # Prepared geometries make the intersects predicate much cheaper per candidate.
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)
        # Trailing None is what "no hit" indices point at.
        self._lookup = np.array([*codes, None], dtype=object)

    def __len__(self) -> int:
        return len(self._codes)

    @property
    def codes(self) -> list[str]:
        """Codes in index order (sorted)."""
        return list(self._codes)

    def geometry(self, code: str) -> BaseGeometry:
        """Polygon of one community by code."""
        return self._geoms[self._codes.index(code)]

    def locate_indices(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Index of the owning polygon per point, len(self) where nothing contains it."""
        pts = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        hit_pt, hit_geom = self._tree.query(pts, predicate="intersects")
        out = np.full(len(pts), len(self._codes), dtype=np.intp)
        np.minimum.at(out, hit_pt, hit_geom)
        return out

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> list[str | None]:
        """Owning community code per (lon, lat) point, None outside every polygon."""
        return self.codes_of(self.locate_indices(lons, lats))

    def codes_of(self, indices: np.ndarray) -> list[str | None]:
        """Codes of indices from ``locate_indices`` (None for "outside every polygon")."""
        return self._lookup[indices].tolist()

    def locate(self, lon: float, lat: float) -> str | None:
        """Owning community code of one point, None outside every polygon."""
        return self.locate_many(np.array([lon]), np.array([lat]))[0]

    def boundary_neighbours(self, lon: float, lat: float, within_m: float) -> list[str]:
        """Other communities within within_m metres of the point, nearest first.

        Distances use a local equirectangular frame centred on the point, with metres per
        degree taken at the point's own latitude (cos correction for longitude); over a
        few kilometres at ~29.7°N this is within 0.1 % of the geodesic distance.
        """
        if within_m < 0:
            raise ValueError("within_m must be >= 0")
        owner = self.locate(lon, lat)
        m_lon, m_lat = metres_per_degree(lat)
        dlon, dlat = within_m / m_lon, within_m / m_lat
        cand = self._tree.query(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))
        scale = np.array([m_lon, m_lat])
        origin = np.array([lon, lat])
        local = shapely.transform(self._geoms[cand], lambda c: (c - origin) * scale)
        dist = shapely.distance(local, shapely.Point(0.0, 0.0))
        found = [
            (float(d), self._codes[i])
            for i, d in zip(cand, dist, strict=True)
            if d <= within_m and self._codes[i] != owner
        ]
        return [code for _, code in sorted(found)]

    def nearest_neighbours(
        self, lons: np.ndarray, lats: np.ndarray, within_m: float, owners: np.ndarray | None = None
    ) -> list[str | None]:
        """Per point, ``boundary_neighbours(...)[0]`` or None, for many points at once.

        ``owners``: the points' ``locate_indices``, when the caller has them already.

        One bulk query finds the (point, polygon) pairs whose box around the point reaches a polygon
        other than the owner's (points near a boundary); only those pairs get the exact distance,
        all at once, in the same local frame as ``boundary_neighbours``.
        """
        if within_m < 0:
            raise ValueError("within_m must be >= 0")
        lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
        out: list[str | None] = [None] * len(lons)
        if not len(lons):
            return out
        if owners is None:
            owners = self.locate_indices(lons, lats)
        phi = np.radians(lats)
        # metres_per_degree, vectorised; the box is only a pre-filter, so a slightly larger one
        # (1 %) keeps every polygon the exact check would find.
        m_lat = 111_132.954 - 559.822 * np.cos(2 * phi) + 1.175 * np.cos(4 * phi)
        m_lon = 111_412.84 * np.cos(phi) - 93.5 * np.cos(3 * phi) + 0.118 * np.cos(5 * phi)
        dlon, dlat = 1.01 * within_m / m_lon, 1.01 * within_m / m_lat
        boxes = shapely.box(lons - dlon, lats - dlat, lons + dlon, lats + dlat)
        point, geom = self._tree.query(boxes, predicate="intersects")
        other = geom != owners[point]
        point, geom = point[other], geom[other]
        if not len(point):
            return out
        # Each pair's polygon in its point's local frame, with the scalar metres_per_degree of
        # boundary_neighbours, so both give the same distances to the last bit.
        near_points, of_point = np.unique(point, return_inverse=True)
        scale = np.array([metres_per_degree(float(lats[i])) for i in near_points.tolist()])[of_point]
        origin = np.column_stack([lons[point], lats[point]])
        coords, of_pair = shapely.get_coordinates(self._geoms[geom], return_index=True)
        local = shapely.set_coordinates(
            self._geoms[geom].copy(), (coords - origin[of_pair]) * scale[of_pair]
        )
        dist = shapely.distance(local, shapely.Point(0.0, 0.0))
        near = dist <= within_m
        point, geom, dist = point[near], geom[near], dist[near]
        # Nearest first, ties to the smaller code (index order is code order); first row per point.
        order = np.lexsort((geom, dist, point))
        point, geom = point[order], geom[order]
        first = np.ones(len(point), dtype=bool)
        first[1:] = point[1:] != point[:-1]
        for i, g in zip(point[first].tolist(), geom[first].tolist(), strict=True):
            out[i] = self._codes[g]
        return out

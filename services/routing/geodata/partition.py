"""Capacity-constrained power diagrams: split a polygon into cells of given target areas."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

# Metres per degree of latitude (mean); the local frame only has to be isotropic enough
# for Voronoi cells to look round, not survey-grade.
M_PER_DEG = 111_320.0


class LocalFrame:
    """Equirectangular metric frame around a reference point, so distances are isotropic."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0, self.lat0 = lon0, lat0
        self.kx = math.cos(math.radians(lat0)) * M_PER_DEG

    def to_local(self, geom: BaseGeometry) -> BaseGeometry:
        """Project a lon/lat geometry into local metres."""
        k = np.array([self.kx, M_PER_DEG])
        return shapely.transform(geom, lambda c: (c - [self.lon0, self.lat0]) * k)

    def to_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        """Project a local-metre geometry back to lon/lat."""
        k = np.array([self.kx, M_PER_DEG])
        return shapely.transform(geom, lambda c: c / k + [self.lon0, self.lat0])


def grid_samples(poly: BaseGeometry, n_target: int) -> np.ndarray:
    """Regular grid of about n_target points inside poly (deterministic, no RNG)."""
    minx, miny, maxx, maxy = poly.bounds
    step = math.sqrt(poly.area / n_target)
    xs = np.arange(minx + step / 2, maxx, step)
    ys = np.arange(miny + step / 2, maxy, step)
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(poly, gx, gy)
    return np.column_stack([gx[inside], gy[inside]])


def kmeans(pts: np.ndarray, k: int, rng: np.random.Generator, iters: int = 30) -> np.ndarray:
    """k-means++ seeding followed by plain Lloyd iterations on sample points."""
    centres = [pts[rng.integers(len(pts))]]
    d2 = ((pts - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        # Cumulative-sum sampling keeps the draw reproducible for a given seed.
        cum = np.cumsum(d2)
        idx = int(np.searchsorted(cum, rng.random() * cum[-1]))
        centres.append(pts[min(idx, len(pts) - 1)])
        d2 = np.minimum(d2, ((pts - centres[-1]) ** 2).sum(1))
    c = np.array(centres)
    for _ in range(iters):
        lab = _assign(pts, c, np.zeros(k))
        c = _centroids(pts, lab, c)
    return c


def _assign(pts: np.ndarray, sites: np.ndarray, weights: np.ndarray) -> np.ndarray:
    # Plain broadcasting rather than a BLAS matmul: bit-identical results on every machine.
    dx = pts[:, 0:1] - sites[:, 0]
    dy = pts[:, 1:2] - sites[:, 1]
    return (dx * dx + dy * dy - weights).argmin(1)


def _centroids(pts: np.ndarray, lab: np.ndarray, old: np.ndarray) -> np.ndarray:
    k = len(old)
    n = np.bincount(lab, minlength=k).astype(float)
    sx = np.bincount(lab, weights=pts[:, 0], minlength=k)
    sy = np.bincount(lab, weights=pts[:, 1], minlength=k)
    out = old.copy()
    has = n > 0
    out[has, 0] = sx[has] / n[has]
    out[has, 1] = sy[has] / n[has]
    return out


def fit_power_diagram(
    pts: np.ndarray, sites: np.ndarray, target_frac: np.ndarray, area: float, iters: int = 300
) -> tuple[np.ndarray, np.ndarray]:
    """Alternate Lloyd moves and weight updates until cell areas approach target_frac."""
    k = len(sites)
    weights = np.zeros(k)
    sites = sites.copy()
    for it in range(iters):
        lab = _assign(pts, sites, weights)
        frac = np.bincount(lab, minlength=k) / len(pts)
        # A power cell's area grows by roughly (pi/2)·dw whatever its size, so an update
        # proportional to the absolute area error is stable for small and large cells alike.
        weights += 0.4 * area * (target_frac - frac)
        weights -= weights.mean()
        # Stop moving sites near the end so the weights can settle on a fixed layout.
        if it < iters * 2 // 3:
            sites = 0.5 * sites + 0.5 * _centroids(pts, lab, sites)
    return sites, weights


def _clip_halfplane(poly: list[tuple[float, float]], a: np.ndarray, b: float):
    """Sutherland–Hodgman clip of a convex polygon to {p : a·p <= b}."""
    out: list[tuple[float, float]] = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        fp = a[0] * p[0] + a[1] * p[1] - b
        fq = a[0] * q[0] + a[1] * q[1] - b
        if fp <= 0:
            out.append(p)
        if (fp <= 0) != (fq <= 0):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the areal parts of a geometry, as Polygon or MultiPolygon."""
    # get_parts flattens one level, which is all GEOS overlay results ever nest.
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and not g.is_empty]
    if not parts:
        return Polygon()
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def power_cells(sites: np.ndarray, weights: np.ndarray, parent: BaseGeometry) -> list:
    """Exact power-diagram cells of the sites, each intersected with parent."""
    minx, miny, maxx, maxy = parent.bounds
    pad = max(maxx - minx, maxy - miny)
    box = [
        (minx - pad, miny - pad),
        (maxx + pad, miny - pad),
        (maxx + pad, maxy + pad),
        (minx - pad, maxy + pad),
    ]
    sq = (sites**2).sum(1)
    cells = []
    for i in range(len(sites)):
        poly = box
        for j in range(len(sites)):
            if j != i and poly:
                # |p-si|²-wi <= |p-sj|²-wj  ⇔  2(sj-si)·p <= |sj|²-|si|² - wj + wi
                a = 2.0 * (sites[j] - sites[i])
                poly = _clip_halfplane(poly, a, sq[j] - sq[i] - weights[j] + weights[i])
        cell = Polygon(poly) if len(poly) >= 3 else Polygon()
        cells.append(polygonal(cell.intersection(parent)))
    return cells


def merge_fragments(cells: list, keep_ratio: float = 0.25, eps: float = 1.0) -> list:
    """Hand small detached parts of a cell to the neighbour sharing the longest border."""
    cells = list(cells)
    for i, cell in enumerate(cells):
        parts = sorted(shapely.get_parts(cell), key=lambda p: -p.area)
        if len(parts) < 2:
            continue
        kept = [parts[0]]
        for frag in parts[1:]:
            # Borders come from independent clips, so measure overlap with a metre of slack.
            halo = frag.buffer(eps)
            shared = [
                (halo.intersection(c.boundary).length, -j)
                for j, c in enumerate(cells)
                if j != i and not c.is_empty
            ]
            length, neg_j = max(shared, default=(0.0, 0))
            if frag.area >= keep_ratio * parts[0].area or length <= 2 * eps:
                kept.append(frag)
                continue
            cells[-neg_j] = polygonal(cells[-neg_j].union(frag))
        cells[i] = kept[0] if len(kept) == 1 else MultiPolygon(kept)
    return cells


def snap_coverage(cells: list, outline: BaseGeometry, grid: float) -> list:
    """Node all cell edges on a fixed grid and rebuild every cell from the shared faces.

    Cells clipped independently disagree by float noise along shared borders; rebuilding
    them from one planar arrangement makes neighbours share identical vertices, so the
    result tiles the outline exactly and unions of cells nest exactly.
    """
    outline = shapely.set_precision(outline, grid)
    lines = [outline.boundary] + [c.boundary for c in cells]
    noded = shapely.union_all(lines, grid_size=grid)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    reps = shapely.point_on_surface(faces)
    tree = shapely.STRtree(cells)
    owned: list[list] = [[] for _ in cells]
    for face, rep, inside in zip(faces, reps, shapely.contains(outline, reps), strict=True):
        if not inside:
            continue
        hits = tree.query(rep, predicate="intersects")
        if len(hits) == 0:
            # A sliver gap between independent clips: give it to the nearest cell.
            hits = tree.query_nearest(rep)[:1]
        owner = max(hits, key=lambda j: (cells[j].intersection(face).area, -j))
        owned[owner].append(face)
    return [shapely.union_all(fs, grid_size=grid) if fs else Polygon() for fs in owned]

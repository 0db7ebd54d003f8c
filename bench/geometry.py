"""Routing geometry: point-to-community lookups per second over all communities."""

from __future__ import annotations

import time

import numpy as np

from services.routing.domain.geometry import JurisdictionIndex
from services.routing.geodata.loader import SYNTHETIC_PATH, load_geojson_jurisdictions


def load_index() -> tuple[JurisdictionIndex, list, tuple[float, float, float, float]]:
    """The shipped (synthetic) communities, their index and the district's bounding box."""
    _streets, communities = load_geojson_jurisdictions(SYNTHETIC_PATH, None)
    index = JurisdictionIndex((c.code, c.geometry) for c in communities)
    xs0, ys0, xs1, ys1 = zip(*(c.geometry.bounds for c in communities), strict=True)
    return index, communities, (min(xs0), min(ys0), max(xs1), max(ys1))


def bench_geometry(points: int, batch_sizes: tuple[int, ...], time_cap_s: float, seed: int = 7) -> dict:
    """locate_many over ``points`` random points in the bbox, per batch size, each capped in time."""
    t_load = time.perf_counter()
    index, _communities, bbox = load_index()
    load_s = time.perf_counter() - t_load
    rng = np.random.default_rng(seed)
    lons = rng.uniform(bbox[0], bbox[2], points)
    lats = rng.uniform(bbox[1], bbox[3], points)
    results = []
    for size in batch_sizes:
        done = hits = 0
        t0 = time.perf_counter()
        deadline = t0 + time_cap_s
        for start in range(0, points, size):
            found = index.locate_many(lons[start : start + size], lats[start : start + size])
            done += len(found)
            hits += sum(1 for c in found if c is not None)
            if time.perf_counter() > deadline:
                break
        elapsed = time.perf_counter() - t0
        results.append(
            {
                "batch": size,
                "points": done,
                "seconds": elapsed,
                "per_s": done / elapsed,
                "inside_share": hits / max(1, done),
                "capped": done < points,
            }
        )
    return {
        "communities": len(index),
        "bbox": bbox,
        "index_build_s": load_s,
        "points": points,
        "results": results,
    }


def bench_owners(n: int, time_cap_s: float, co_owner_m: float = 30.0, seed: int = 8) -> dict:
    """What routing does per batch: locate_many plus the per-point boundary co-owner search."""
    from services.routing.app.route_report import Locator

    index, communities, bbox = load_index()
    locator = Locator(
        index=index, street_of={c.code: c.parent_code for c in communities}, co_owner_m=co_owner_m
    )
    rng = np.random.default_rng(seed)
    pts = list(
        zip(rng.uniform(bbox[0], bbox[2], n).tolist(), rng.uniform(bbox[1], bbox[3], n).tolist(), strict=True)
    )
    done = 0
    t0 = time.perf_counter()
    for start in range(0, n, 500):
        locator.owners(pts[start : start + 500])
        done = min(n, start + 500)
        if time.perf_counter() - t0 > time_cap_s:
            break
    elapsed = time.perf_counter() - t0
    return {
        "points": done,
        "seconds": elapsed,
        "per_s": done / elapsed,
        "batch": 500,
        "co_owner_m": co_owner_m,
    }

""""Me too": a report of the same thing close by, soon after, joins the open case instead."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

EARTH_RADIUS_M = 6_371_008.8
SEVERITY_ORDER = ("low", "medium", "high", "urgent")


@dataclass(frozen=True)
class DuplicateRule:
    """How close and how recent a report must be to join a case of its category."""

    radius_m: float
    window: timedelta


# Elderly check-ins are about one person each, and activity logs never form cases: no rule.
RULES: dict[str, DuplicateRule] = {
    "hazard": DuplicateRule(50, timedelta(hours=72)),
    "civility": DuplicateRule(50, timedelta(hours=24)),
    "food_safety": DuplicateRule(30, timedelta(days=7)),
    "residents_voice": DuplicateRule(150, timedelta(days=14)),
}


@dataclass(frozen=True)
class OpenCaseNearby:
    """A candidate open case: where and when it was opened."""

    case_id: str
    lon: float
    lat: float
    opened_at: datetime


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def search_box(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """A lon/lat box that contains every point within the radius (for an indexed pre-filter)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def find_duplicate(
    kind: str, lon: float, lat: float, now: datetime, candidates: Iterable[OpenCaseNearby]
) -> str | None:
    """The nearest open case this report duplicates, or None."""
    rule = RULES.get(kind)
    if rule is None:
        return None
    best: tuple[float, str] | None = None
    x0, y0, x1, y1 = search_box(lon, lat, rule.radius_m)
    for c in candidates:
        # The box first: candidates are every open case of the category near any report of the
        # batch, and most are far from this one.
        if not (x0 <= c.lon <= x1 and y0 <= c.lat <= y1) or now - c.opened_at > rule.window:
            continue
        d = distance_m(lon, lat, c.lon, c.lat)
        if d <= rule.radius_m and (best is None or (d, c.case_id) < best):
            best = (d, c.case_id)
    return best[1] if best else None


RAISE_AT = (3, 6)


def raised_severity(severity: str, cluster_size: int) -> str:
    """More reports of one thing mean it matters more: one level up at 3 reports, another at 6.

    ``severity`` is the case's current one and ``cluster_size`` the size just reached, so the
    raise happens once per threshold: two levels above the first report's severity at 6, not one
    more level with every report after the third.
    """
    if cluster_size not in RAISE_AT:
        return severity
    index = SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else 1
    return SEVERITY_ORDER[min(index + 1, len(SEVERITY_ORDER) - 1)]

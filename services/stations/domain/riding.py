"""Distances on the sphere and the riding-time model of the 15-minute circle."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Mean Earth radius (IUGG). Between two points a few km apart the spherical distance differs
# from the ellipsoidal one by well under 0.5 %, far finer than the detour factor's guess.
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lon1: float, lat1: float, lon2, lat2):
    """Great-circle metres from one point to one or many points (floats or numpy arrays)."""
    p1, p2 = math.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - lon1)
    a = np.sin(dphi / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


@dataclass(frozen=True)
class RidingModel:
    """Riding time from straight-line distance: a detour factor for the streets, a steady speed."""

    speed_kmh: float = 15.0
    detour_factor: float = 1.3

    def __post_init__(self) -> None:
        if self.speed_kmh <= 0:
            raise ValueError("speed_kmh must be positive")
        if self.detour_factor < 1:
            raise ValueError("detour_factor cannot be below 1: streets are never shorter than a line")

    @property
    def metres_per_minute(self) -> float:
        """Road metres ridden in a minute."""
        return self.speed_kmh * 1000.0 / 60.0

    def minutes(self, straight_m: float) -> float:
        """Riding minutes for a straight-line distance."""
        return straight_m * self.detour_factor / self.metres_per_minute

    def reach_m(self, minutes: float) -> float:
        """The straight-line radius reachable within so many minutes."""
        if minutes < 0:
            raise ValueError("minutes must be >= 0")
        return minutes * self.metres_per_minute / self.detour_factor

    def describe(self) -> str:
        """How riding time is estimated, in words for the response."""
        return (
            f"riding_minutes = straight-line (great-circle) distance × detour factor "
            f"{self.detour_factor:g} ÷ {self.speed_kmh:g} km/h; not a street route"
        )

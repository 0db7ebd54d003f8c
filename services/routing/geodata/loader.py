"""Load street/community jurisdictions from GeoJSON (WGS84 or GCJ-02) into WGS84 shapes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from shared.geo.coords import gcj02_to_wgs84_np

SYNTHETIC_PATH = Path(__file__).resolve().parent / "yubei_jurisdictions_synthetic.geojson"

WGS84 = "WGS84"
GCJ02 = "GCJ-02"


@dataclass(frozen=True)
class Jurisdiction:
    """One street or community: official code, name, parent code and WGS84 geometry."""

    code: str
    name: str
    level: str
    parent_code: str | None
    geometry: BaseGeometry
    properties: dict[str, Any] = field(default_factory=dict, compare=False)


def detect_crs(data: dict[str, Any]) -> str:
    """Guess the coordinate system from a FeatureCollection's crs hints (default WGS84)."""
    # RFC 7946 dropped "crs", so Chinese exporters put hints in ad-hoc places.
    hints = [data.get("crs"), data.get("coordinate_system")]
    for feat in data.get("features", [])[:1]:
        props = feat.get("properties") or {}
        hints += [props.get("crs"), props.get("coordinate_system")]
    text = json.dumps(hints, ensure_ascii=False).upper().replace("_", "-")
    return GCJ02 if "GCJ-02" in text or "GCJ02" in text else WGS84


def _to_wgs84(geom: BaseGeometry) -> BaseGeometry:
    def convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84_np(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.make_valid(shapely.transform(geom, convert))


def parse_jurisdictions(
    data: dict[str, Any], crs: str | None = None
) -> tuple[list[Jurisdiction], list[Jurisdiction]]:
    """Split a parsed FeatureCollection into (streets, communities), converted to WGS84."""
    crs = crs or detect_crs(data)
    if crs not in (WGS84, GCJ02):
        raise ValueError(f"unsupported coordinate system {crs!r}; use {WGS84} or {GCJ02}")
    streets: list[Jurisdiction] = []
    communities: list[Jurisdiction] = []
    for feat in data["features"]:
        props = feat.get("properties") or {}
        level = props.get("level")
        if level not in ("street", "community"):
            continue
        geom = shape(feat["geometry"])
        if crs == GCJ02:
            geom = _to_wgs84(geom)
        elif not geom.is_valid:
            geom = shapely.make_valid(geom)
        parent = props.get("street_code") if level == "community" else props.get("parent")
        item = Jurisdiction(
            str(props["code"]),
            str(props.get("name", "")),
            level,
            None if parent is None else str(parent),
            geom,
            dict(props),
        )
        (streets if level == "street" else communities).append(item)
    streets.sort(key=lambda j: j.code)
    communities.sort(key=lambda j: j.code)
    return streets, communities


def load_geojson_jurisdictions(
    path: str | Path = SYNTHETIC_PATH, crs: str | None = None
) -> tuple[list[Jurisdiction], list[Jurisdiction]]:
    """Read a GeoJSON file and return (streets, communities) in WGS84, sorted by code."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return parse_jurisdictions(data, crs)

"""Validating one imported row into a Station: every problem named by row number and field."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.stations.domain.hours import HoursError, OpeningHours
from services.stations.domain.station import Station, amenity_named, kind_named
from shared.geo.coords import gcj02_to_wgs84

WGS84, GCJ02 = "WGS84", "GCJ-02"
# Chongqing municipality's bounding box: catches swapped or mistyped coordinates while still
# allowing stations just over Yubei's border, where riders also ride.
BOUNDS = (105.28, 28.16, 110.20, 32.21)
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CODE = re.compile(r"^\d{12}$")
_LIST_SPLIT = re.compile(r"[;|,，、；]")
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f", ""}
# Accepted column names for each field, so common spellings of a spreadsheet header work.
ALIASES = {
    "id": ("id", "station_id"), "lon": ("lon", "lng", "longitude"), "lat": ("lat", "latitude"),
    "name": ("name",), "kind": ("kind", "type"), "address": ("address",),
    "community_code": ("community_code", "community"), "hours": ("hours", "opening_hours"),
    "amenities": ("amenities",), "synthetic": ("synthetic",), "crs": ("crs", "coordinate_system"),
}
REQUIRED = ("id", "name", "kind", "lon", "lat", "hours")


@dataclass(frozen=True)
class RowError:
    """One problem: the row (header = row 1 in CSV, feature n = row n in GeoJSON) and field."""

    row: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.problem}"


class ImportRejected(Exception):
    """An import refused whole; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"import refused, nothing written: {shown}{more}")


def crs_named(text: str | None) -> str | None:
    """WGS84 or GCJ-02 from the ways people spell them; None if unrecognised."""
    t = (text or "").strip().upper().replace("_", "-").replace(" ", "")
    return {"WGS84": WGS84, "WGS-84": WGS84, "EPSG:4326": WGS84, "GCJ02": GCJ02, "GCJ-02": GCJ02}.get(t)


def _get(raw: Mapping[str, Any], field: str) -> Any:
    for key in ALIASES[field]:
        if key in raw and raw[key] is not None:
            value = raw[key]
            return value.strip() if isinstance(value, str) else value
    return None


def _number(raw, field, errors, row) -> float | None:
    value = _get(raw, field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.append(RowError(row, field, f"not a number: {value!r}"))
        return None
    if not math.isfinite(number):
        errors.append(RowError(row, field, "not a finite number"))
        return None
    return number


def validate_row(raw: Mapping[str, Any], row: int, default_crs: str = WGS84) -> Station | list[RowError]:
    """A Station from one raw row (values as text or JSON), or every problem found in it."""
    errors: list[RowError] = []
    for field in REQUIRED:
        if _get(raw, field) in (None, ""):
            errors.append(RowError(row, field, "required"))
    if errors:
        return errors
    sid, name = str(_get(raw, "id")), str(_get(raw, "name"))
    if not _ID.match(sid):
        errors.append(RowError(row, "id", "use 1-64 letters, digits, '_' or '-'"))
    if len(name) > 100:
        errors.append(RowError(row, "name", "longer than 100 characters"))
    kind = kind_named(str(_get(raw, "kind")))
    if kind is None:
        errors.append(RowError(row, "kind", f"unknown kind {_get(raw, 'kind')!r}"))
    crs = crs_named(_get(raw, "crs")) if _get(raw, "crs") else default_crs
    if crs is None:
        errors.append(RowError(row, "crs", f"unknown coordinate system {_get(raw, 'crs')!r}"))
    lon, lat = _number(raw, "lon", errors, row), _number(raw, "lat", errors, row)
    if lon is not None and lat is not None and crs is not None:
        if not (BOUNDS[0] <= lon <= BOUNDS[2] and BOUNDS[1] <= lat <= BOUNDS[3]):
            errors.append(RowError(row, "lon", f"({lon}, {lat}) is outside Chongqing; lon/lat swapped?"))
        elif crs == GCJ02:
            lon, lat = gcj02_to_wgs84(lon, lat)
    code = str(_get(raw, "community_code") or "") or None
    if code is not None and not _CODE.match(code):
        errors.append(RowError(row, "community_code", "must be a 12-digit code"))
    try:
        hours = OpeningHours.parse(str(_get(raw, "hours")))
    except HoursError as exc:
        errors.append(RowError(row, "hours", str(exc)))
    amenities = _amenities(_get(raw, "amenities"), errors, row)
    synthetic = _get(raw, "synthetic")
    synthetic = str(synthetic).strip().lower() if synthetic is not None else ""
    if synthetic not in _TRUE | _FALSE:
        errors.append(RowError(row, "synthetic", f"not a yes/no value: {synthetic!r}"))
    address = str(_get(raw, "address") or "")
    if len(address) > 200:
        errors.append(RowError(row, "address", "longer than 200 characters"))
    if errors:
        return errors
    return Station(sid, name, kind, round(lon, 7), round(lat, 7), address, code, hours,  # type: ignore[arg-type]
                   amenities, synthetic in _TRUE)


def _amenities(value: Any, errors: list[RowError], row: int) -> frozenset[str]:
    items = value if isinstance(value, list) else _LIST_SPLIT.split(str(value or ""))
    out = set()
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        name = amenity_named(item)
        if name is None:
            errors.append(RowError(row, "amenities", f"unknown amenity {item!r}"))
        else:
            out.add(name)
    return frozenset(out)

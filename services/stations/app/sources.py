"""Reading station files (CSV, GeoJSON) into validated stations, all-or-nothing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from services.stations.domain.records import (
    ALIASES,
    REQUIRED,
    WGS84,
    ImportRejected,
    RowError,
    crs_named,
    validate_row,
)
from services.stations.domain.station import Station

FORMATS = ("csv", "geojson")
Progress = Callable[[str, int, int], None]  # (stage, rows done, rows in all)
_MAX_ERRORS = 200


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")  # Excel writes a BOM in front of UTF-8 CSV
    except UnicodeDecodeError as exc:
        raise ImportRejected([RowError(0, "file", f"not UTF-8 text ({exc.reason})")]) from exc


def csv_rows(data: bytes | str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(spreadsheet row number, values) per data row; the header is row 1."""
    reader = csv.DictReader(io.StringIO(_text(data), newline=""))
    header = {(h or "").strip().lower() for h in reader.fieldnames or ()}
    missing = [f for f in REQUIRED if not header & set(ALIASES[f])]
    if missing:
        raise ImportRejected([RowError(1, f, "column missing from the header") for f in missing])
    for row in reader:
        values = {(k or "").strip().lower(): v for k, v in row.items()}
        if any((v or "").strip() for v in values.values() if isinstance(v, str)):
            yield reader.line_num, values


def geojson_rows(data: bytes | str) -> tuple[str | None, Iterator[tuple[int, dict[str, Any]]]]:
    """(the collection's crs hint, (feature number from 1, properties with lon/lat) per Point)."""
    try:
        doc = json.loads(_text(data))
    except json.JSONDecodeError as exc:
        raise ImportRejected([RowError(0, "file", f"not JSON: {exc}")]) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ImportRejected([RowError(0, "file", "not a GeoJSON FeatureCollection")])
    hint = doc.get("crs")
    if isinstance(hint, dict):  # the pre-RFC 7946 form {"type": "name", "properties": {"name": …}}
        hint = (hint.get("properties") or {}).get("name")
    hint = hint or doc.get("coordinate_system")

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for n, feature in enumerate(doc.get("features") or [], start=1):
            props = dict((feature or {}).get("properties") or {})
            geometry = (feature or {}).get("geometry") or {}
            coords = geometry.get("coordinates")
            if geometry.get("type") != "Point" or not isinstance(coords, list) or len(coords) < 2:
                props["lon"] = props["lat"] = "(no Point geometry)"
            else:
                props["lon"], props["lat"] = coords[0], coords[1]
            if props.get("id") is None and feature.get("id") is not None:
                props["id"] = feature["id"]
            yield n, props

    return (str(hint) if hint else None), rows()


def parse_stations(
    data: bytes | str, *, fmt: str, crs: str | None = None, progress: Progress | None = None
) -> list[Station]:
    """Every station in a file, or ImportRejected listing each bad row and field."""
    if fmt not in FORMATS:
        raise ImportRejected([RowError(0, "format", f"use one of {', '.join(FORMATS)}")])
    default = crs_named(crs) if crs else WGS84
    if default is None:
        raise ImportRejected([RowError(0, "crs", f"unknown coordinate system {crs!r}")])
    if fmt == "csv":
        rows = list(csv_rows(data))
    else:
        hint, it = geojson_rows(data)
        rows = list(it)
        if not crs and hint:
            default = crs_named(hint) or ("GCJ-02" if "GCJ" in hint.upper() else WGS84)
    stations: list[Station] = []
    errors: list[RowError] = []
    first_row: dict[str, int] = {}
    for done, (row, raw) in enumerate(rows, start=1):
        result = validate_row(raw, row, default)
        if isinstance(result, list):
            errors += result
        elif result.station_id in first_row:
            errors.append(RowError(row, "id", f"duplicate of row {first_row[result.station_id]}"))
        else:
            first_row[result.station_id] = row
            stations.append(result)
        if len(errors) >= _MAX_ERRORS:
            break
        if progress and (done % 500 == 0 or done == len(rows)):
            progress("validated", done, len(rows))
    if errors:
        raise ImportRejected(errors)
    if not stations:
        raise ImportRejected([RowError(0, "file", "no stations in the file")])
    return stations

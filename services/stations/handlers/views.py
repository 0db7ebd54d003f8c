"""What the warm map's HTTP answers look like, and how domain objects become them."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from services.stations.app.catalogue import Hit
from services.stations.domain.station import Station
from shared.geo.coords import wgs84_to_gcj02


class StationView(BaseModel):
    """A station as the worker's phone shows it."""

    id: str
    name: str
    kind: str
    kind_label: str = Field(description="The kind in Chinese.")
    lon: float = Field(description="WGS84 longitude.")
    lat: float = Field(description="WGS84 latitude.")
    gcj02: tuple[float, float] = Field(description="(lon, lat) in GCJ-02, for Chinese map SDKs.")
    address: str
    community_code: str | None
    hours: str = Field(description='Weekly hours in Asia/Shanghai time, e.g. "Mo-Fr 08:00-18:00; Sa off".')
    always_open: bool
    amenities: list[str]
    synthetic: bool = Field(description="Demo data, not a real place.")


class NearestHit(StationView):
    """A station with how far it is and whether it is open now."""

    distance_m: float = Field(description="Straight-line (great-circle) metres from the query point.")
    riding_minutes: float = Field(description="Estimated riding time; see riding.method.")
    open_now: bool
    closes_at: datetime | None = Field(description="End of the current open stretch (None: closed or 24h).")


class RidingView(BaseModel):
    """How riding time was estimated and which cut-off applied."""

    speed_kmh: float
    detour_factor: float
    within_minutes: float | None
    within_m: float | None = Field(description="The straight-line radius the cut-off allows.")
    circle_minutes: float = Field(description="The convenient-life circle this deployment uses.")
    method: str


class NearestAnswer(BaseModel):
    """Nearest stations, nearest first."""

    at: datetime = Field(description="The instant open_now was judged at.")
    query: dict[str, Any]
    riding: RidingView
    results: list[NearestHit]


class ImportAnswer(BaseModel):
    """An accepted import."""

    import_id: int
    rows: int
    created: int
    updated: int


def station_view(s: Station) -> dict[str, Any]:
    """A station as a StationView dict."""
    glon, glat = wgs84_to_gcj02(s.lon, s.lat)
    return {
        "id": s.station_id, "name": s.name, "kind": s.kind, "kind_label": s.kind_label, "lon": s.lon,
        "lat": s.lat, "gcj02": (round(glon, 7), round(glat, 7)), "address": s.address,
        "community_code": s.community_code, "hours": s.hours.text(), "always_open": s.hours.always_open,
        "amenities": sorted(s.amenities), "synthetic": s.synthetic,
    }


def hit_view(h: Hit) -> dict[str, Any]:
    """A hit as a NearestHit dict."""
    return {
        **station_view(h.station), "distance_m": round(h.distance_m, 1),
        "riding_minutes": round(h.riding_minutes, 1), "open_now": h.open_now, "closes_at": h.closes_at,
    }


def feature_collection(stations: list[Station]) -> dict[str, Any]:
    """All stations as GeoJSON (WGS84) for the offline map, synthetic ones marked."""
    features = [
        {
            "type": "Feature", "id": s.station_id,
            "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
            "properties": {k: v for k, v in station_view(s).items() if k not in ("lon", "lat", "gcj02")},
        }
        for s in stations
    ]
    synthetic = sum(1 for s in stations if s.synthetic)
    return {
        "type": "FeatureCollection",
        "crs_note": "WGS84 (EPSG:4326); add the GCJ-02 offset before drawing on AMap/Tencent tiles",
        "synthetic_count": synthetic,
        "note": "stations with synthetic=true are demo data, not real places" if synthetic else None,
        "features": features,
    }

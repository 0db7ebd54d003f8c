"""HTTP routes of the warm map: public nearest-station queries and the map; staff imports."""

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.stations.app.catalogue import NearestQuery
from services.stations.app.importer import import_stations
from services.stations.app.sources import FORMATS
from services.stations.domain.records import ImportRejected
from services.stations.domain.station import KINDS, amenity_named, kind_named
from services.stations.handlers.views import (
    ImportAnswer,
    NearestAnswer,
    StationView,
    feature_collection,
    hit_view,
    station_view,
)
from shared.auth import Principal, TokenCodec
from shared.geo.coords import gcj02_to_wgs84
from shared.http.errors import ProblemError
from shared.http.security import principal_dependency

if TYPE_CHECKING:
    from services.stations.factory import StationsFactory

log = logging.getLogger(__name__)


def _names(values: list[str], lookup: Callable[[str], str | None], field: str) -> tuple[str, ...]:
    out = []
    for value in (v for raw in values for v in raw.split(",") if v.strip()):
        name = lookup(value)
        if name is None:
            raise ProblemError(422, "invalid_request", f"{field}: unknown {value!r}",
                               fields=[{"field": field, "problem": f"unknown {value!r}"}])
        out.append(name)
    return tuple(dict.fromkeys(out))


def create_router(factory: Callable[[], "StationsFactory"], tokens: TokenCodec) -> APIRouter:
    """The stations routes, bound to the service's composition root."""
    router = APIRouter(prefix="/stations", tags=["stations"])
    importer = principal_dependency(tokens, "district_staff", "ops")

    @router.get("/nearest", response_model=NearestAnswer)
    async def nearest(
        lon: Annotated[float, Query(ge=-180, le=180)],
        lat: Annotated[float, Query(ge=-90, le=90)],
        crs: Annotated[Literal["WGS84", "GCJ02", "GCJ-02"], Query(description="Of lon/lat.")] = "WGS84",
        limit: Annotated[int, Query(ge=1, le=500)] = 5,
        amenity: Annotated[list[str], Query(description="Required amenities (all of them).")] = [],  # noqa: B006
        kind: Annotated[list[str], Query(description=f"Any of: {', '.join(KINDS)}.")] = [],  # noqa: B006
        open_now: Annotated[bool, Query(description="Only stations open at this moment.")] = False,
        within_minutes: Annotated[float | None, Query(gt=0, le=120, description="Riding cut-off.")] = None,
        circle: Annotated[bool, Query(description="Cut off at the configured circle (15 min).")] = False,
        speed_kmh: Annotated[float | None, Query(gt=0, le=60)] = None,
    ) -> dict:
        """The nearest stations (public): distance, riding minutes, open now and closing time."""
        f = factory()
        s = f.settings
        if limit > s.max_results:
            raise ProblemError(422, "invalid_request", f"limit: at most {s.max_results}",
                               fields=[{"field": "limit", "problem": f"at most {s.max_results}"}])
        wlon, wlat = gcj02_to_wgs84(lon, lat) if crs != "WGS84" else (lon, lat)
        riding = replace(f.riding, speed_kmh=speed_kmh) if speed_kmh else f.riding
        minutes = within_minutes if within_minutes is not None else (s.circle_minutes if circle else None)
        query = NearestQuery(
            lon=wlon, lat=wlat, limit=limit, amenities=_names(amenity, amenity_named, "amenity"),
            kinds=_names(kind, kind_named, "kind"), open_now=open_now, within_minutes=minutes,
            riding=riding,
        )
        hits, at = await f.catalogue.nearest(query)
        return {
            "at": at,
            "query": {"lon": wlon, "lat": wlat, "crs_given": crs, "limit": limit,
                      "amenities": list(query.amenities), "kinds": list(query.kinds), "open_now": open_now},
            "riding": {
                "speed_kmh": riding.speed_kmh, "detour_factor": riding.detour_factor,
                "within_minutes": minutes, "within_m": None if minutes is None else riding.reach_m(minutes),
                "circle_minutes": s.circle_minutes, "method": riding.describe(),
            },
            "results": [hit_view(h) for h in hits],
        }

    @router.get("/map.geojson")
    async def map_geojson() -> JSONResponse:
        """Every station as GeoJSON (WGS84) for the offline map; synthetic ones are marked."""
        stations = await factory().catalogue.all()
        return JSONResponse(feature_collection(stations), media_type="application/geo+json")

    @router.post("/import", response_model=ImportAnswer)
    async def import_file(
        request: Request,
        principal: Annotated[Principal, Depends(importer)],
        format: Annotated[Literal["csv", "geojson"], Query(description=f"One of {FORMATS}.")] = "csv",
        crs: Annotated[str | None, Query(description="WGS84 or GCJ-02 unless rows say.")] = None,
        source: Annotated[str, Query(max_length=200, description="A name for the import log.")] = "upload",
    ) -> dict:
        """Import stations from the request body; every row valid or nothing written (staff only)."""
        f = factory()
        body = await request.body()
        if len(body) > f.settings.import_max_bytes:
            raise ProblemError(413, "too_large", f"at most {f.settings.import_max_bytes} bytes")

        def progress(stage: str, done: int, total: int) -> None:
            log.info("station import %s %d/%d", stage, done, total, extra={"actor": principal.subject})

        try:
            async with f.runtime.pool.acquire() as conn:
                result = await import_stations(
                    conn, body, fmt=format, crs=crs, source=source,
                    actor=f"{principal.role}:{principal.subject}", at=f.runtime.clock.now(),
                    progress=progress,
                )
        except ImportRejected as exc:
            fields = [{"row": e.row, "field": e.field, "problem": e.problem} for e in exc.errors]
            raise ProblemError(422, "import_rejected", str(exc), fields=fields) from exc
        await f.catalogue.reload()
        return result.__dict__

    @router.get("/{station_id}", response_model=StationView)
    async def get_station(station_id: str) -> dict:
        """One station (public)."""
        hit = await factory().catalogue.get(station_id)
        if hit is None:
            raise ProblemError(404, "not_found", f"no station {station_id}")
        return station_view(hit.station)

    return router

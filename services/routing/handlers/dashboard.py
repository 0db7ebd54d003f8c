"""Read-only routes for the dashboards: the jurisdiction map and SLA compliance figures."""

# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query
from shapely.geometry import mapping
from starlette.concurrency import run_in_threadpool

from services.routing.geodata.loader import parse_jurisdictions
from services.routing.storage.stats import PostgresCaseStats
from shared.auth import Principal, TokenCodec
from shared.http.security import principal_dependency

if TYPE_CHECKING:
    from services.routing.factory import RoutingFactory

STAFF = ("community_staff", "street_staff", "district_staff", "ops")
# Workers see the whole district's map (to drop a pin); staff see their own jurisdiction.
MAP_READERS = (*STAFF, "worker")
COUNTERS = (
    "total", "open", "overdue", "paused", "escalated", "ack_due", "ack_on_time",
    "resolve_due", "resolved_on_time", "resolved", "reopened",
)


class JurisdictionMap:
    """The configured jurisdictions as WGS84 GeoJSON features, loaded once, with names by code."""

    def __init__(self, path: Path, crs: str | None) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        streets, communities = parse_jurisdictions(data, crs)
        self.synthetic = bool(data.get("synthetic")) or any(
            j.properties.get("synthetic") for j in (*streets, *communities)
        )
        self.note = data.get("note")
        self.names = {j.code: j.name for j in (*streets, *communities)}
        self.street_of = {c.code: c.parent_code for c in communities}
        self.features = [
            {
                "type": "Feature",
                "properties": {
                    "code": j.code, "name": j.name, "level": j.level,
                    "street_code": j.code if j.level == "street" else j.parent_code,
                    "synthetic": bool(j.properties.get("synthetic", self.synthetic)),
                },
                "geometry": _rounded(mapping(j.geometry)),
            }
            for j in (*streets, *communities)
        ]

    def for_principal(self, principal: Principal) -> dict[str, Any]:
        """A FeatureCollection of what the principal's jurisdiction covers."""
        if principal.role == "community_staff":
            street = self.street_of.get(principal.community or "")
            keep = [f for f in self.features
                    if f["properties"]["code"] in (principal.community, street)]
        elif principal.role == "street_staff":
            keep = [f for f in self.features if f["properties"]["street_code"] == principal.street]
        else:
            keep = self.features
        return {
            "type": "FeatureCollection", "synthetic": self.synthetic, "note": self.note,
            "crs": "WGS84", "features": keep,
        }


def _rounded(geometry: Any) -> Any:
    """Coordinates to 5 decimals (about 1 m): a third of the bytes, nothing visible lost."""
    def walk(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if value and isinstance(value[0], float):
                return [round(v, 5) for v in value]
            return [walk(v) for v in value]
        return value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    row["ack_on_time_pct"] = _pct(row["ack_on_time"], row["ack_due"])
    row["resolved_on_time_pct"] = _pct(row["resolved_on_time"], row["resolve_due"])
    row["reopen_rate_pct"] = _pct(row["reopened"], row["resolved"])
    return row


def _scope(principal: Principal) -> tuple[str | None, str | None]:
    return (
        principal.community if principal.role == "community_staff" else None,
        principal.street if principal.role == "street_staff" else None,
    )


def create_dashboard_router(factory: Callable[[], "RoutingFactory"], tokens: TokenCodec) -> APIRouter:
    """GET /jurisdictions/geojson and GET /cases/stats (register before /cases/{case_id})."""
    router = APIRouter(tags=["dashboards"])
    staff = principal_dependency(tokens, *STAFF)
    map_reader = principal_dependency(tokens, *MAP_READERS)
    loaded: dict[str, JurisdictionMap] = {}

    async def jurisdictions() -> JurisdictionMap:
        if "map" not in loaded:
            s = factory().settings
            loaded["map"] = await run_in_threadpool(
                JurisdictionMap, Path(s.jurisdictions_path), s.jurisdictions_crs
            )
        return loaded["map"]

    @router.get("/jurisdictions/geojson")
    async def jurisdiction_geojson(principal: Annotated[Principal, Depends(map_reader)]) -> dict:
        """Street and community boundaries of the caller's jurisdiction (WGS84), flagged if synthetic."""
        return (await jurisdictions()).for_principal(principal)

    @router.get("/cases/stats")
    async def case_stats(
        principal: Annotated[Principal, Depends(staff)],
        days: Annotated[int, Query(ge=1, le=366, description="Look back this many days.")] = 30,
    ) -> dict:
        """SLA compliance per community and street, and opened/resolved/breached per day."""
        f = factory()
        stats = PostgresCaseStats(pool=f.runtime.pool)
        now = f.runtime.clock.now()
        since = now - timedelta(days=days)
        community, street = _scope(principal)
        rows, daily = await stats.report(community=community, street=street, since=since, now=now)
        names = (await jurisdictions()).names
        communities = []
        streets: dict[str | None, dict[str, Any]] = {}
        totals = dict.fromkeys(COUNTERS, 0)
        for r in rows:
            item = {
                "community_code": r["community_code"], "community_name": names.get(r["community_code"] or ""),
                "street_code": r["street_code"], "street_name": names.get(r["street_code"] or ""),
                **{k: r[k] for k in COUNTERS},
            }
            communities.append(_with_rates(item))
            street_row = streets.setdefault(r["street_code"], {
                "street_code": r["street_code"], "street_name": names.get(r["street_code"] or ""),
                **dict.fromkeys(COUNTERS, 0),
            })
            for k in COUNTERS:
                street_row[k] += r[k]
                totals[k] += r[k]
        return {
            "scope": {"role": principal.role, "community": community, "street": street},
            "days": days,
            "since": since.isoformat(),
            "now": now.isoformat(),
            "totals": _with_rates(totals),
            "communities": communities,
            "streets": [_with_rates(s) for s in streets.values()],
            "daily": [
                {"day": d["day"].isoformat(), "opened": d["opened"], "resolved": d["resolved"],
                 "breached": d["breached"]}
                for d in daily
            ],
        }

    return router

"""A hazard report travels from a worker's request through every service to a live dashboard."""

from __future__ import annotations

import asyncio
import json

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.routing.geodata.loader import load_geojson_jurisdictions
from tests.support.system import run_system

pytestmark = pytest.mark.integration


def _a_community():
    _streets, communities = load_geojson_jurisdictions()
    community = communities[17]
    point = community.geometry.representative_point()
    return community, point.x, point.y


async def _read_sse(response, into: list[dict], done: asyncio.Event, want: int) -> None:
    event: dict = {}
    async for line in response.aiter_lines():
        if line.startswith("id: "):
            event["id"] = line[4:]
        elif line.startswith("event: "):
            event["event"] = line[7:]
        elif line.startswith("data: "):
            event["data"] = json.loads(line[6:])
        elif line == "" and "data" in event:
            into.append(event)
            event = {}
            if len(into) >= want:
                done.set()


async def test_report_reaches_the_dashboard_stream_in_one_trace(settings):
    exporter = InMemorySpanExporter()
    community, lon, lat = _a_community()
    async with run_system(settings, ["reports", "routing", "notify", "wishes"], exporter=exporter) as system:
        staff = system.token("c-officer", "community_staff", community=community.code)
        worker = system.token("w-1", "worker")
        received: list[dict] = []
        arrived = asyncio.Event()
        async with system.client(staff) as dashboard, dashboard.stream("GET", "/notify/stream") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            reader = asyncio.create_task(_read_sse(stream, received, arrived, want=1))
            async with system.client(worker) as phone:
                response = await phone.post("/reports", json={
                    "kind": "hazard", "category": "blocked_fire_exit",
                    "location": {"lon": lon, "lat": lat}, "description": "电动车堵住消防通道",
                })
            assert response.status_code == 201, response.text
            report_id = response.json()["report_id"]
            await asyncio.wait_for(arrived.wait(), 30)
            reader.cancel()

        entry = received[0]
        assert entry["event"] == "case.opened"
        assert entry["data"]["data"]["report_id"] == report_id
        assert entry["data"]["community_code"] == community.code
        assert entry["data"]["street_code"] == community.parent_code

        async with system.client(worker) as phone:
            for _ in range(100):
                mine = (await phone.get(f"/reports/{report_id}")).json()
                if mine["status"] == "routed":
                    break
                await asyncio.sleep(0.1)
        assert mine["status"] == "routed"
        assert mine["community_code"] == community.code

        # That progress came through intake's case follower, which long-polls the longer wait; the
        # services on the way to the dashboard poll the short one.
        assert settings.follower_fetch_max_wait_ms != settings.fetch_max_wait_ms
        waits = {
            name: system.host(name).runtime.broker.subscribers[0]._connection_args["fetch_max_wait_ms"]
            for name in ("reports", "routing", "notify")
        }
        assert waits == {
            "reports": settings.follower_fetch_max_wait_ms,
            "routing": settings.fetch_max_wait_ms,
            "notify": settings.fetch_max_wait_ms,
        }

        system.flush_spans()
        spans = exporter.get_finished_spans()
        roots = [s for s in spans if s.attributes.get("nuanxin.report_id") == report_id]
        assert roots, "the intake request span names the report"
        trace_id = roots[0].context.trace_id
        services = {
            s.resource.attributes["service.name"] for s in spans if s.context.trace_id == trace_id
        }
        assert {"nuanxin-reports", "nuanxin-routing", "nuanxin-notify"} <= services

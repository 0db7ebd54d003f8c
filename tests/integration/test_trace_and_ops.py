"""Ops surfaces on a running system: the local trace files and `nuanxin trace`, /healthz, /metrics."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from bench.batches import parse as batch_totals
from nuanxin.cli import app
from tests.support.system import run_system

pytestmark = pytest.mark.integration


async def test_trace_command_prints_one_reports_journey_from_local_span_files(settings):
    async with run_system(settings, ["reports", "routing", "notify"]) as system:
        async with system.client(system.token("w-2", "worker")) as phone:
            created = await phone.post("/reports", json={
                "kind": "hazard", "category": "dangling_wires",
                "location": {"lon": 106.6417, "lat": 29.7192},
            })
            assert created.status_code == 201, created.text
            report_id = created.json()["report_id"]
            for _ in range(200):
                if (await phone.get(f"/reports/{report_id}")).json()["status"] == "routed":
                    break
                await asyncio.sleep(0.1)

        async with system.client() as anonymous:
            health = await anonymous.get("/healthz")
            assert health.status_code == 200
            states = health.json()["services"]
            assert set(states) == {"reports", "routing", "notify"}
            assert states["routing"]["consumers"]["reports"]["applied"] >= 1
            metrics = (await anonymous.get("/metrics")).text
            assert 'nuanxin_events_in_total{outcome="applied",service="routing",topic=' in metrics
            assert "nuanxin_events_out_total" in metrics
            # routing applied the report's batch, reports and notify the case's (notify perhaps a
            # moment after the report read "routed"): each batch timed.
            services = ("routing", "notify", "reports")
            for _ in range(100):
                text = (await anonymous.get("/metrics")).text
                batches = {s: batch_totals(text, s) for s in services}
                if all(b["batches"] >= 1 for b in batches.values()):
                    break
                await asyncio.sleep(0.1)
            for service in services:
                assert batches[service]["batches"] >= 1, batches
                assert batches[service]["seconds"] > 0, batches
        system.flush_spans()

    result = CliRunner().invoke(app, ["trace", report_id, "--trace-dir", str(settings.trace_dir)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("trace ")
    assert "nuanxin-reports" in lines[0] and "nuanxin-routing" in lines[0]
    assert "nuanxin-notify" in lines[0]
    body = "\n".join(lines[1:])
    assert "POST /reports" in body
    # The routing work is nested under the intake request, not a separate root.
    post_indent = next(len(x) - len(x.lstrip()) for x in lines[1:] if "POST /reports" in x)
    routing = [x for x in lines[1:] if "routing apply nuanxin.report.submitted.v1" in x]
    assert routing and len(routing[0]) - len(routing[0].lstrip()) > post_indent
    # Every trace starts at a request: consuming events adds no traces of its own.
    roots = {
        record["name"]
        for path in settings.trace_dir.glob("spans-*.jsonl")
        for record in map(json.loads, path.read_text().splitlines())
        if record["parent_id"] is None
    }
    assert roots and all(name.split()[0] in {"GET", "POST"} for name in roots), roots


def test_trace_command_says_when_it_finds_nothing(tmp_path):
    result = CliRunner().invoke(app, ["trace", "no-such-report", "--trace-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "no spans mention report no-such-report" in result.output

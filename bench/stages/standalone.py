"""Stages that need no nuanxin service: routing geometry, the SLA clock, the Kafka pass-through."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime

from bench import stack
from bench.console import fmt_ms, log
from bench.load import pct


class StandaloneStages:
    """Geometry, SLA clock and pass-through stages of Bench (state lives on Bench)."""

    # ---------------------------------------------------------------- geometry
    def stage_geometry(self) -> None:
        from bench.geometry import bench_geometry, bench_owners

        log(f"geometry: {self.opts.geometry_points:,} points, batches 1/100/10000")
        g = bench_geometry(self.opts.geometry_points, (1, 100, 10_000), self.opts.geometry_cap_s)
        g["owners"] = bench_owners(min(self.opts.geometry_points, 20_000), self.opts.geometry_cap_s / 2)
        self.result["stages"]["geometry"] = g
        self.bbox = g["bbox"]
        for r in g["results"]:
            log(f"  batch {r['batch']:>6}: {r['per_s']:,.0f} lookups/s")

    def _bbox(self):
        if not hasattr(self, "bbox"):
            from bench.geometry import load_index

            self.bbox = load_index()[2]
        return self.bbox

    # ---------------------------------------------------------------- SLA clock
    async def stage_sla(self) -> None:
        from bench.sla import bench_sla

        o = self.opts
        log(f"SLA clock: {o.sla_deadlines:,} open deadlines, {o.sla_due} due")
        name = f"bench_sla_{self.stamp.lower()}"
        url = await self.infra.create_database(name)
        r = await bench_sla(url, deadlines=o.sla_deadlines, due=o.sla_due, spread_s=o.sla_spread_s)
        self.result["stages"]["sla"] = r
        if not o.keep_db:
            # Its 2 M rows would otherwise be vacuumed and checkpointed during the pipeline stages.
            await self.infra.drop_database(name)
        lat = r["escalation_latency_ms"]
        log(
            f"  due->event p50 {fmt_ms(lat['p50'])}, max {fmt_ms(lat['max'])}; idle tick "
            f"{r['idle_tick_ms']['p50']:.2f} ms; EXPLAIN rows scanned {r['explain']['rows_scanned']}"
        )

    # ---------------------------------------------------------------- pass-through limit
    async def stage_passthrough(self) -> None:
        from bench.passthrough import _consumer, drive
        from shared.events.envelope import encode
        from shared.events.reports import ReportSubmittedV1
        from shared.kafka.admin import ensure_topics

        o = self.opts
        src, dst = f"{self.namespace}pt.reports", f"{self.namespace}pt.cases"
        # As many partitions as the pipeline's topics: the same hops on the same broker.
        await ensure_topics(
            self.infra.bootstrap, [src, dst], partitions=self.infra.topic_partitions, with_dead_letters=False
        )
        msg = encode(
            ReportSubmittedV1(
                report_id="0b7f2f5e-0000-4000-8000-000000000000",
                kind="hazard",
                category="road_damage",
                severity="medium",
                lon=106.63,
                lat=29.72,
                description="bench pass-through " * 3,
                reporter_id="w-bench",
                submitted_at=datetime.now(UTC),
            ),
            source="/nuanxin/reports",
        )
        headers = list(msg.headers.items())
        env = dict(os.environ)
        fwd = stack.start_process(
            [
                sys.executable,
                "-u",
                "-m",
                "bench.passthrough",
                "forward",
                self.infra.bootstrap,
                src,
                dst,
                f"{self.namespace}pt-forwarder",
                str(o.fetch_max_wait_ms),
                "500",
            ],
            env,
            self.work / "forwarder.log",
        )
        self.rss.watch("pt-forwarder", fwd.pid)
        sink = _consumer(self.infra.bootstrap, dst, f"{self.namespace}pt-sink", o.fetch_max_wait_ms)
        await sink.start()
        rows = []
        try:
            log("pass-through: waiting for consumer groups")
            deadline = time.monotonic() + 60
            while not sink.assignment() or "ready" not in (self.work / "forwarder.log").read_text():
                if time.monotonic() > deadline or fwd.poll() is not None:
                    raise RuntimeError("pass-through forwarder or sink got no partitions")
                await sink.getmany(timeout_ms=100)
            await drive(
                self.infra.bootstrap,
                src,
                dst,
                "",
                rate=100,
                duration_s=1,
                value=msg.value,
                headers=headers,
                fetch_max_wait_ms=o.fetch_max_wait_ms,
                drain_s=5,
                consumer=sink,
            )
            for rate in [*o.pipeline_rates, *o.passthrough_ceiling]:
                t0 = time.monotonic()
                r = await drive(
                    self.infra.bootstrap,
                    src,
                    dst,
                    "",
                    rate=rate,
                    duration_s=o.stage_s,
                    value=msg.value,
                    headers=headers,
                    fetch_max_wait_ms=o.fetch_max_wait_ms,
                    drain_s=o.drain_s,
                    consumer=sink,
                )
                lat = r.pop("latencies_ms")
                row = {
                    "offered": rate,
                    "sent": r["sent"],
                    "received": r["received"],
                    "msgs_per_s": r["received"] / r["elapsed_s"],
                    "p50_ms": pct(lat, 50),
                    "p99_ms": pct(lat, 99),
                    "hop_p50_ms": (pct(lat, 50) or 0) / 2,
                    "hop_p99_ms": (pct(lat, 99) or 0) / 2,
                    "cpu_cores": self.rss.cpu_share(t0, time.monotonic()),
                    "ceiling": rate in o.passthrough_ceiling,
                }
                rows.append(row)
                log(
                    f"  pass-through {rate:>5}/s: {row['msgs_per_s']:,.0f} msg/s, two hops p50 "
                    f"{row['p50_ms']:.1f} ms p99 {row['p99_ms']:.1f} ms ({r['received']}/{r['sent']})"
                )
        finally:
            await sink.stop()
            stack.stop_process(fwd)
        self.result["stages"]["passthrough"] = {"hops": 2, "rates": rows, "message_bytes": len(msg.value)}

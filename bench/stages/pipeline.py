"""The services as separate processes, and the pipeline and profile stages that load them."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from bench import batches, hops, stack, sustain
from bench.console import fmt_ms, log
from bench.dashboard import SseReader
from bench.load import head_start_s, http_summary, offer_http, pct
from bench.profile import start_profile, summarize


class PipelineStages:
    """Service start-up, pipeline and profile stages of Bench (state lives on Bench)."""

    # ---------------------------------------------------------------- the services
    async def stage_services(self) -> None:
        from shared.auth import Principal, TokenCodec
        from shared.settings import PlatformSettings

        o = self.opts
        db = f"bench_{self.stamp.lower()}"
        url = await self.infra.create_database(db)
        self.db_url = url
        env = stack.service_env(self.infra, url, self.namespace, self.work, o.fetch_max_wait_ms)
        separate = "reports" if o.reports_relay == "separate" else None
        log(
            "starting reports, routing, notify as separate processes"
            + (", and a relay process publishing the reports outbox" if separate else "")
        )
        started = await asyncio.to_thread(
            stack.start_services, env, self.work, separate_relay=separate, relay_linger_ms=o.relay_linger_ms
        )
        self.services = {s.name: s for s in started}
        for s in started:
            self.rss.watch(s.name, s.process.pid)
        settings = PlatformSettings()
        codec = TokenCodec(settings.jwt_secret.get_secret_value(), settings.jwt_issuer, settings.jwt_audience)
        self.worker_tokens = [codec.issue(Principal(f"w-bench-{i}", "worker")) for i in range(200)]
        staff = codec.issue(Principal("d-bench", "district_staff"))
        self.sse = SseReader(self.services["notify"].port, staff)
        self.spans = hops.SpanTail(self.work / "traces")
        self.sse.start()
        await asyncio.wait_for(self.sse.connected.wait(), 30)
        self.seed = 100
        # What the services cost doing nothing (consumers polling every fetch_max_wait_ms).
        t_idle = time.monotonic()
        await asyncio.sleep(3 if o.quick else 5)
        self.result["stages"]["idle_cpu_cores"] = self.rss.cpu_share(t_idle, time.monotonic())
        log(
            "  idle CPU (cores): "
            + ", ".join(
                f"{k} {v:.2f}"
                for k, v in self.result["stages"]["idle_cpu_cores"].items()
                if not k.startswith("_")
            )
        )
        try:
            if "pipeline" in o.stages or "profile" in o.stages:
                log("pipeline: warm-up")
                await self.pipeline_stage(50, 2.0, record=False)
            if "pipeline" in o.stages:
                await self.stage_pipeline()
            if "profile" in o.stages:
                await self.stage_profile()
        finally:
            await self.sse.stop()
        if "pipeline" in o.stages:
            self.yardstick("after the pipeline")
        if "intake" in o.stages:
            for name in ("routing", "notify"):
                stack.stop_process(self.services[name].process)
            await self.stage_intake()

    async def _joined(self, ids: list[str]) -> set[str]:
        """Of these reports, those that joined an open case ("me too") rather than opening one.

        They reach the stream as that case's ``case.joined`` event and are counted like the others:
        every report the bench sends is a hazard, and every hazard opens a case or joins one.
        """
        if not ids:
            return set()
        conn = await asyncpg.connect(self.db_url)
        try:
            rows = await conn.fetch(
                "SELECT report_id::text AS r FROM routing.case_reports WHERE report_id = ANY($1::uuid[])", ids
            )
        except asyncpg.UndefinedTableError:
            return set()
        finally:
            await conn.close()
        return {r["r"] for r in rows}

    async def _probe_rtt(self, out: list[float]) -> None:
        """One `SELECT 1` every 50 ms: what a single round trip to PostgreSQL costs under this load."""
        conn = await asyncpg.connect(self.db_url)
        try:
            while True:
                t = time.perf_counter()
                await conn.fetchval("SELECT 1")
                out.append((time.perf_counter() - t) * 1000)
                await asyncio.sleep(0.05)
        finally:
            await conn.close()

    async def settle(self) -> float:
        """Wait until the stack is back to idle, at most ``settle_s``; the seconds waited.

        Idle: each running service, the broker and PostgreSQL within 0.05 cores of what it used
        before any load (``idle_cpu_cores``), over the last second. A load that overran leaves
        work behind it (consumers catching up, relays, autovacuum); the next load must not be
        charged for it.
        """
        idle = self.result["stages"].get("idle_cpu_cores")
        if not idle or self.opts.settle_s <= 0:
            return 0.0
        names = [n for n, s in self.services.items() if s.process.poll() is None] + ["broker", "postgres"]
        t0 = time.monotonic()
        busy: dict[str, float] = {}
        while time.monotonic() - t0 < self.opts.settle_s:
            await asyncio.sleep(0.5)
            now = time.monotonic()
            cpu = self.rss.cpu_share(now - 1.0, now)
            busy = {n: cpu[n] for n in names if cpu.get(n, 0.0) > idle.get(n, 0.0) + 0.05}
            if not busy:
                waited = now - t0
                if waited > 1.0:
                    log(f"  settled in {waited:.1f} s")
                return waited
        cores = ", ".join(f"{n} {c:.2f}" for n, c in busy.items())
        log(f"  still busy after {self.opts.settle_s:.0f} s (cores): {cores}")
        return self.opts.settle_s

    async def pipeline_stage(self, rate: float, duration_s: float, record: bool = True) -> dict:
        o = self.opts
        settled_s = await self.settle()
        self.seed += 1
        rtts: list[float] = []
        probe = asyncio.create_task(self._probe_rtt(rtts))
        ports = {name: svc.port for name, svc in self.services.items() if name != stack.RELAY}
        batches_before = await batches.scrape(ports)
        res = await offer_http(
            self.services["reports"].port,
            rate,
            duration_s,
            self.worker_tokens,
            self._bbox(),
            self.seed,
            self.work,
            watch=self.rss.watch,
        )
        t_sent = time.monotonic()
        http = http_summary(res)
        sched = {r[3]: r[0] for r in res["records"] if r[2] in (200, 201) and r[3]}
        # Drain: until every accepted report is on the stream, progress stops, or time.
        deadline = time.monotonic() + o.drain_s
        last_progress, last_count = time.monotonic(), -1
        while time.monotonic() < deadline:
            missing = [i for i in sched if i not in self.sse.seen]
            if not missing:
                break
            count = len(sched) - len(missing)
            if count != last_count:
                last_count, last_progress = count, time.monotonic()
            elif time.monotonic() - last_progress > 5:
                break
            await asyncio.sleep(0.1)
        probe.cancel()
        await asyncio.gather(probe, return_exceptions=True)
        seen = {i: self.sse.seen[i] for i in sched if i in self.sse.seen}
        lat = [(seen[i] - sched[i]) * 1000 for i in seen]
        # Latency by the second the request was due in: a queue that grows through the stage shows
        # as a rising line, a stall as a spike, where the stage's p99 alone says neither.
        start = min(sched.values(), default=0.0)
        by_second: dict[int, list[float]] = {}
        for i in seen:
            by_second.setdefault(int(sched[i] - start), []).append((seen[i] - sched[i]) * 1000)
        arrivals = sorted(seen.values())
        expected = len(sched)
        thr = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
        row = {
            "offered": rate,
            "duration_s": duration_s,
            "requests": http["requests"],
            "accepted": http["accepted"],
            "accepted_per_s": http["accepted_per_s"],
            "intake_p50_ms": http["p50_ms"],
            "intake_p99_ms": http["p99_ms"],
            "statuses": http["statuses"],
            "delivered": len(seen),
            "expected": expected,
            "undelivered": expected - len(seen),
            "throughput_per_s": thr,
            "p50_ms": pct(lat, 50),
            "p99_ms": pct(lat, 99),
            "max_ms": max(lat, default=None),
            "timeline": [
                {"second": sec, "n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99)}
                for sec, v in sorted(by_second.items())
            ],
            # Over the load: from its first slot (the client's start and preparation before it).
            "cpu_cores": self.rss.cpu_share(res["start_at"], t_sent),
            "settled_s": settled_s,
            "pg_round_trip_ms": {"p50": pct(rtts, 50), "p99": pct(rtts, 99), "n": len(rtts)},
        }
        # CPU milliseconds per delivered report, per process, over the stage and its drain.
        window = self.rss.cpu_share(res["start_at"], time.monotonic())
        span = time.monotonic() - res["start_at"]
        row["batches"] = batches.during(batches_before, await batches.scrape(ports), span)
        row["cpu_ms_per_report"] = {
            k: v * span * 1000 / len(seen) for k, v in window.items() if len(seen) and not k.startswith("_")
        }
        # After the CPU window: each service exports its spans within half a second of their end
        # (BatchSpanProcessor), and reading them is the harness's work, not the stage's.
        await asyncio.sleep(1.0)
        row["joined_case"] = len(await self._joined(list(sched)))
        journeys = hops.Journeys()
        journeys.add(self.spans.read_new())
        connected = {r[3]: r[4] for r in res["records"] if r[2] in (200, 201) and r[3]}
        row["hops"] = hops.summarize(journeys.cut(sched, connected, seen, hops.wall_minus_monotonic_ns()))
        row["sustained"] = not sustain.misses(row)
        if record:
            log(
                f"  pipeline {rate:>6.0f}/s: accepted {http['accepted_per_s']:,.0f}/s, delivered "
                f"{thr:,.0f}/s, e2e p50 {fmt_ms(row['p50_ms'])} p99 {fmt_ms(row['p99_ms'])}, "
                f"{len(seen)}/{expected} on the stream{' SUSTAINED' if row['sustained'] else ''}"
            )
        return row

    async def stage_pipeline(self) -> None:
        from bench import pgstat

        o = self.opts
        unavailable = await pgstat.reset(self.db_url)
        tables_before = await pgstat.tables(self.db_url)
        log_from = pgstat.log_offset(self.infra.pg_log)
        t_loads = time.monotonic()
        rows = []
        for rate in o.pipeline_rates:
            rows.append(await self.pipeline_stage(rate, o.stage_s))
            await asyncio.sleep(1)
        # Refine the highest sustainable rate between the last that held and the first that did not.
        for _ in range(o.refine_steps):
            ok = [r["offered"] for r in rows if r["sustained"]]
            bad = [r["offered"] for r in rows if not r["sustained"] and r["offered"] > max(ok, default=0)]
            if not bad:
                break
            rate = sustain.middle(max(ok, default=min(bad) / 4), min(bad))
            if rate is None:
                break
            rows.append(await self.pipeline_stage(rate, o.stage_s))
            rows[-1]["refinement"] = True
            await asyncio.sleep(1)
        ok = [r["offered"] for r in rows if r["sustained"]]
        # A stage of a few seconds can hold while the backlog grows by a few percent a second: the
        # highest held load runs again for sustain_s; if it does not hold that long, the held loads
        # below it until one does, then the range above that one is narrowed (bench/sustain.py).
        checks = []
        if o.sustain_s > o.stage_s:
            for _ in range(o.sustain_tries):
                rate = sustain.next_rate(ok, [(c["offered"], c["sustained"]) for c in checks])
                if rate is None:
                    break
                log(f"pipeline: does {rate:.0f}/s hold for {o.sustain_s:.0f} s?")
                checks.append(await self.pipeline_stage(rate, o.sustain_s) | {"sustain_check": True})
                await asyncio.sleep(1)
        held = [r["offered"] for r in checks if r["sustained"]] if checks else ok
        self.result["stages"]["pipeline"] = {
            "rates": sorted(rows, key=lambda r: r["offered"]),
            "sustain_checks": checks,
            "sustain_s": o.sustain_s if checks else o.stage_s,
            "held_short_per_s": max(ok, default=0.0),
            "sustainable_per_s": max(held, default=0.0),
            "sustainable_is_lower_bound": bool(held) and max(held) >= max(r["offered"] for r in rows),
            "max_throughput_per_s": max((r["throughput_per_s"] for r in rows + checks), default=0.0),
            "statements": {"error": unavailable} if unavailable else await pgstat.top(self.db_url),
            "maintenance": pgstat.maintenance(
                tables_before,
                await pgstat.tables(self.db_url),
                pgstat.autovacuum_cpu(self.infra.pg_log, log_from, stack.database_name(self.db_url)),
            )
            | {
                "delivered": sum(r["delivered"] for r in rows + checks),
                "seconds": time.monotonic() - t_loads,
            },
        }

    async def stage_profile(self) -> None:
        """py-spy on the services at 1,000/s (the load the p99 target is judged at) and at the lowest
        load not held (what bounds the throughput target), or only at ``--profile-rate``."""
        o = self.opts
        pipe = self.result["stages"].get("pipeline", {})
        unheld = [r["offered"] for r in pipe.get("rates", []) if not r["sustained"]]
        rates = [o.profile_rate] if o.profile_rate else sorted({1000.0, min(unheld or [2000.0])})
        self.result["stages"]["profiles"] = [await self._profile_at(rate) for rate in rates]

    async def _profile_at(self, rate: float) -> dict:
        o = self.opts
        log(f"profile: py-spy on the services at {rate:.0f} reports/s for {o.profile_s:.0f} s")
        procs = {}
        for name in ("reports", "routing", "notify"):
            out_file = self.work / f"{name}-{rate:.0f}.pyspy"
            seconds = o.profile_s + 1 + head_start_s(rate, o.profile_s)
            p = start_profile(self.services[name].process.pid, seconds, out_file, o.profile_hz)
            if p is not None:
                procs[name] = (p, out_file)
        if not procs:
            return {"rate": rate, "error": "py-spy not installed (uv pip install py-spy)"}
        row = await self.pipeline_stage(rate, o.profile_s, record=False)
        out: dict = {"rate": rate, "hz": o.profile_hz, "pipeline_during_profile": row, "services": {}}
        for name, (p, out_file) in procs.items():
            try:
                _, err = await asyncio.to_thread(p.communicate, timeout=o.profile_s + 30)
            except Exception as exc:
                p.kill()
                err = str(exc).encode()
            summary = summarize(out_file)
            if not summary["samples"]:
                summary["error"] = (err or b"").decode(errors="replace")[-500:]
            out["services"][name] = summary
        return out

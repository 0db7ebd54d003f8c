"""The intake stage: POST /reports on the reports service alone, beside a bare endpoint."""

from __future__ import annotations

import asyncio
import os
import sys
import time

from bench import stack
from bench.console import fmt_ms, log
from bench.http_load import LoadSpec, bodies
from bench.limits import counted, limit_load, limit_measured, next_load, pair_ratio
from bench.load import head_start_s, http_summary, offer_http
from bench.new_connections import BURST_SEED, OPEN_BEFORE, burst_at
from bench.profile import start_profile, summarize


class IntakeStage:
    """The intake-beside-its-limit stage of Bench (state lives on Bench)."""

    # ---------------------------------------------------------------- intake vs bare endpoint
    async def stage_intake(self) -> None:
        o = self.opts
        rows: dict[str, list] = {"reports": [], "bare": []}
        new_connections = None
        log("intake: reports service alone (routing and notify stopped), beside the bare endpoint")
        # Sampled at the first ceiling probe, where the server is saturated: its samples split the
        # CPU a request costs, not the loop's waiting between requests.
        profile_rate = (o.intake_ceiling or o.intake_rates)[0]
        bare = self._start_bare()
        servers = {"reports": self.services["reports"].port, "bare": bare.port}
        try:
            await stack.wait_healthy(bare.port)
            # Each offered load goes to both servers, one after the other, the order alternating from
            # load to load: on a machine whose speed drifts by the minute both sides of a ratio are
            # measured in the same minute, where measuring all of one and then all of the other put
            # minutes between them.
            for i, rate in enumerate([*o.intake_rates, *o.intake_ceiling]):
                for name in ("reports", "bare") if i % 2 == 0 else ("bare", "reports"):
                    # Intake's relay may still be publishing what an overload left in its outbox.
                    await self.settle()
                    rows[name].append(await self._offer_intake(name, servers[name], rate))
            await self._until_limits(rows, servers)
            pairs = await self._pairs_at_limits(rows, servers)
            best = max((r["accepted_per_s"] for r in rows["reports"]), default=0.0)
            if best > 0 and o.intake_burst:
                await self.settle()
                new_connections = await self._burst_on_intake(round(0.8 * best, -1), o.intake_burst)
            if "profile" in o.stages:
                await self._profile_intake(profile_rate)
        finally:
            stack.stop_process(self.services["reports"].process)
            stack.stop_process(bare.process)
        if (self.work / "intake.pyspy").exists():
            self.result["stages"]["intake_profile"] = {
                "rate": profile_rate,
                **summarize(self.work / "intake.pyspy"),
            }
        self.result["stages"]["intake"] = {
            "rates": rows,
            "max_accepted_per_s": max((r["accepted_per_s"] for r in rows["reports"]), default=0.0),
            "bare_max_per_s": max((r["accepted_per_s"] for r in rows["bare"]), default=0.0),
            # A limit is only measured where the server fell behind the load offered to it.
            "bare_saturated": limit_measured(rows["bare"]),
            "pairs": pairs,
            "pair_ratio": pair_ratio(pairs),
            "new_connections": new_connections,
        }

    async def _until_limits(self, rows: dict[str, list[dict]], servers: dict[str, int]) -> None:
        """More loads on each server until its limit is measured (``next_load``), then each
        server's rows in the order of the load offered.

        A server's most answered a second is where its pairs' load is set from (and the ratio's
        fallback); the fixed loads leave it between a load the server kept up with (it answered
        only what was offered) and one far past its limit (overloaded, it answers less). The two
        servers take turns, as above.
        """
        order = ("reports", "bare")
        extra = dict.fromkeys(order, 0)
        while True:
            offered = False
            for name in order:
                rate = next_load(rows[name])
                if rate is not None and extra[name] < self.opts.intake_extra_loads:
                    await self.settle()
                    row = await self._offer_intake(name, servers[name], rate)
                    # Offered to this server alone (the table says so), not one of the paired loads.
                    row["own_load"] = True
                    rows[name].append(row)
                    extra[name] += 1
                    offered = True
            if not offered:
                break
            order = order[::-1]
        for side in rows.values():
            side.sort(key=lambda row: row["offered"])

    async def _pairs_at_limits(self, rows: dict[str, list[dict]], servers: dict[str, int]) -> list[dict]:
        """Both servers past their limits (``limit_load``) one right after the other, the order
        alternating, ``opts.intake_pairs`` times. A pair's two rates are measured seconds apart,
        where each server's best row above may come from a minute of a different speed (the
        machine's moves by a third within a run). While the machine slows (or speeds up) steadily,
        the server that goes second in a pair loses (or gains) by it, each server in every other
        pair, so over an even number of pairs the drift hardly moves the median (slowing by a tenth
        a load, by half a percent of it).
        """
        loads = {name: limit_load(side) for name, side in rows.items()}
        if None in loads.values():
            if self.opts.intake_pairs:
                log("  no pairs: a server answered (next to) nothing at every load")
            return []
        pairs: list[dict] = []
        for i in range(self.opts.intake_pairs):
            order = ("bare", "reports") if i % 2 == 0 else ("reports", "bare")
            pair: dict = {"first": order[0]}
            for name in order:
                await self.settle()
                pair[name] = await self._offer_intake(name, servers[name], loads[name])
            bare = pair["bare"]["accepted_per_s"]
            pair["ratio"] = pair["reports"]["accepted_per_s"] / bare * 100 if bare else None
            pairs.append(pair)
        shown = [
            "- (the bare endpoint answered none)" if p["ratio"] is None
            else f"{p['ratio']:.1f} %" + ("" if counted(p) else " (not counted: a server kept up)")
            for p in pairs
        ]
        if shown:
            log(f"  intake / bare past their limits, pair by pair: {', '.join(shown)}")
        return pairs

    def _start_bare(self) -> stack.Service:
        """The bare endpoint (``bench/bare_app.py``) on uvicorn with the services' flags."""
        port = stack.free_port()
        process = stack.start_process(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.bare_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--no-server-header",
                "--log-level",
                "warning",
                "--loop",  # the event loop `nuanxin run` serves on
                "shared.http.listener:new_event_loop",
            ],
            dict(os.environ),
            self.work / "bare.log",
        )
        self.rss.watch("bare-endpoint", process.pid)
        return stack.Service("bare-endpoint", port, process)

    async def _offer_intake(self, name: str, port: int, rate: float) -> dict:
        """One open-loop load of POST /reports on one server, with its CPU per answered request."""
        o = self.opts
        self.seed += 1
        res = await offer_http(
            port,
            rate,
            o.intake_stage_s,
            self.worker_tokens if name == "reports" else [],
            self._bbox(),
            self.seed,
            self.work,
            watch=self.rss.watch,
        )
        server = "reports" if name == "reports" else "bare-endpoint"
        t0, t1 = res["start_at"], time.monotonic()  # from the first slot: the load alone
        s = _with_cpu(http_summary(res), self.rss.cpu_share(t0, t1), server, t1 - t0)
        label = "intake" if name == "reports" else "bare  "
        log(
            f"  {label} {rate:>5.0f}/s: {s['accepted_per_s']:,.0f}/s p50 {fmt_ms(s['p50_ms'])} "
            f"p99 {fmt_ms(s['p99_ms'])} {s['statuses']}"
        )
        return s

    async def _burst_on_intake(self, rate: float, burst: int) -> dict:
        """Riders' new connections to a busy intake: ``burst`` opened at once, 2 s into a load."""
        o = self.opts
        port = self.services["reports"].port
        self.seed += 1
        spec = LoadSpec(port=port, rate=rate, duration_s=o.intake_stage_s, start_at=0.0,
                        tokens=self.worker_tokens, bbox=self._bbox(), seed=BURST_SEED + self.seed)
        payloads = bodies(spec, burst + OPEN_BEFORE)
        start_at = time.monotonic() + head_start_s(rate, o.intake_stage_s)
        res, row = await asyncio.gather(
            offer_http(port, rate, o.intake_stage_s, self.worker_tokens, self._bbox(), self.seed,
                       self.work, watch=self.rss.watch, start_at=start_at),
            burst_at(port, payloads, burst, start_at + min(2.0, o.intake_stage_s / 2)),
        )
        steady = http_summary(res)
        log(
            f"  intake {rate:>5.0f}/s with {burst} new connections at once: new answered p50 "
            f"{fmt_ms(row['new_answer_p50_ms'])} max {fmt_ms(row['new_answer_max_ms'])}, open ones p50 "
            f"{fmt_ms(row['open_answer_p50_ms'])}; the load p50 {fmt_ms(steady['p50_ms'])}"
        )
        return {"rate": rate, **row, "load": steady}

    async def _profile_intake(self, rate: float) -> None:
        """One more load on intake, sampled by py-spy (not counted above)."""
        o = self.opts
        await self.settle()
        spy = start_profile(
            self.services["reports"].process.pid,
            o.intake_stage_s + 1 + head_start_s(rate, o.intake_stage_s),
            self.work / "intake.pyspy",
            o.profile_hz,
        )
        if spy is None:
            return
        self.seed += 1
        await offer_http(
            self.services["reports"].port,
            rate,
            o.intake_stage_s,
            self.worker_tokens,
            self._bbox(),
            self.seed,
            self.work,
        )
        await asyncio.to_thread(spy.wait, 30)


def _with_cpu(summary: dict, cores: dict[str, float], server: str, span_s: float) -> dict:
    """Add CPU use, and the server's CPU milliseconds per answered request (robust to a shared
    machine); for intake, its relay's too when a process of its own publishes the outbox."""
    ok = summary["accepted"]
    row = summary | {
        "cpu_cores": cores,
        "server_cpu_ms_per_request": cores.get(server, 0) * span_s * 1000 / ok if ok else None,
    }
    if server == "reports" and stack.RELAY in cores:
        row["relay_cpu_ms_per_request"] = cores[stack.RELAY] * span_s * 1000 / ok if ok else None
    return row

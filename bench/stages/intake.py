"""The intake stage: POST /reports on the reports service alone, beside a bare endpoint."""

from __future__ import annotations

import asyncio
import os
import sys
import time

from bench import stack
from bench.console import fmt_ms, log
from bench.load import http_summary, offer_http
from bench.profile import start_profile, summarize


class IntakeStage:
    """The intake-beside-its-limit stage of Bench (state lives on Bench)."""

    # ---------------------------------------------------------------- intake vs bare endpoint
    async def stage_intake(self) -> None:
        o = self.opts
        rows: dict[str, list] = {"reports": [], "bare": []}
        log("intake: reports service alone (routing and notify stopped)")
        profile_rate = max([r for r in o.intake_rates if r <= 1000] or o.intake_rates[:1])
        for rate in [*o.intake_rates, *o.intake_ceiling]:
            self.seed += 1
            t0 = time.monotonic()
            res = await offer_http(
                self.services["reports"].port,
                rate,
                o.intake_stage_s,
                self.worker_tokens,
                self._bbox(),
                self.seed,
                self.work,
                watch=self.rss.watch,
            )
            s = _with_cpu(
                http_summary(res), self.rss.cpu_share(t0, time.monotonic()), "reports", time.monotonic() - t0
            )
            rows["reports"].append(s)
            log(
                f"  intake {rate:>5.0f}/s: {s['accepted_per_s']:,.0f}/s p50 {fmt_ms(s['p50_ms'])} "
                f"p99 {fmt_ms(s['p99_ms'])} {s['statuses']}"
            )
            await asyncio.sleep(1)
        if "profile" in o.stages:
            # One more run at a load it cannot quite hold, sampled by py-spy (not counted above).
            spy = start_profile(
                self.services["reports"].process.pid, o.intake_stage_s + 1, self.work / "intake.pyspy"
            )
            if spy is not None:
                self.seed += 1
                await offer_http(
                    self.services["reports"].port,
                    profile_rate,
                    o.intake_stage_s,
                    self.worker_tokens,
                    self._bbox(),
                    self.seed,
                    self.work,
                )
                await asyncio.to_thread(spy.wait, 30)
        stack.stop_process(self.services["reports"].process)
        port = stack.free_port()
        bare = stack.start_process(
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
            ],
            dict(os.environ),
            self.work / "bare.log",
        )
        self.rss.watch("bare-endpoint", bare.pid)
        try:
            await stack.wait_healthy(port)
            for rate in [*o.intake_rates, *o.intake_ceiling]:
                self.seed += 1
                t0 = time.monotonic()
                res = await offer_http(
                    port, rate, o.intake_stage_s, [], self._bbox(), self.seed, self.work, watch=self.rss.watch
                )
                s = _with_cpu(
                    http_summary(res),
                    self.rss.cpu_share(t0, time.monotonic()),
                    "bare-endpoint",
                    time.monotonic() - t0,
                )
                rows["bare"].append(s)
                log(
                    f"  bare   {rate:>5.0f}/s: {s['accepted_per_s']:,.0f}/s p50 {fmt_ms(s['p50_ms'])} "
                    f"p99 {fmt_ms(s['p99_ms'])} {s['statuses']}"
                )
                await asyncio.sleep(0.5)
        finally:
            stack.stop_process(bare)
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
            "bare_saturated": any(r["accepted_per_s"] < 0.95 * r["offered"] for r in rows["bare"]),
        }


def _with_cpu(summary: dict, cores: dict[str, float], server: str, span_s: float) -> dict:
    """Add CPU use, and the server's CPU milliseconds per answered request (robust to a shared machine)."""
    ok = summary["accepted"]
    return summary | {
        "cpu_cores": cores,
        "server_cpu_ms_per_request": cores.get(server, 0) * span_s * 1000 / ok if ok else None,
    }

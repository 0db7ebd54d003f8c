"""One benchmark run: infrastructure up, the stages in order, result.json and report.md written."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bench import stack
from bench.console import log
from bench.options import Options
from bench.revision import revision
from bench.sampler import RssSampler
from bench.stack import ROOT, Infra
from bench.stages.intake import IntakeStage
from bench.stages.pipeline import PipelineStages
from bench.stages.standalone import StandaloneStages
from bench.yardstick import measure_apart

RESULTS = ROOT / "bench" / "results"


class Bench(StandaloneStages, PipelineStages, IntakeStage):
    """One run: infrastructure, services, stages, results."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.stamp = stamp
        self.out = opts.out or RESULTS / stamp
        self.out.mkdir(parents=True, exist_ok=True)
        self.work = self.out / "work"
        self.work.mkdir(exist_ok=True)
        self.namespace = f"bench{stamp.lower()}."
        self.infra = Infra(opts.kafka, self.work)
        self.rss = RssSampler()
        self.result: dict = {
            "started_at": datetime.now(UTC).isoformat(),
            "commit": revision(),
            "options": _jsonable(asdict(opts)),
            "machine": _machine(),
            "namespace": self.namespace,
            "environment": stack.inherited_settings(),
            "stages": {},
        }
        self.services: dict[str, stack.Service] = {}

    # ---------------------------------------------------------------- orchestration
    async def run(self) -> Path:
        t_start = time.monotonic()
        stages = self.opts.stages
        self.yardstick("start")
        try:
            if "geometry" in stages:
                self.stage_geometry()
            if not {"sla", "passthrough", "pipeline", "profile", "intake"} & set(stages):
                return await self._finish(t_start)
            log("starting broker and PostgreSQL")
            self.infra.start()
            self.result["broker"] = self.infra.broker_label
            self.result["topic_partitions"] = self.infra.topic_partitions
            self.result["database_server"] = re.sub(r"//[^@]*@", "//", self.infra.server_url)
            self._watch_infra()
            self.rss.watch("harness", os.getpid(), children=False)
            self.rss.start()
            if "sla" in stages:
                await self.stage_sla()
            if "passthrough" in stages:
                await self.stage_passthrough()
            if {"pipeline", "profile", "intake"} & set(stages):
                await self.stage_services()
        finally:
            for svc in self.services.values():
                stack.stop_process(svc.process)
            self.rss.stop()
            if not self.opts.keep_db:
                try:
                    await self.infra.drop_databases()
                except (OSError, asyncpg.PostgresError) as exc:
                    log(f"could not drop bench databases: {exc}")
            self.infra.stop()
        self.yardstick("end")
        return await self._finish(t_start)

    def yardstick(self, at: str) -> None:
        """Time the machine's speed now (bench/yardstick.py), into result.json and the log."""
        got = measure_apart(0.5 if self.opts.quick else 1.5)
        if got is None:
            log(f"yardstick ({at}): failed")
            return
        self.result.setdefault("yardstick", []).append({"at": at, **got})
        log(f"yardstick ({at}): {got['events_per_s']:,} events/s")

    async def _finish(self, t_start: float) -> Path:
        self.result["memory"] = {
            "peak_rss_mb": self.rss.peaks(),
            "series": {
                n: [(round(t, 2), round(mb, 1)) for t, mb, _ in s] for n, s in self.rss.samples.items()
            },
        }
        self.result["faults"] = _faults()
        self.result["duration_s"] = time.monotonic() - t_start
        from bench.report import write_report

        (self.out / "result.json").write_text(json.dumps(self.result, indent=1, default=str))
        write_report(self.result, self.out)
        log(f"wrote {self.out / 'report.md'}")
        return self.out

    def _watch_infra(self) -> None:
        if self.infra.broker_pid:
            self.rss.watch("broker", self.infra.broker_pid)
        if self.infra._pg is not None:
            pid_file = self.infra._pg.data_dir / "postmaster.pid"
            if pid_file.exists():
                self.rss.watch("postgres", int(pid_file.read_text().split()[0]))


def _jsonable(d: dict) -> dict:
    return {k: str(v) if isinstance(v, Path) else v for k, v in d.items()}


def _machine() -> dict:
    import platform

    import psutil

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_avg_at_start": os.getloadavg(),
    }


def _faults() -> dict | None:
    path = ROOT / "test-artifacts" / "faults.json"
    if not path.exists():
        return None
    try:
        return {"path": str(path.relative_to(ROOT)), "data": json.loads(path.read_text())}
    except (OSError, ValueError) as exc:
        return {"path": str(path.relative_to(ROOT)), "error": str(exc)}

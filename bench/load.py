"""Open-loop HTTP load from a separate client process, and what each stage of it measured."""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from pathlib import Path

from bench.console import log
from bench.stack import ROOT

PREPARE_S = 25e-6  # head start a request, beyond a second for the client to start


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank) of values, None if empty."""
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))]


def head_start_s(rate: float, duration_s: float) -> float:
    """How long before its first slot a load's client is started.

    The client prepares every request before the first is due (~10 µs each) and opens its
    connections: a client still preparing when the load starts would send its first second late.
    """
    return 1.0 + rate * duration_s * PREPARE_S


async def offer_http(
    port: int,
    rate: float,
    duration_s: float,
    tokens: list[str],
    bbox,
    seed: int,
    workdir: Path,
    path: str = "/reports",
    watch=None,
    start_at: float | None = None,
) -> dict:
    """Run one open-loop stage in a separate client process; returns its records.

    The first request is due at ``start_at`` (``time.monotonic()``), by default one head start
    from now; the result's ``start_at`` says when, so CPU can be read over the load alone.
    """
    spec_path = workdir / f"load-{port}-{seed}.json"
    out_path = workdir / f"load-{port}-{seed}.out.json"
    if start_at is None:
        start_at = time.monotonic() + head_start_s(rate, duration_s)
    spec_path.write_text(
        json.dumps(
            {
                "port": port,
                "rate": rate,
                "duration_s": duration_s,
                "start_at": start_at,
                "tokens": tokens,
                "bbox": list(bbox),
                "seed": seed,
                "path": path,
            }
        )
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.http_load",
        str(spec_path),
        str(out_path),
        cwd=ROOT,
    )
    if watch is not None:
        watch("load-client", proc.pid)
    try:
        await asyncio.wait_for(proc.wait(), max(0.0, start_at - time.monotonic()) + duration_s + 40)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    result = json.loads(out_path.read_text())
    late_ms = (result.get("ready_at", 0.0) - start_at) * 1000
    if late_ms > 0:
        log(f"  the load client was ready {late_ms:.0f} ms after its first slot")
    spec_path.unlink(missing_ok=True)
    out_path.unlink(missing_ok=True)
    return result


def http_summary(result: dict) -> dict:
    """Accepted per second and latency from the scheduled time, per stage."""
    recs = result["records"]
    ok = [r for r in recs if r[2] in (200, 201)]
    statuses: dict[str, int] = {}
    for r in recs:
        statuses[str(r[2])] = statuses.get(str(r[2]), 0) + 1
    lat = [(r[1] - r[0]) * 1000 for r in ok]
    span = (max(r[1] for r in ok) - result["start_at"]) if ok else 0
    return {
        "offered": result["rate"],
        "requests": len(recs),
        "accepted": len(ok),
        "accepted_per_s": len(ok) / span if span > 0 else 0.0,
        "p50_ms": pct(lat, 50),
        "p99_ms": pct(lat, 99),
        "max_ms": max(lat, default=None),
        "statuses": statuses,
    }

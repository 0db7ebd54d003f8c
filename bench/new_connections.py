"""New connections to a busy server: `python -m bench.new_connections`.

Starts the bare endpoint (``bench/bare_app.py``, intake's framework, server and request model)
once on uvloop's own loop and once on the loop `nuanxin run` serves on
(``shared.http.listener``), in turns. Each time a load client offers ``--rate`` requests a second
on connections it opened beforehand, and three seconds in this process opens ``--burst`` new
connections at once, each sending one request, alongside one request on each of 20 connections
opened before the load. Printed per load: how long the new connections took to connect and to
be answered, the same for the open ones, and the steady load's p50/p99. No assertion: it
measures. Needs nothing but the repo (no broker, no database).

What it shows: libuv accepts one connection each time the listening socket is ready, that is
one per turn of the event loop, and a saturated loop turns every few tens of milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import uvloop

from bench import stack
from bench.http_client import Connection
from bench.http_load import LoadSpec, bodies
from bench.load import http_summary, pct

LOOPS = {"uvloop": "uvloop", "nuanxin": "shared.http.listener:new_event_loop"}
BBOX = (106.45, 29.60, 106.85, 29.95)
OPEN_BEFORE = 20
BURST_SEED = 1_000_000  # added to a load's seed for the burst's requests


async def timed_burst(port: int, payloads: list[bytes], burst: int, warm: list[Connection]) -> dict:
    """Open ``burst`` connections at once, one request each, beside one request per open one.

    ``payloads`` are whole requests, one for each of the ``burst + len(warm)`` requests (the new
    connections' first).
    """
    new: list[tuple[float, float]] = []
    old: list[float] = []
    statuses: dict[str, int] = {}

    async def fresh(payload: bytes) -> None:
        t0 = time.monotonic()
        conn = await Connection.open(port)
        t1 = time.monotonic()
        status, _ = await conn.request(payload)
        new.append((t1 - t0, time.monotonic() - t1))
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        conn.close()

    async def reuse(conn: Connection, payload: bytes) -> None:
        t0 = time.monotonic()
        await conn.request(payload)
        old.append(time.monotonic() - t0)

    await asyncio.gather(
        *(fresh(payloads[i]) for i in range(burst)),
        *(reuse(c, payloads[burst + i]) for i, c in enumerate(warm)),
    )
    connect = [c * 1000 for c, _ in new]
    answer = [a * 1000 for _, a in new]
    return {
        "burst": burst,
        "open": len(warm),
        "new_connect_p50_ms": pct(connect, 50),
        "new_connect_max_ms": max(connect),
        "new_answer_p50_ms": pct(answer, 50),
        "new_answer_p90_ms": pct(answer, 90),
        "new_answer_max_ms": max(answer),
        "new_statuses": statuses,
        "open_answer_p50_ms": pct([o * 1000 for o in old], 50),
        "open_answer_max_ms": max(old) * 1000,
    }


async def burst_at(port: int, payloads: list[bytes], burst: int, at: float) -> dict:
    """``timed_burst`` at ``at`` (``time.monotonic()``), beside ``OPEN_BEFORE`` connections opened now."""
    warm = [await Connection.open(port) for _ in range(OPEN_BEFORE)]
    try:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        return await timed_burst(port, payloads, burst, warm)
    finally:
        for conn in warm:
            conn.close()


async def one(loop_name: str, rate: float, burst: int, seconds: float, work: Path, seed: int) -> dict:
    """One load at ``rate`` on the bare endpoint served on ``loop_name``, with a burst 3 s in."""
    port = stack.free_port()
    server = stack.start_process(
        [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--no-server-header", "--log-level", "warning", "--loop", LOOPS[loop_name]],
        dict(os.environ),
        work / "bare.log",
    )
    try:
        await stack.wait_healthy(port)
        start_at = time.monotonic() + 1.5
        spec = {"port": port, "rate": rate, "duration_s": seconds, "start_at": start_at, "tokens": [],
                "bbox": list(BBOX), "seed": seed}
        spec_path, out_path = work / f"nc-{seed}.json", work / f"nc-{seed}.out.json"
        spec_path.write_text(json.dumps(spec))
        client = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.http_load", str(spec_path), str(out_path), cwd=stack.ROOT
        )
        # Keys of their own: the load client's are drawn from ``seed``.
        payloads = bodies(LoadSpec(**{**spec, "bbox": BBOX, "seed": BURST_SEED + seed}), burst + OPEN_BEFORE)
        row = await burst_at(port, payloads, burst, start_at + 3)
        await asyncio.wait_for(client.wait(), seconds + 40)
        steady = http_summary(json.loads(out_path.read_text()))
        return {"loop": loop_name, "rate": rate, **row,
                "steady_per_s": steady["accepted_per_s"], "steady_p50_ms": steady["p50_ms"],
                "steady_p99_ms": steady["p99_ms"]}
    finally:
        stack.stop_process(server)


def _table(rows: list[dict]) -> str:
    lines = [
        "| loop | offered/s | new: connect p50 / max | new: answered p50 / p90 / max | "
        "open: answered p50 / max | steady answered/s, p50 / p99 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['loop']} | {r['rate']:,.0f} "
            f"| {r['new_connect_p50_ms']:.0f} / {r['new_connect_max_ms']:.0f} ms "
            f"| {r['new_answer_p50_ms']:,.0f} / {r['new_answer_p90_ms']:,.0f} "
            f"/ {r['new_answer_max_ms']:,.0f} ms "
            f"| {r['open_answer_p50_ms']:.0f} / {r['open_answer_max_ms']:.0f} ms "
            f"| {r['steady_per_s']:,.0f}/s, {r['steady_p50_ms']:,.0f} / {r['steady_p99_ms']:,.0f} ms |"
        )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace, out: Path) -> list[dict]:
    rows: list[dict] = []
    seed = 0
    for turn, rate in enumerate(rate for _ in range(args.repeat) for rate in args.rates):
        # In turns, the order alternating, so a machine that drifts by the minute favours neither.
        for loop_name in ("uvloop", "nuanxin") if turn % 2 == 0 else ("nuanxin", "uvloop"):
            seed += 1
            row = await one(loop_name, rate, args.burst, args.seconds, out, seed)
            print(f"{loop_name:>8} {rate:>6,.0f}/s: new answered p50 {row['new_answer_p50_ms']:,.0f} "
                  f"max {row['new_answer_max_ms']:,.0f} ms; open p50 {row['open_answer_p50_ms']:.0f} ms",
                  flush=True)
            rows.append(row)
    rows.sort(key=lambda r: (r["rate"], r["loop"]))
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.new_connections",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")],
                   default=[2500.0, 5000.0, 6000.0],
                   help="offered loads on open connections, requests/s (default 2500,5000,6000)")
    p.add_argument("--burst", type=int, default=150, help="new connections opened at once (default 150)")
    p.add_argument("--seconds", type=float, default=8.0, help="length of each load (default 8)")
    p.add_argument("--repeat", type=int, default=2, help="loads per loop and rate, in turns (default 2)")
    p.add_argument("--out", help="results folder (default bench/results/new-connections-<time>)")
    args = p.parse_args(argv)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = Path(args.out or stack.ROOT / "bench" / "results" / f"new-connections-{stamp}")
    out.mkdir(parents=True, exist_ok=True)
    rows = uvloop.run(main_async(args, out))
    (out / "result.json").write_text(json.dumps(rows, indent=2))
    (out / "report.md").write_text(
        f"# New connections to a busy server\n\n{args.burst} new connections at once, 3 s into a load "
        f"on 256 open ones (and one request on each of {OPEN_BEFORE} more), bare endpoint.\n\n"
        f"{_table(rows)}\n"
    )
    print(_table(rows))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

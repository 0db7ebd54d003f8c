"""Open-loop HTTP load: requests at fixed times, latency from the scheduled time (no coordinated omission).

Runs in its own process (`python -m bench.http_load spec.json out.json`) so the client does not
share a GIL with the harness. A minimal HTTP/1.1 keep-alive client on asyncio streams is used
because httpx spends more CPU per request than the server under test on a 2-core machine.
Bounded: exactly ``rate * duration`` requests, nothing after ``duration + grace_s``.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPORT_ID = re.compile(rb'"report_id"\s*:\s*"([0-9a-f-]{36})"')
# Hazard categories only: they all open a case, need no photo, and spread "me too" matching thin.
CATEGORIES = (
    "blocked_fire_exit",
    "broken_manhole_cover",
    "dangling_wires",
    "ebike_charging_stairwell",
    "road_damage",
    "other_hazard",
)


@dataclass(frozen=True)
class LoadSpec:
    """One stage of load against one endpoint."""

    port: int
    rate: float
    duration_s: float
    start_at: float  # time.monotonic() of the first request (system-wide on Linux)
    tokens: list[str]
    bbox: tuple[float, float, float, float]
    seed: int = 1
    path: str = "/reports"
    max_conns: int = 256
    grace_s: float = 10.0


def bodies(spec: LoadSpec, n: int) -> list[bytes]:
    """Requests ready to write: random points in the bbox, hazard categories in turn, tokens in turn."""
    rnd = random.Random(spec.seed)
    x0, y0, x1, y1 = spec.bbox
    out = []
    for i in range(n):
        body = json.dumps(
            {
                "kind": "hazard",
                "category": CATEGORIES[i % len(CATEGORIES)],
                "location": {"lat": round(rnd.uniform(y0, y1), 6), "lon": round(rnd.uniform(x0, x1), 6)},
                "description": f"bench {spec.seed}-{i}",
            },
            separators=(",", ":"),
        ).encode()
        auth = f"Authorization: Bearer {spec.tokens[i % len(spec.tokens)]}\r\n" if spec.tokens else ""
        head = (
            f"POST {spec.path} HTTP/1.1\r\nHost: 127.0.0.1:{spec.port}\r\n"
            f"Content-Type: application/json\r\n{auth}Content-Length: {len(body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


class Pool:
    """Keep-alive connections to 127.0.0.1, at most ``size``."""

    def __init__(self, port: int, size: int) -> None:
        self._port = port
        self._size = size
        self._idle: asyncio.LifoQueue = asyncio.LifoQueue()
        self._open = 0

    async def get(self):
        if self._idle.empty() and self._open < self._size:
            self._open += 1
            try:
                return await asyncio.open_connection("127.0.0.1", self._port)
            except BaseException:
                self._open -= 1
                raise
        return await self._idle.get()

    def put(self, conn) -> None:
        self._idle.put_nowait(conn)

    def drop(self, conn) -> None:
        self._open -= 1
        conn[1].close()

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait()[1].close()


async def _exchange(conn, payload: bytes) -> tuple[int, bytes]:
    reader, writer = conn
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    m = re.search(rb"content-length:\s*(\d+)", lower)
    if m:
        return status, await reader.readexactly(int(m.group(1)))
    if b"transfer-encoding: chunked" in lower:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return status, b"".join(parts)
            parts.append(chunk[:-2])
    return status, b""


async def run_load(spec: LoadSpec) -> dict:
    """Offer the load; one record per request: [scheduled, done, status, report_id]."""
    n = max(1, int(spec.rate * spec.duration_s))
    payloads = bodies(spec, n)
    pool = Pool(spec.port, spec.max_conns)
    hard_end = spec.start_at + spec.duration_s + spec.grace_s
    records: list[list] = [[0.0, 0.0, 0, None] for _ in range(n)]

    async def one(i: int, sched: float) -> None:
        rec = records[i]
        rec[0] = sched
        conn = None
        try:
            remaining = hard_end - time.monotonic()
            if remaining <= 0:
                return
            async with asyncio.timeout(remaining):
                conn = await pool.get()
                status, body = await _exchange(conn, payloads[i])
            rec[1], rec[2] = time.monotonic(), status
            m = REPORT_ID.search(body)
            rec[3] = m.group(1).decode() if m else None
            pool.put(conn)
            conn = None
        except TimeoutError:
            rec[2] = 0  # not answered in time (or never sent: client backlog)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            rec[2] = -1
        finally:
            if conn is not None:
                pool.drop(conn)

    tasks = []
    now = time.monotonic()
    if spec.start_at > now:
        await asyncio.sleep(spec.start_at - now)
    for i in range(n):
        sched = spec.start_at + i / spec.rate
        delay = sched - time.monotonic()
        if delay > 0.001:
            await asyncio.sleep(delay)
        if time.monotonic() > hard_end:
            records[i][0] = sched
            continue
        tasks.append(asyncio.create_task(one(i, sched)))
    if tasks:
        await asyncio.wait(tasks, timeout=max(0.1, hard_end - time.monotonic() + 1))
    for t in tasks:
        t.cancel()
    pool.close()
    return {"rate": spec.rate, "duration_s": spec.duration_s, "start_at": spec.start_at, "records": records}


def main(argv: list[str]) -> int:
    """`python -m bench.http_load spec.json out.json`."""
    raw = json.loads(Path(argv[0]).read_text())
    raw["bbox"] = tuple(raw["bbox"])
    result = asyncio.run(run_load(LoadSpec(**raw)))
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Open-loop HTTP load: requests at fixed times, latency from the scheduled time (no coordinated omission).

Runs in its own process (`python -m bench.http_load spec.json out.json`) so the client does not
share a GIL with the harness. Its connections are ``bench.http_client.Connection``s on uvloop,
driven by callbacks: no timer, task or future per request.
Bounded: exactly ``rate * duration`` requests, nothing after ``duration + grace_s``.
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import re
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import uvloop

from bench.http_client import Connection

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
    """Requests ready to write: random points in the bbox, hazard categories in turn, tokens in turn.

    Each carries an ``Idempotency-Key`` of its own, a random UUID, as the rider app's reports do
    (``nuanxin/static/js/worker.js``): intake then keeps and checks keys as it does for riders.
    """
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
        key = uuid.UUID(int=rnd.getrandbits(128), version=4)
        head = (
            f"POST {spec.path} HTTP/1.1\r\nHost: 127.0.0.1:{spec.port}\r\n"
            f"Content-Type: application/json\r\n{auth}Idempotency-Key: {key}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


class Load:
    """Sends each request when it is due on an idle keep-alive connection, or on the next one freed.

    Driven by callbacks, not a task per request: the client's CPU is the machine's, taken from the
    system under test, and a task with its futures cost about as much as the rest of a request.
    At most ``spec.max_conns`` connections; a request due when all are busy waits for the first
    one freed (first come, first served), and one is opened for it if fewer are open.
    """

    def __init__(self, spec: LoadSpec, payloads: list[bytes], records: list[list]) -> None:
        self._spec = spec
        self._payloads = payloads
        self._records = records
        self._idle: list[Connection] = []
        self._waiting: collections.deque[int] = collections.deque()
        self._conns: set[Connection] = set()
        self._opening: set[asyncio.Task] = set()
        self._open = 0  # connections open or being opened
        self._outstanding = 0  # requests due and not yet answered or failed
        self._scheduled = False
        self._ended = False
        self.done = asyncio.get_running_loop().create_future()

    async def warm(self, count: int) -> None:
        """Open up to ``count`` connections now, idle until asked for (any that fail are left out)."""
        opened = await asyncio.gather(
            *(Connection.open(self._spec.port) for _ in range(count)), return_exceptions=True
        )
        for conn in opened:
            if isinstance(conn, Connection):
                self._open += 1
                self._conns.add(conn)
                self._idle.append(conn)

    def due(self, i: int, sched: float) -> None:
        """Request ``i`` (its slot ``sched``) is due: send it, or queue it for a connection."""
        rec = self._records[i]
        rec[0] = min(sched, time.monotonic())
        self._outstanding += 1
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                self._send(conn, i)
                return
            self._drop(conn)
        self._waiting.append(i)
        self._open_more()

    def all_due(self) -> None:
        """No request is due after those so far."""
        self._scheduled = True
        self._check_done()

    def end(self) -> None:
        """Stop: answers still out keep status 0, and every connection is closed."""
        self._ended = True
        for task in self._opening:
            task.cancel()
        for conn in list(self._conns):
            conn.close()
        self._conns.clear()
        self._idle.clear()

    def _send(self, conn: Connection, i: int) -> None:
        self._records[i][4] = time.monotonic()
        conn.tag = i
        conn.send(self._payloads[i], self._answered)

    def _answered(self, conn: Connection, status: int, body: bytes | BaseException) -> None:
        if self._ended:
            return
        rec = self._records[conn.tag]
        if status >= 0:
            rec[1], rec[2] = time.monotonic(), status
            m = REPORT_ID.search(body)
            rec[3] = m.group(1).decode() if m else None
        else:
            rec[2] = -1  # the connection failed under it (refused, reset, an unreadable answer)
        self._outstanding -= 1
        if status < 0 or conn.closed:
            self._drop(conn)
            self._open_more()
        else:
            self._free(conn)
        self._check_done()

    def _free(self, conn: Connection) -> None:
        if self._waiting:
            self._send(conn, self._waiting.popleft())
        else:
            self._idle.append(conn)

    def _drop(self, conn: Connection) -> None:
        self._open -= 1
        self._conns.discard(conn)
        conn.close()

    def _open_more(self) -> None:
        """Open a connection for each waiting request that none is being opened for, within the cap."""
        while len(self._waiting) > len(self._opening) and self._open < self._spec.max_conns:
            self._open += 1
            task = asyncio.get_running_loop().create_task(self._open_one())
            self._opening.add(task)

    async def _open_one(self) -> None:
        task = asyncio.current_task()
        try:
            conn = await Connection.open(self._spec.port)
        except (OSError, ValueError):
            self._open -= 1
            self._opening.discard(task)
            if self._waiting and not self._ended:
                # The request that needed it fails, as it would have on a connection it opened,
                # and the next waiting one gets a try of its own.
                self._records[self._waiting.popleft()][2] = -1
                self._outstanding -= 1
                self._open_more()
                self._check_done()
            return
        self._opening.discard(task)
        if self._ended:
            conn.close()
            return
        self._conns.add(conn)
        self._free(conn)

    def _check_done(self) -> None:
        if self._scheduled and self._outstanding == 0 and not self.done.done():
            self.done.set_result(None)


async def run_load(spec: LoadSpec) -> dict:
    """Offer the load; one record per request: [start, done, status, report_id, connected].

    ``start`` is the request's slot in the schedule, so a request the client could not send in
    time is charged the wait (no coordinated omission); one sent ahead of its slot (the loop sends
    what is due within a millisecond) starts when it left instead, so no latency reads negative.
    ``connected`` is when the request got a connection (0.0 if it never did): the time between
    ``start`` and it was spent waiting for one of the pool's connections.
    """
    n = max(1, int(spec.rate * spec.duration_s))
    payloads = bodies(spec, n)
    hard_end = spec.start_at + spec.duration_s + spec.grace_s
    records: list[list] = [[0.0, 0.0, 0, None, 0.0] for _ in range(n)]
    load = Load(spec, payloads, records)
    # Open before the first request is due, as riders arriving steadily would find them: opened
    # on demand, a burst of ~150 new connections at the start of each load made its first second
    # the slowest (p99 1.0-2.8 s against 0.5-1.4 s in the others at 1,410-2,000/s).
    await load.warm(min(spec.max_conns, n))
    now = ready_at = time.monotonic()
    if spec.start_at > now:
        await asyncio.sleep(spec.start_at - now)
    for i in range(n):
        sched = spec.start_at + i / spec.rate
        delay = sched - time.monotonic()
        if delay > 0.001:
            await asyncio.sleep(delay)
        if time.monotonic() > hard_end:
            records[i][0] = sched  # never sent: status 0
            continue
        load.due(i, sched)
    load.all_due()
    # Unanswered by the hard end: the record keeps status 0.
    await asyncio.wait([load.done], timeout=max(0.1, hard_end - time.monotonic()))
    load.end()
    return {
        "rate": spec.rate,
        "duration_s": spec.duration_s,
        "start_at": spec.start_at,
        "ready_at": ready_at,  # requests ready and connections open; after start_at, the client was late
        "records": records,
    }


def main(argv: list[str]) -> int:
    """`python -m bench.http_load spec.json out.json`."""
    raw = json.loads(Path(argv[0]).read_text())
    raw["bbox"] = tuple(raw["bbox"])
    result = uvloop.run(run_load(LoadSpec(**raw)))
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Open-loop HTTP load: requests at fixed times, latency from the scheduled time (no coordinated omission).

Runs in its own process (`python -m bench.http_load spec.json out.json`) so the client does not
share a GIL with the harness. The client is a minimal HTTP/1.1 keep-alive client: an asyncio
protocol on uvloop, responses parsed by httptools (what uvicorn parses requests with), no timer per
request. httpx spends more CPU per request than the server under test on a 2-core machine, and
every core-millisecond the client spends is one the system under test does not get.
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httptools
import uvloop

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


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; responses parsed by httptools (uvicorn's own parser).

    ``request`` writes a prepared request and returns a future of ``(status, body)``; given
    ``on_chunk``, each piece of a body goes to it as it arrives instead (a stream that never ends).
    """

    def __init__(self, on_chunk: Callable[[bytes], None] | None = None) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future | None = None
        self._body: list[bytes] = []
        self._on_chunk = on_chunk
        self.status = 0
        self.headers_done = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(cls, port: int, on_chunk: Callable[[bytes], None] | None = None) -> Connection:
        _, conn = await asyncio.get_running_loop().create_connection(lambda: cls(on_chunk), "127.0.0.1", port)
        return conn

    def request(self, payload: bytes) -> asyncio.Future:
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(payload)
        return self._waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ValueError(f"bad HTTP response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionResetError("connection closed"))

    # httptools callbacks
    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        if not self.headers_done.done():
            self.headers_done.set_result(self.status)
        if not self._parser.should_keep_alive():
            self.closed = True  # answered, then closed: not to be reused

    def on_body(self, body: bytes) -> None:
        if self._on_chunk is not None:
            self._on_chunk(body)
        else:
            self._body.append(body)

    def on_message_complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        body, self._body = b"".join(self._body), []
        if waiter is not None and not waiter.done():
            waiter.set_result((self.status, body))

    def _fail(self, exc: BaseException) -> None:
        if not self.headers_done.done():
            self.headers_done.set_exception(exc)
            self.headers_done.exception()  # retrieved: nobody may be waiting for it
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


class Pool:
    """Keep-alive connections to 127.0.0.1, at most ``size``."""

    def __init__(self, port: int, size: int) -> None:
        self._port = port
        self._size = size
        self._idle: list[Connection] = []
        self._waiting: collections.deque[asyncio.Future] = collections.deque()
        self._open = 0

    async def get(self) -> Connection:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
            self._open -= 1
        if self._open < self._size:
            self._open += 1
            try:
                return await Connection.open(self._port)
            except BaseException:
                self._open -= 1
                raise
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        return await waiter

    async def warm(self, count: int) -> None:
        """Open up to ``count`` connections now, idle until asked for (any that fail are left out)."""
        opened = await asyncio.gather(
            *(Connection.open(self._port) for _ in range(count)), return_exceptions=True
        )
        for conn in opened:
            if isinstance(conn, Connection):
                self._open += 1
                self._idle.append(conn)

    def put(self, conn: Connection) -> None:
        if conn.closed:
            self.drop(conn)
            return
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle.append(conn)

    def drop(self, conn: Connection) -> None:
        self._open -= 1
        conn.close()

    def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()


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
    pool = Pool(spec.port, spec.max_conns)
    hard_end = spec.start_at + spec.duration_s + spec.grace_s
    records: list[list] = [[0.0, 0.0, 0, None, 0.0] for _ in range(n)]

    async def one(i: int, sched: float) -> None:
        # Unanswered by the hard end: cancelled below, the record keeps status 0.
        rec = records[i]
        rec[0] = min(sched, time.monotonic())
        conn = None
        try:
            conn = await pool.get()
            rec[4] = time.monotonic()
            status, body = await conn.request(payloads[i])
            rec[1], rec[2] = time.monotonic(), status
            m = REPORT_ID.search(body)
            rec[3] = m.group(1).decode() if m else None
            pool.put(conn)
            conn = None
        except (OSError, ValueError):
            rec[2] = -1
        finally:
            if conn is not None:
                pool.drop(conn)

    tasks = []
    # Open before the first request is due, as riders arriving steadily would find them: opened
    # on demand, a burst of ~150 new connections at the start of each load made its first second
    # the slowest (p99 1.0-2.8 s against 0.5-1.4 s in the others at 1,410-2,000/s).
    await pool.warm(min(spec.max_conns, n))
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
        await asyncio.wait(tasks, timeout=max(0.1, hard_end - time.monotonic()))
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pool.close()
    return {"rate": spec.rate, "duration_s": spec.duration_s, "start_at": spec.start_at, "records": records}


def main(argv: list[str]) -> int:
    """`python -m bench.http_load spec.json out.json`."""
    raw = json.loads(Path(argv[0]).read_text())
    raw["bbox"] = tuple(raw["bbox"])
    result = uvloop.run(run_load(LoadSpec(**raw)))
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""The benchmark's own HTTP clients: what they read off the wire is what the server sent."""

from __future__ import annotations

import asyncio
import dataclasses
import re

from bench.dashboard import SseReader
from bench.http_client import Connection
from bench.http_load import LoadSpec, run_load

RID_A = "0b0c7f3e-5d1a-4c55-9a77-1f7c2f0a9b01"
RID_B = "6f1d2c3b-4a59-4e68-8d7c-2b1a0f9e8d7c"


def test_the_dashboard_reads_whole_events_split_across_chunks():
    sse = SseReader(port=0, token="t")
    sse.feed(b'id: 41\ndata: {"kind":"case.opened","payload":{"report_id": "' + RID_A[:10].encode(), now=1.0)
    assert sse.seen == {} and sse.last_id is None
    sse.feed(RID_A[10:].encode() + b'"}}\n\nid: 42\ndata: {"report_id": "' + RID_B.encode() + b'"}\n', 2.0)
    assert sse.seen == {RID_A: 2.0} and sse.last_id == "41"  # event 42 is not whole yet
    sse.feed(b'\nid: 43\ndata: {"report_id": "' + RID_A.encode() + b'"}\n\n', now=3.0)
    assert sse.seen == {RID_A: 2.0, RID_B: 3.0}  # the first sighting counts
    assert sse.last_id == "43"
    assert sse.events == 3


def _sized(status: str, body: bytes) -> bytes:
    return f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body


async def _serve(responses: list[bytes]) -> tuple[asyncio.Server, list[bytes]]:
    """A server that answers each request on a connection with the next of ``responses``."""
    requests: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                sized = [line for line in head.lower().split(b"\r\n") if line.startswith(b"content-length")]
                length = int(sized[0].split(b":")[1]) if sized else 0
                requests.append(head + await reader.readexactly(length))
                writer.write(responses[(len(requests) - 1) % len(responses)])
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), requests


def _spec(server: asyncio.Server, *, rate: float, duration_s: float, max_conns: int) -> LoadSpec:
    """A load on ``server`` starting now, as one worker in the district's bounding box."""
    return LoadSpec(
        port=server.sockets[0].getsockname()[1],
        rate=rate,
        duration_s=duration_s,
        start_at=asyncio.get_running_loop().time(),
        tokens=["tok"],
        bbox=(106.4, 29.6, 106.9, 29.9),
        max_conns=max_conns,
        grace_s=2,
    )


async def test_a_connection_reads_sized_and_chunked_answers_in_turn():
    server, requests = await _serve(
        [
            _sized("201 Created", b'{"ok": true}\n'),
            b"HTTP/1.1 422 Unprocessable\r\ntransfer-encoding: chunked\r\n\r\n"
            b'4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n',
        ]
    )
    async with server:
        conn = await Connection.open(server.sockets[0].getsockname()[1])
        assert await conn.request(b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}") == (
            201,
            b'{"ok": true}\n',
        )
        assert await conn.request(b"GET /y HTTP/1.1\r\nHost: h\r\n\r\n") == (422, b'{"a":1}')
        conn.close()
    assert [r.split(b" ")[1] for r in requests] == [b"/x", b"/y"]


async def test_the_load_records_each_answer_and_the_report_it_names():
    server, requests = await _serve(
        [
            _sized("201 Created", b'{"report_id":"' + RID_A.encode() + b'","ok":1}'),
            _sized("429 Too Many Requests", b"{}"),
        ]
    )
    async with server:
        # One connection: the server's answers alternate.
        result = await run_load(_spec(server, rate=200, duration_s=0.1, max_conns=1))
    records = result["records"]
    assert len(records) == len(requests) == 20
    assert [r[2] for r in records] == [201, 429] * 10
    assert [r[3] for r in records] == [RID_A, None] * 10
    assert all(r[1] >= r[0] > 0 for r in records)
    assert all(b"Authorization: Bearer tok" in r and b'"kind":"hazard"' in r for r in requests)
    # A key of its own on every report, as the rider app sends.
    keys = [re.search(rb"Idempotency-Key: ([0-9a-f-]{36})\r\n", r) for r in requests]
    assert all(keys) and len({k.group(1) for k in keys}) == len(requests)


async def test_the_connections_are_open_before_the_first_request_is_due():
    opened: list[float] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened.append(asyncio.get_running_loop().time())
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            writer.write(_sized("201 Created", b"{}"))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        spec = dataclasses.replace(
            _spec(server, rate=100, duration_s=0.1, max_conns=8),
            start_at=asyncio.get_running_loop().time() + 0.3,
        )
        result = await run_load(spec)
    await asyncio.sleep(0.05)  # the server's handlers have all started
    assert [r[2] for r in result["records"]] == [201] * 10
    assert len(opened) == 8, "every connection the pool may hold, and no more"
    assert max(opened) < spec.start_at
    assert result["ready_at"] < spec.start_at, "ready, its connections open, before the first slot"
    # Each request's connection was waiting for it: none had to be opened on its way.
    assert all(0 <= r[4] - r[0] < 0.05 for r in result["records"])


async def test_a_request_sent_ahead_of_its_slot_is_timed_from_when_it_left():
    # 0.2 ms apart: the load sends whatever is due within a millisecond at once, so most
    # requests leave before their slot and a local server answers some of them before it.
    server, _ = await _serve([_sized("201 Created", b"{}")])
    async with server:
        spec = _spec(server, rate=5000, duration_s=0.1, max_conns=64)
        result = await run_load(spec)
    records = result["records"]
    assert [r[2] for r in records] == [201] * 500
    scheduled = [spec.start_at + i / spec.rate for i in range(500)]
    assert all(r[0] <= s for r, s in zip(records, scheduled, strict=True))
    assert all(r[1] >= r[0] for r in records), "an answer timed before its request left"


async def test_the_new_connections_burst_sends_one_request_on_each_new_and_each_open_connection():
    from bench.new_connections import timed_burst

    server, requests = await _serve([_sized("201 Created", b'{"report_id": "' + RID_A.encode() + b'"}')])
    port = server.sockets[0].getsockname()[1]
    async with server:
        open_ones = [await Connection.open(port) for _ in range(3)]
        body = b'{"kind": "hazard"}'
        payload = b"POST /reports HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
        row = await timed_burst(port, [payload] * 13, 10, open_ones)
        for conn in open_ones:
            conn.close()
    assert len(requests) == 13
    assert all(r.startswith(b"POST /reports HTTP/1.1") and r.endswith(body) for r in requests)
    assert row["new_statuses"] == {"201": 10} and row["burst"] == 10 and row["open"] == 3
    assert 0 <= row["new_connect_p50_ms"] <= row["new_connect_max_ms"]
    assert 0 <= row["new_answer_p50_ms"] <= row["new_answer_p90_ms"] <= row["new_answer_max_ms"]
    assert 0 <= row["open_answer_p50_ms"] <= row["open_answer_max_ms"]


async def test_a_request_waits_for_a_free_connection_first_come_first_served():
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            await asyncio.sleep(0.02)  # slower than the load: requests queue for the one connection
            writer.write(_sized("201 Created", b"{}"))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        result = await run_load(_spec(server, rate=200, duration_s=0.05, max_conns=1))
    records = result["records"]
    assert [r[2] for r in records] == [201] * 10
    connected = [r[4] for r in records]
    assert connected == sorted(connected) and len(set(connected)) == 10, "one at a time, in turn"
    assert all(r[4] >= r[0] for r in records)
    # Each waited for the answer before it: the wait is charged to its latency.
    assert records[-1][1] - records[-1][0] >= 0.15


async def test_a_connection_the_server_closes_after_its_answer_is_replaced():
    opened: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened.append(1)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 201 Created\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        result = await run_load(_spec(server, rate=400, duration_s=0.05, max_conns=2))
    assert [r[2] for r in result["records"]] == [201] * 20
    assert len(opened) == 20, "two opened before the load, then one for each of the other 18 requests"


async def test_requests_to_a_port_nobody_listens_on_fail_at_once():
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    spec = _spec(server, rate=100, duration_s=0.05, max_conns=4)
    server.close()
    await server.wait_closed()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    result = await run_load(spec)
    assert [r[2] for r in result["records"]] == [-1] * 5
    assert all(r[4] == 0.0 for r in result["records"]), "none ever had a connection"
    assert loop.time() - t0 < spec.duration_s + 1.0, "failed as they came, not at the grace's end"


async def test_a_request_unanswered_by_the_hard_end_keeps_status_zero():
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        n = 0
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            n += 1
            if n == 1:
                writer.write(_sized("201 Created", b"{}"))  # the first only; the rest hang

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        spec = dataclasses.replace(_spec(server, rate=100, duration_s=0.03, max_conns=1), grace_s=0.3)
        result = await run_load(spec)
    assert [r[2] for r in result["records"]] == [201, 0, 0]
    assert result["records"][1][4] > 0.0 and result["records"][2][4] == 0.0, "sent / still waiting"


async def test_requests_waiting_at_the_cap_fail_at_once_when_no_connection_can_be_opened():
    server: asyncio.Server | None = None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        server.close()  # nothing more is accepted
        writer.transport.abort()  # and the request's connection fails under it

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    # Ten requests due at once (within the millisecond the load sends together) on two
    # connections: eight wait for one, and no request falls due after the failures.
    spec = _spec(server, rate=10_000, duration_s=0.001, max_conns=2)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    result = await run_load(spec)
    assert [r[2] for r in result["records"]] == [-1] * 10
    assert loop.time() - t0 < spec.grace_s / 2, "each waiting one failed in turn, none left to the hard end"

"""The SSE stream's framing: every entry read goes out, in order, the entries of one read in one write."""

from __future__ import annotations

import asyncio

from services.notify.app.live import FeedSignal
from services.notify.handlers import sse


class _Request:
    """What ``sse.stream`` asks of a request: whether the client has gone."""

    def __init__(self) -> None:
        self.gone = False

    async def is_disconnected(self) -> bool:
        return self.gone


async def test_the_entries_of_one_read_go_out_in_order_in_one_write():
    table = [(5, "case.opened", '{"case_id": "a"}'), (6, "case.escalated", {"case_id": "a", "level": 1})]
    reads: list[int] = []

    async def rows_after(last: int):
        reads.append(last)
        return [row for row in table if row[0] > last]

    request, signal = _Request(), FeedSignal()
    response = sse.stream(request, signal, rows_after, lambda row: row, start=4)
    body = response.body_iterator
    assert (await anext(body)).startswith("retry: 2000\n")
    assert await anext(body) == (
        'id: 5\nevent: case.opened\ndata: {"case_id": "a"}\n\n'
        'id: 6\nevent: case.escalated\ndata: {"case_id": "a", "level": 1}\n\n'
    )
    waiting = asyncio.ensure_future(anext(body))  # nothing new: it waits for the signal
    await asyncio.sleep(0.05)
    assert not waiting.done() and reads == [4, 6]
    table.append((7, "case.transitioned", '{"case_id": "a"}'))
    signal.fire()
    assert await asyncio.wait_for(waiting, 2) == 'id: 7\nevent: case.transitioned\ndata: {"case_id": "a"}\n\n'
    assert reads == [4, 6, 6]
    request.gone = True
    await body.aclose()

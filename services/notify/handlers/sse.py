"""Server-Sent Events that resume from Last-Event-ID without gaps or repeats."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

from services.notify.app.live import FeedSignal
from shared.http.errors import ProblemError

KEEPALIVE_S = 15.0
Rows = Callable[[int], Awaitable[Sequence[Any]]]
# (id, event name, data): data as a dict, or as JSON text already encoded.
Render = Callable[[Any], tuple[int, str, dict | str]]


def start_after(last_event_id: str | None, since: int | None, head: int) -> int:
    """Resume after Last-Event-ID, or replay after ``since``, or start live at the head."""
    if last_event_id is not None:
        try:
            return int(last_event_id)
        except ValueError as exc:
            raise ProblemError(400, "invalid_last_event_id", "Last-Event-ID must be a number") from exc
    return since if since is not None else head


def stream(
    request: Request, signal: FeedSignal, rows_after: Rows, render: Render, start: int
) -> StreamingResponse:
    """Entries after ``start`` in order, then live ones as the signal fires; keep-alives when idle."""

    async def events() -> AsyncIterator[str]:
        last = start
        yield f"retry: 2000\n: stream open after {last}\n\n"
        while not await request.is_disconnected():
            wake = signal.current()  # taken before reading, so no wake-up is lost in between
            rows = await rows_after(last)
            if rows:
                # One write for all the entries read: a send per entry cost notify more than the
                # entry itself under load (each passes the ASGI middleware and the transport).
                parts = []
                for row in rows:
                    last, name, data = render(row)
                    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
                    parts.append(f"id: {last}\nevent: {name}\ndata: {text}\n\n")
                yield "".join(parts)
                continue
            try:
                await asyncio.wait_for(wake.wait(), KEEPALIVE_S)
            except TimeoutError:
                yield ": keep-alive\n\n"

    return StreamingResponse(
        events(), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )

"""The dashboard side of the pipeline: when each report's case shows up on the notify stream."""

from __future__ import annotations

import asyncio
import re
import time

from bench.http_client import Connection

REPORT_ID = re.compile(rb'"report_id":\s*"([0-9a-f-]{36})"')
EVENT_ID = re.compile(rb"^id: (\S+)$", re.MULTILINE)


class SseReader:
    """The dashboard: district staff on GET /notify/stream; notes when each report's case appears.

    It shares the harness's process with the samplers, so it reads the stream the way the load
    client sends: an asyncio protocol with httptools, each arriving chunk searched whole.
    """

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.seen: dict[str, float] = {}
        self.events = 0
        self.last_id: str | None = None
        self._task: asyncio.Task | None = None
        self._tail = b""
        self.connected = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def feed(self, chunk: bytes, now: float | None = None) -> None:
        """Take one piece of the stream; whole events are read (as a browser dispatches them, at the
        blank line that ends each), the rest waits for the next piece."""
        now = time.monotonic() if now is None else now
        text = self._tail + chunk
        cut = text.rfind(b"\n\n") + 2 if b"\n\n" in text else 0
        whole, self._tail = text[:cut], text[cut:]
        if not whole:
            return
        self.events += whole.count(b"\ndata: ") + whole.startswith(b"data: ")
        for rid in REPORT_ID.findall(whole):
            self.seen.setdefault(rid.decode(), now)
        ids = EVENT_ID.findall(whole)
        if ids:
            self.last_id = ids[-1].decode()

    async def _run(self) -> None:
        while True:
            conn = None
            try:
                self._tail = b""
                conn = await Connection.open(self.port, on_chunk=self.feed)
                resume = f"Last-Event-ID: {self.last_id}\r\n" if self.last_id else ""
                ended = conn.request(
                    f"GET /notify/stream HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                    f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n"
                    f"{resume}\r\n".encode()
                )
                if await asyncio.wait_for(conn.headers_done, 5) == 200:
                    self.connected.set()
                await ended
            except (OSError, ValueError, TimeoutError):
                pass
            finally:
                if conn is not None:
                    conn.close()
            await asyncio.sleep(0.2)

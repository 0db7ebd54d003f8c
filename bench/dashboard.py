"""The dashboard side of the pipeline: when each report's case shows up on the notify stream."""

from __future__ import annotations

import asyncio
import re
import time

REPORT_ID = re.compile(r'"report_id":\s*"([0-9a-f-]{36})"')


class SseReader:
    """The dashboard: district staff on GET /notify/stream; notes when each report's case appears."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.seen: dict[str, float] = {}
        self.events = 0
        self.last_id: str | None = None
        self._task: asyncio.Task | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(timeout=httpx.Timeout(5, read=None)) as client:
            while True:
                if self.last_id:
                    headers["Last-Event-ID"] = self.last_id
                try:
                    async with client.stream(
                        "GET", f"http://127.0.0.1:{self.port}/notify/stream", headers=headers
                    ) as resp:
                        self.connected.set()
                        async for line in resp.aiter_lines():
                            if line.startswith("data: "):
                                m = REPORT_ID.search(line)
                                if m and m.group(1) not in self.seen:
                                    self.seen[m.group(1)] = time.monotonic()
                                self.events += 1
                            elif line.startswith("id: "):
                                self.last_id = line[4:]
                except (httpx.HTTPError, OSError):
                    await asyncio.sleep(0.2)

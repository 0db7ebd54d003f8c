"""A minimal HTTP/1.1 keep-alive client connection for the bench's load clients and stream readers.

An asyncio protocol with responses parsed by httptools (what uvicorn parses requests with): no
task, future or timer per request when driven by ``send``. httpx spends more CPU per request than
the server under test on a 2-core machine, and every core-millisecond a client spends is one the
system under test does not get.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httptools

# Told a request's answer: (connection, status, body) or, if it failed, (connection, -1, error).
Answered = Callable[["Connection", int, "bytes | BaseException"], None]


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; responses parsed by httptools (uvicorn's own parser).

    ``request`` writes a prepared request and returns a future of ``(status, body)``; ``send``
    writes one and hands its answer to a callback instead (no future, no task: the load's way);
    given ``on_chunk``, each piece of a body goes to it as it arrives instead (a stream that
    never ends).
    """

    def __init__(self, on_chunk: Callable[[bytes], None] | None = None) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.tag = -1  # the caller's note of what is in flight (the load: the request's index)
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future | None = None
        self._answered: Answered | None = None
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

    def send(self, payload: bytes, answered: Answered) -> None:
        """Write a prepared request; ``answered`` is called once with its answer or its failure."""
        self._answered = answered
        self.transport.write(payload)

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
        body, self._body = b"".join(self._body), []
        answered, self._answered = self._answered, None
        if answered is not None:
            answered(self, self.status, body)
            return
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((self.status, body))

    def _fail(self, exc: BaseException) -> None:
        if not self.headers_done.done():
            self.headers_done.set_exception(exc)
            self.headers_done.exception()  # retrieved: nobody may be waiting for it
        answered, self._answered = self._answered, None
        if answered is not None:
            answered(self, -1, exc)
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

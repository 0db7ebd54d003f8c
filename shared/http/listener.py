"""An event loop that takes every waiting connection at once.

uvloop's servers accept through libuv, which takes one connection each time the listening
socket is reported ready, that is one per turn of the event loop. A busy loop turns slowly:
with a server at its limit, a turn runs every callback that became ready meanwhile, tens of
milliseconds of them. So a burst of new connections (riders coming back into coverage, a client
whose pool was closed) waited in the kernel's accept queue for one turn each: 150 new connections
to the saturated bare endpoint were answered after 1 to 4.6 s while requests on open connections
took 80 ms (`python -m bench.new_connections`).

``Loop`` is uvloop's loop with ``create_server`` replaced for plain TCP: the listening sockets
are watched with ``add_reader`` and each time one is ready every waiting connection is taken
(up to ``ACCEPT_BURST``), each handed to the protocol as ``connect_accepted_socket`` does. TLS,
``start_serving=False`` and Unix sockets go to uvloop's own server unchanged. Everything else,
reading, writing and the protocols, stays uvloop's. Out of file descriptors, a listening socket
is set aside for ``PAUSE_ON_EXHAUSTION_S`` with its connections waiting in the kernel's queue,
where watching it would fail an accept on every turn of the loop.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any

import uvloop

log = logging.getLogger(__name__)

# At most this many connections taken per readiness of a listening socket; the rest wait for the
# next turn, so a flood of connections cannot hold the loop from the requests already in.
ACCEPT_BURST = 256
# Errors of one accept that say nothing about the listening socket: try the next.
_SKIP = {errno.ECONNABORTED, errno.EPROTO, errno.EPERM}
# Out of descriptors or memory: the waiting connections stay in the kernel's queue and the socket
# is not watched for this long, rather than failing an accept on every turn of the loop.
PAUSE_ON_EXHAUSTION_S = 0.1


class Listener(asyncio.AbstractServer):
    """Listening sockets whose waiting connections are all taken on each readiness."""

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol_factory: Callable[[], asyncio.Protocol],
                 sockets: Iterable[socket.socket]) -> None:
        self._loop = loop
        self._factory = protocol_factory
        self._sockets = list(sockets)
        self._serving = False
        self._pending: set[asyncio.Task] = set()
        self._paused: set[int] = set()  # listening sockets set aside after running out of descriptors
        self._closed = loop.create_future()

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return tuple(self._sockets)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
        return self._serving

    async def start_serving(self) -> None:
        if self._serving or self._closed.done():
            return
        for sock in self._sockets:
            sock.setblocking(False)
            self._loop.add_reader(sock.fileno(), self._accept, sock)
        self._serving = True

    async def serve_forever(self) -> None:
        await self.start_serving()
        await asyncio.shield(self._closed)

    def close(self) -> None:
        if self._closed.done():
            return
        for sock in self._sockets:
            if self._serving and sock.fileno() not in self._paused:
                self._loop.remove_reader(sock.fileno())
            sock.close()
        self._serving = False
        self._closed.set_result(None)

    async def wait_closed(self) -> None:
        await asyncio.shield(self._closed)
        if self._pending:  # connections taken just before close, still being handed over
            await asyncio.gather(*self._pending, return_exceptions=True)

    def _accept(self, sock: socket.socket) -> None:
        for _ in range(ACCEPT_BURST):
            try:
                conn, _addr = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in _SKIP:
                    continue
                self._pause(sock, exc)
                return
            if conn.family in (socket.AF_INET, socket.AF_INET6):
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = self._loop.create_task(self._hand_over(conn))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    def _pause(self, sock: socket.socket, exc: OSError) -> None:
        """Stop watching ``sock`` for a while: the connections wait in the kernel, none is lost."""
        log.warning("accept on %s failed (%s): connections wait %.1f s for descriptors to free up",
                    sock.getsockname(), exc, PAUSE_ON_EXHAUSTION_S)
        fd = sock.fileno()
        self._loop.remove_reader(fd)
        self._paused.add(fd)
        self._loop.call_later(PAUSE_ON_EXHAUSTION_S, self._resume, sock)

    def _resume(self, sock: socket.socket) -> None:
        self._paused.discard(sock.fileno())
        if self._serving:
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    async def _hand_over(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, conn)
        except OSError as exc:  # the peer left before it was set up
            log.debug("connection dropped while being set up: %s", exc)
            conn.close()


def bind_sockets(host: str | None, port: int, *, family: int = socket.AF_UNSPEC,
                 flags: int = socket.AI_PASSIVE, backlog: int = 100,
                 reuse_address: bool | None = None, reuse_port: bool | None = None) -> list[socket.socket]:
    """Listening TCP sockets for a host and port, as ``loop.create_server`` makes them."""
    infos = socket.getaddrinfo(host or None, port, family, socket.SOCK_STREAM, 0, flags)
    sockets: list[socket.socket] = []
    seen: set[tuple] = set()
    try:
        for fam, kind, proto, _canon, addr in infos:
            if (fam, addr) in seen:
                continue
            seen.add((fam, addr))
            sock = socket.socket(fam, kind, proto)
            sockets.append(sock)
            if reuse_address is not False:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if fam == socket.AF_INET6:  # one socket per family, as asyncio does
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(addr)
            sock.listen(backlog)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class Loop(uvloop.Loop):
    """uvloop's event loop whose TCP servers take every waiting connection each turn."""

    async def create_server(self, protocol_factory: Callable[[], asyncio.Protocol], host: Any = None,
                            port: int | None = None, *, family: int = socket.AF_UNSPEC,
                            flags: int = socket.AI_PASSIVE, sock: socket.socket | None = None,
                            backlog: int = 100, ssl: Any = None, reuse_address: bool | None = None,
                            reuse_port: bool | None = None, start_serving: bool = True,
                            **kwargs: Any) -> asyncio.AbstractServer:
        plain = ssl is None and start_serving and not kwargs and (
            sock is None or sock.family in (socket.AF_INET, socket.AF_INET6)
        )
        if not plain or (sock is None and (port is None or not isinstance(host, str | None))):
            return await super().create_server(
                protocol_factory, host, port, family=family, flags=flags, sock=sock, backlog=backlog,
                ssl=ssl, reuse_address=reuse_address, reuse_port=reuse_port,
                start_serving=start_serving, **kwargs,
            )
        if sock is not None:
            sock.listen(backlog)
            sockets = [sock]
        else:
            sockets = bind_sockets(host, port, family=family, flags=flags, backlog=backlog,
                                   reuse_address=reuse_address, reuse_port=reuse_port)
        server = Listener(self, protocol_factory, sockets)
        await server.start_serving()
        return server


def new_event_loop() -> Loop:
    """A new ``Loop``: pass as a loop factory (``asyncio.Runner``, ``uvicorn --loop``)."""
    return Loop()

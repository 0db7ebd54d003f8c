"""The event loop `nuanxin run` serves on: every waiting connection taken each turn.

Real sockets on 127.0.0.1. A busy server is modelled by a callback that re-schedules itself: it
runs once per turn of the loop and counts the turns. Connections are opened while the loop is
held (a blocking connect completes in the kernel without the server's accept), so all of them
wait in the accept queue when the loop next looks.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
import uvicorn
import uvloop

from shared.http.listener import Listener, Loop, new_event_loop

N = 60


class Recorder(asyncio.Protocol):
    """Notes the turn each connection was made in and echoes what it reads."""

    def __init__(self, seen: list[int], turns: list[int]) -> None:
        self._seen, self._turns = seen, turns

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self._seen.append(self._turns[0])

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


async def _turns_to_take(loop_cls: type[asyncio.AbstractEventLoop]) -> list[int]:
    """Open N connections at once to a server on a busy loop; the turn each was taken in."""
    seen: list[int] = []
    turns = [0]
    loop = asyncio.get_running_loop()
    assert type(loop) is loop_cls
    server = await loop.create_server(lambda: Recorder(seen, turns), "127.0.0.1", 0, backlog=N * 2)
    port = server.sockets[0].getsockname()[1]
    clients = []
    try:
        for _ in range(N):  # the loop is held here: nothing is accepted yet
            c = socket.create_connection(("127.0.0.1", port))
            clients.append(c)

        def busy() -> None:
            turns[0] += 1
            if len(seen) < N and turns[0] < 10 * N:
                loop.call_soon(busy)

        loop.call_soon(busy)
        while len(seen) < N and turns[0] < 10 * N:
            await asyncio.sleep(0)
        return seen
    finally:
        for c in clients:
            c.close()
        server.close()
        await server.wait_closed()


def test_uvloop_takes_one_waiting_connection_per_turn() -> None:
    """What the loop works around: libuv accepts one connection each time the socket is ready."""
    seen = uvloop.run(_turns_to_take(uvloop.Loop))
    assert len(seen) == N
    assert seen[-1] - seen[0] >= N - 5


def test_loop_takes_every_waiting_connection_in_one_turn() -> None:
    runner = asyncio.Runner(loop_factory=new_event_loop)
    with runner:
        seen = runner.run(_turns_to_take(Loop))
    assert len(seen) == N
    assert seen[-1] - seen[0] <= 2  # one turn to accept, the hand-over a turn or two later


def test_connections_carry_data_both_ways_and_close_stops_accepting() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: Recorder([], [0]), "127.0.0.1", 0)
        assert isinstance(server, Listener) and server.is_serving()
        port = server.sockets[0].getsockname()[1]

        async def echo(payload: bytes) -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(payload)
            got = await reader.readexactly(len(payload))
            writer.close()
            return got

        sent = [b"report %d" % i for i in range(20)]
        assert await asyncio.gather(*(echo(p) for p in sent)) == sent
        server.close()
        await server.wait_closed()
        assert not server.is_serving()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(main())


def test_tls_and_deferred_servers_stay_uvloop_s() -> None:
    loop = new_event_loop()
    try:
        deferred = loop.run_until_complete(
            loop.create_server(asyncio.Protocol, "127.0.0.1", 0, start_serving=False)
        )
        assert not isinstance(deferred, Listener) and not deferred.is_serving()
        deferred.close()
        loop.run_until_complete(deferred.wait_closed())
    finally:
        loop.close()


def test_a_listening_socket_passed_in_is_served() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    loop = new_event_loop()
    try:
        server = loop.run_until_complete(loop.create_server(lambda: Recorder([], [0]), sock=sock))
        assert isinstance(server, Listener)

        async def ping() -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"ping")
            got = await reader.readexactly(4)
            writer.close()
            return got

        assert loop.run_until_complete(ping()) == b"ping"
        server.close()
        loop.run_until_complete(server.wait_closed())
    finally:
        loop.close()


def test_uvicorn_serves_on_it_and_shuts_down() -> None:
    """`nuanxin run` runs uvicorn on this loop: answers, and a clean shutdown."""

    async def app(scope, receive, send):  # a minimal ASGI app
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))

    async def main() -> list[bytes]:
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        assert all(isinstance(s, Listener) for s in server.servers)

        async def get() -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            data = await reader.read()
            writer.close()
            return data

        answers = await asyncio.gather(*(get() for _ in range(30)))
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        return answers

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        answers = runner.run(main())
    assert len(answers) == 30
    assert all(a.startswith(b"HTTP/1.1 200") and a.endswith(b"ok") for a in answers)


EXHAUSTION = r'''
import asyncio, logging, os, resource, socket
from shared.http.listener import new_event_loop

warnings = []

class Keep(logging.Handler):
    def emit(self, record):
        warnings.append(record)

logging.getLogger("shared.http.listener").addHandler(Keep())

class Echo(asyncio.Protocol):
    made = 0
    def connection_made(self, t):
        Echo.made += 1
        self.t = t
    def data_received(self, d):
        self.t.write(d)

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]  # waiting, not accepted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 20, hard))
    held = []
    try:
        while True:
            held.append(os.open("/dev/null", os.O_RDONLY))
    except OSError:
        pass
    await asyncio.sleep(0.35)  # out of descriptors: accept fails, the socket is set aside
    made_while_exhausted = Echo.made
    for fd in held:
        os.close(fd)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    for _ in range(100):
        if Echo.made == 5:
            break
        await asyncio.sleep(0.05)
    echoed = []
    for c in clients:
        c.sendall(b"hi")
        c.setblocking(False)
        echoed.append(await loop.sock_recv(c, 2))
    print(made_while_exhausted, Echo.made, len(warnings), echoed == [b"hi"] * 5)
    server.close()

with asyncio.Runner(loop_factory=new_event_loop) as r:
    r.run(main())
'''


def test_out_of_descriptors_the_connections_wait_and_are_taken_once_descriptors_free_up():
    """No spin on a failing accept (a few warnings, not one a turn) and no connection lost."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", EXHAUSTION], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    made_while_exhausted, made, warned, echoed = out.stdout.split()
    assert made_while_exhausted == "0"
    assert made == "5" and echoed == "True"
    assert 1 <= int(warned) <= 5  # 0.35 s out of descriptors, one try every 0.1 s

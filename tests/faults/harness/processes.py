"""Services as separate ``nuanxin run`` processes that can be killed and restarted, and the test's system."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from nuanxin.embedded import free_port
from shared.auth import Principal, TokenCodec
from shared.settings import PlatformSettings
from tests.faults.harness.config import AUDIENCE, ISSUER, JWT_SECRET, PARTITIONS, REPO


@dataclass
class ServiceProcess:
    """One ``nuanxin run`` (or ``nuanxin relay``) process that can be killed and started again on a
    new port."""

    deployment: Deployment
    target: str
    name: str
    extra_env: dict[str, str] = field(default_factory=dict)
    command: str = "run"
    proc: subprocess.Popen | None = None
    port: int = 0
    starts: int = 0
    kills: int = 0

    @property
    def url(self) -> str:
        """Base URL of the running process."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """Where its stdout and stderr go (appended across restarts)."""
        return self.deployment.log_dir / f"{self.name}.log"

    @property
    def alive(self) -> bool:
        """Whether the OS process still runs."""
        return self.proc is not None and self.proc.poll() is None

    def spawn(self) -> None:
        """Start the process (does not wait for it to be healthy)."""
        assert not self.alive, f"{self.name} is already running"
        self.port = free_port()
        self.starts += 1
        env = self.deployment.env(self.extra_env)
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== start {self.starts} on port {self.port} at {time.time():.3f}\n".encode())
            log.flush()
            command = [sys.executable, "-m", "nuanxin", self.command, "--target", self.target]
            self.proc = subprocess.Popen(
                [*command, "--port", str(self.port)],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )

    async def wait_healthy(self, timeout: float = 90) -> None:
        """Poll /healthz until it answers 200; fail with the log's tail if the process dies."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise RuntimeError(f"{self.name} exited ({self.proc and self.proc.returncode}):\n"
                                       f"{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{self.name} not healthy after {timeout}s:\n{self.log_tail()}")

    async def start(self, timeout: float = 90) -> ServiceProcess:
        """Spawn and wait until healthy."""
        self.spawn()
        await self.wait_healthy(timeout)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, no offset commit, no outbox delete."""
        if self.alive:
            assert self.proc is not None
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            self.kills += 1
            with open(self.log_path, "ab") as log:
                log.write(f"\n===== SIGKILL at {time.time():.3f}\n".encode())

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL if it does not go."""
        if not self.alive:
            return
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    async def health(self) -> dict[str, Any]:
        """The process's /healthz body."""
        async with httpx.AsyncClient(timeout=5) as client:
            return (await client.get(f"{self.url}/healthz")).json()

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the process's log."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@dataclass
class Deployment:
    """One test's system: its database, namespace, tokens and service processes."""

    bootstrap_servers: str
    database_url: str
    namespace: str
    log_dir: Path
    work_dir: Path
    processes: list[ServiceProcess] = field(default_factory=list)
    tokens: TokenCodec = field(default_factory=lambda: TokenCodec(JWT_SECRET, ISSUER, AUDIENCE))

    @property
    def settings(self) -> PlatformSettings:
        """The same settings the processes read from their environment (for publishing, reading)."""
        return PlatformSettings(
            env="test", kafka_bootstrap_servers=self.bootstrap_servers, database_url=self.database_url,
            namespace=self.namespace, topic_partitions=PARTITIONS,
        )

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of a service process."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("NUANXIN_")}
        env.update({
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "DATABASE_URL": self.database_url,
            "NUANXIN_ENV": "test",
            "NUANXIN_NAMESPACE": self.namespace,
            "NUANXIN_TOPIC_PARTITIONS": str(PARTITIONS),
            "NUANXIN_FETCH_MAX_WAIT_MS": "20",
            "NUANXIN_CONSUMER_MAX_ATTEMPTS": "3",
            "NUANXIN_JWT_SECRET": JWT_SECRET,
            "NUANXIN_LOG_LEVEL": "WARNING",
            "NUANXIN_TRACE_DIR": str(self.work_dir / "traces"),
            "NUANXIN_REPORTS_PHOTO_DIR": str(self.work_dir / "photos"),
            # The stream comes from a handful of test workers; the per-worker rate limit is not
            # what these tests are about.
            "NUANXIN_REPORTS_REPORTS_PER_HOUR": "1000000",
            "PYTHONUNBUFFERED": "1",
        })
        env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
        env.update(extra or {})
        return env

    def service(self, target: str, name: str | None = None, **extra_env: str) -> ServiceProcess:
        """A service process (not yet started)."""
        process = ServiceProcess(self, target, name or target, dict(extra_env))
        self.processes.append(process)
        return process

    def relay(self, target: str) -> ServiceProcess:
        """A ``nuanxin relay`` process publishing a target's outbox (not yet started); run the
        target with ``NUANXIN_OUTBOX_RELAY="separate"``."""
        process = ServiceProcess(self, target, f"{target}-relay", command="relay")
        self.processes.append(process)
        return process

    async def start(self, *targets: str) -> dict[str, ServiceProcess]:
        """Start several different targets at once and wait until all are healthy."""
        procs = [self.service(t) for t in targets]
        for p in procs:
            p.spawn()
        await asyncio.gather(*(p.wait_healthy() for p in procs))
        return {p.name: p for p in procs}

    def token(self, subject: str, role: str, **scope: Any) -> str:
        """A valid token for a principal."""
        return self.tokens.issue(Principal(subject, role, **scope))  # type: ignore[arg-type]

    def stop_all(self) -> None:
        """Stop every process this test started."""
        for p in self.processes:
            with contextlib.suppress(Exception):
                p.stop()

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """Run one query on the test's database."""
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

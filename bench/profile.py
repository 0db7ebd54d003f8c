"""A short sampling profile of service processes under load (py-spy), reduced to the top frames."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path


def py_spy() -> str | None:
    """The py-spy executable next to this interpreter, or on PATH."""
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def start_profile(pid: int, seconds: float, out: Path, rate: int = 100) -> subprocess.Popen | None:
    """py-spy record in raw (collapsed stack) format; None when py-spy is not installed."""
    exe = py_spy()
    if exe is None:
        return None
    return subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )


def _short(frame: str) -> str:
    # "func (path/to/module.py:123)" -> "func (module.py:123)", site-packages collapsed to package
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    if "site-packages/" in where:
        where = where.split("site-packages/", 1)[1]
    elif "/lib/python" in where:
        where = "stdlib/" + where.split("/lib/python", 1)[1].split("/", 1)[-1]
    else:
        for root in ("/services/", "/shared/", "/nuanxin/", "/bench/"):
            if root in where:
                where = root.strip("/") + "/" + where.split(root, 1)[1]
                break
    return f"{name} ({where})"


IDLE_LEAVES = ("select (selectors.py", ".select (selectors.py", "wait (threading.py", "_worker (concurrent")
# Scaffolding every stack shares (CLI, event loop, server): left out of the inclusive list.
SCAFFOLD = (
    "_run_code",
    "_run_module_as_main",
    "<module>",
    "Context.invoke",
    "get_callback",
    "Command.invoke",
    "TyperGroup.invoke",
    "Typer.__call__",
    "Command.__call__",
    "_main (",
    "main (",
    "run (",
    "Runner.run",
    "run_forever",
    "_run_once",
    "Handle._run",
    "run_until_complete",
    "serve (",
    "_serve (",
    "_bootstrap",
    "Thread.run",
)


TRACING = "tracing (spans, their export, trace headers)"
# Tracing runs inside the work it traces: a request's whole stack passes through the server span's
# middleware, so only a stack whose innermost frame is tracing code is tracing's own time.
TRACING_LEAVES = (
    "shared/http/tracing.py", "shared/telemetry/lean/", "shared/telemetry/propagation.py",
    "shared/telemetry/file_exporter.py",
)

# What a sample was doing, by the first group any frame of its stack matches (in this order): the
# shares say which part of a service's work a target is bound by, where the top frames scatter it.
ACTIVITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # The export thread, and what spans and contexts do wherever they are started and ended
    # (py-spy names OpenTelemetry's modules from the package down, "trace/span.py", "context/...";
    # a full path is shortened to "opentelemetry/...").
    (
        TRACING,
        (
            "BatchProcessor.", "SpanExporter.export", "LeanTracer.", "LeanSpan.", "current_trace_headers",
            "extract_from_headers", "(trace/", "(context/", "(_shared_internal/", "(opentelemetry/",
        ),
    ),
    ("dashboard stream (SSE)", ("StreamingResponse",)),
    ("intake's group commit", ("GroupCommit.",)),
    # Frames of the server and the framework too: py-spy's stack of a resumed task sometimes starts
    # partway down, without the protocol's frames.
    (
        "HTTP requests",
        (
            "RequestResponseCycle.", "HttpToolsProtocol.", "H11Protocol.", "uvicorn/", "starlette/",
            "fastapi/", "shared/http/", "/handlers/http.py", "SubmitReport.",
        ),
    ),
    ("outbox relay", ("OutboxRelay.",)),
    ("SLA clock and gauges", ("EscalationScheduler.", "CaseGauges.", "ticker.py")),
    (
        "consumer: a batch's statements and logic",
        (
            "EventConsumer.", "shared/kafka/consumer.py", "follow_cases", "services/routing/app/",
            "services/notify/app/",
        ),
    ),
    ("consumer: faststream around it", ("faststream/",)),
    ("Kafka client (fetch, produce, commit)", ("aiokafka/",)),
    ("PostgreSQL client, other", ("asyncpg/",)),
)
LOOP = "event loop (native I/O and callbacks)"


def activity(frames: list[str]) -> str:
    """The activity a sampled stack belongs to (``ACTIVITIES``; the event loop's own native work
    when only scaffolding is on the stack; else "other")."""
    if frames and any(leaf in frames[-1] for leaf in TRACING_LEAVES):
        return TRACING
    joined = ";".join(frames)
    for name, patterns in ACTIVITIES:
        if any(p in joined for p in patterns):
            return name
    if all(any(b in f for b in SCAFFOLD) for f in frames):
        return LOOP
    return "other"


PLUMBING = ("asyncio/", "selectors.py", "streams.py", "transports.py", "socket.py", "ssl.py", "<frozen")


def summarize(path: Path, top: int = 12) -> dict:
    """Top frames by own time (leaf) and by inclusive time, and every activity (``activity``), as
    shares of busy samples."""
    empty = {"samples": 0, "busy_samples": 0, "self": [], "inclusive": [], "packages": [], "activities": []}
    if not path.exists():
        return empty
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    pkgs: Counter[str] = Counter()
    acts: Counter[str] = Counter()
    callers: dict[str, Counter[str]] = {}
    total = busy = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [
            _short(f)
            for f in stack.split(";")
            if f and not f.startswith("process ") and not f.startswith("thread ")
        ]
        if not frames:
            continue
        total += n
        leaf = frames[-1]
        if any(i in leaf for i in IDLE_LEAVES):
            continue  # waiting in epoll or a thread pool: not work
        busy += n
        own[leaf] += n
        acts[activity(frames)] += n
        # Who asked for it: the nearest frame outside asyncio and the stdlib plumbing.
        caller = next((f for f in reversed(frames[:-1]) if not f.split(" (", 1)[-1].startswith(PLUMBING)), "")
        callers.setdefault(leaf, Counter())[caller] += n
        for f in set(frames):
            if not any(b in f for b in SCAFFOLD):
                incl[f] += n
        where = leaf.rsplit(" (", 1)[-1].rstrip(")")
        pkgs[where.split("/", 1)[0] if "/" in where else where.split(":", 1)[0]] += n

    def share(c: Counter[str]) -> list[tuple[str, float]]:
        return [(f, n / busy) for f, n in c.most_common(top)] if busy else []

    by_caller = (
        {leaf: [(c, n / busy) for c, n in callers[leaf].most_common(3)] for leaf, _ in own.most_common(3)}
        if busy
        else {}
    )
    return {
        "samples": total,
        "busy_samples": busy,
        "self": share(own),
        "inclusive": share(incl),
        "packages": share(pkgs),
        "activities": [(a, n / busy) for a, n in acts.most_common()] if busy else [],
        "callers": by_caller,
    }

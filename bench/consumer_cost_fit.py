"""The rows and lines of `python -m bench.consumer_cost`: a batch size's cost, the fit, the table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One batch size of one service: what its batches cost on each side."""

    service: str
    batch: int
    batches: int
    client_ms_per_batch: float
    client_us_per_record: float
    # None when the database server runs on another machine (or in a container): its backend's
    # CPU is read from this machine's /proc.
    server_ms_per_batch: float | None
    server_us_per_record: float | None


@dataclass(frozen=True)
class Fit:
    """A straight line through one service's rows: CPU = fixed + per_record × records."""

    service: str
    side: str  # "client" (the service's process) or "server" (its PostgreSQL backend)
    fixed_ms: float
    per_record_us: float


def fit(service: str, side: str, rows: Sequence[Row]) -> Fit | None:
    """Least squares through (records a batch, ms a batch); None without figures for that side."""
    xs = [r.batch for r in rows]
    ys = [r.client_ms_per_batch if side == "client" else r.server_ms_per_batch for r in rows]
    if not ys or any(y is None for y in ys):
        return None
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0
    return Fit(service, side, round(mean_y - slope * mean_x, 3), round(slope * 1000, 1))


def row(service: str, size: int, n: int, client: float, server: float | None) -> Row:
    """``n`` records in batches of ``size`` that cost ``client`` and ``server`` CPU seconds."""
    batches = -(-n // size)
    return Row(
        service, size, batches,
        round(client * 1000 / batches, 3), round(client * 1e6 / n, 1),
        None if server is None else round(server * 1000 / batches, 3),
        None if server is None else round(server * 1e6 / n, 1),
    )


def _figure(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def table(rows: Sequence[Row], fits: Sequence[Fit]) -> str:
    """The rows and the fitted lines as markdown."""
    lines = [
        "| service | records a batch | batches | process ms a batch | process µs a record "
        "| PostgreSQL ms a batch | PostgreSQL µs a record |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r.service} | {r.batch} | {r.batches} | {r.client_ms_per_batch:.2f} | "
        f"{r.client_us_per_record:.0f} | {_figure(r.server_ms_per_batch, 2)} | "
        f"{_figure(r.server_us_per_record, 0)} |"
        for r in rows
    ]
    lines += ["", "| service | side | fixed ms a batch | µs a record |", "| --- | --- | --- | --- |"]
    lines += [f"| {f.service} | {f.side} | {f.fixed_ms:.2f} | {f.per_record_us:.0f} |" for f in fits]
    return "\n".join(lines)

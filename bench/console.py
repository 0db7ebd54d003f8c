"""Progress lines on stdout while the benchmark runs."""

from __future__ import annotations

from datetime import datetime


def log(msg: str) -> None:
    """One timestamped progress line, flushed at once so a watcher sees it live."""
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


def fmt_ms(v: float | None) -> str:
    """Milliseconds for a progress line, "-" when nothing was measured."""
    return "-" if v is None else f"{v:,.0f} ms"

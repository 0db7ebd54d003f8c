"""Entry point of the benchmark: `python -m bench` and `nuanxin bench` start a run from here."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.options import Options, parse_args
from bench.orchestrator import Bench

__all__ = ["Bench", "Options", "main", "parse_args", "run_bench"]


def run_bench(opts: Options) -> Path:
    """Run the benchmark; returns the results folder."""
    return asyncio.run(Bench(opts).run())


def main(argv: list[str] | None = None, prog: str = "python -m bench") -> int:
    """`python -m bench [options]` (and `nuanxin bench [options]`)."""
    out = run_bench(parse_args(argv, prog))
    print(out / "report.md")
    return 0

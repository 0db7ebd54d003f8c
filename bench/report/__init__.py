"""report.md and PNG plots from result.json: tables, targets (PASS/MISS and by how much), profile."""

from bench.report.document import write_report
from bench.report.targets import targets

__all__ = ["targets", "write_report"]

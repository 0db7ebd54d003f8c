"""The suite's figures in test-artifacts/faults.json, which the benchmark report shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bench.revision import revision
from tests.faults.harness.config import ARTIFACTS, FIGURES_PATH, LONG, SEED


def record_figures(test: str, figures: dict[str, Any]) -> None:
    """Merge one test's figures into test-artifacts/faults.json (the benchmark report reads it)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(FIGURES_PATH.read_text())
    except (OSError, ValueError):
        data = {}
    data.setdefault("tests", {})
    data["suite"] = "tests/faults"
    data["mode"] = "long" if LONG else "ci"
    data["seed"] = SEED
    data["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    # The file keeps each test's latest figures, so tests run at different times sit side by side:
    # each says when and on which code it ran.
    data["tests"][test] = {
        **figures, "finished_at": data["updated_at"], "commit": revision(), "mode": data["mode"],
    }
    totals = {"reports_driven": 0, "faults_injected": 0, "lost": 0, "duplicated": 0}
    for entry in data["tests"].values():
        for key in totals:
            value = entry.get(key)
            if isinstance(value, int):
                totals[key] += value
    data["totals"] = totals
    FIGURES_PATH.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")

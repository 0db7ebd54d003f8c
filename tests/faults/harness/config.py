"""Where the fault suite writes, how long it runs, its seed, and the settings every process shares."""

from __future__ import annotations

import os
from pathlib import Path

# This file is tests/faults/harness/config.py: the repository is three folders up.
REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "test-artifacts"
FIGURES_PATH = ARTIFACTS / "faults.json"
LONG = os.environ.get("NUANXIN_FAULTS_LONG") == "1"
SEED = int(os.environ.get("NUANXIN_FAULTS_SEED", "20251130"))
JWT_SECRET = "faults-suite-secret-not-for-production"
ISSUER, AUDIENCE = "nuanxin", "nuanxin-api"
PARTITIONS = 3

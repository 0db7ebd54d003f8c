"""Fixtures of the fault suite: a deployment of separately started service processes per test."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from tests.faults.harness import ARTIFACTS, Deployment, record_figures


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so the figures can say whether the test passed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
async def deployment(infra, database_url, tmp_path, request) -> AsyncIterator[Deployment]:
    """The test's own database and namespace; every process it starts is stopped afterwards."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:80]
    log_dir = ARTIFACTS / "faults" / safe
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    d = Deployment(
        bootstrap_servers=infra.bootstrap_servers, database_url=database_url,
        namespace=f"f{uuid.uuid4().hex[:8]}.", log_dir=log_dir, work_dir=tmp_path,
    )
    try:
        yield d
    finally:
        d.stop_all()


@pytest.fixture
def figures(request) -> dict:
    """The test's figures; written to test-artifacts/faults.json with its outcome when it ends."""
    data: dict = {}
    started = time.monotonic()
    yield data
    call = getattr(request.node, "rep_call", None)
    if call is None:
        data["outcome"] = "error"
    elif getattr(call, "wasxfail", None) is not None:
        data["outcome"] = "xfailed" if call.skipped else "xpassed"
    else:
        data["outcome"] = call.outcome
    data["seconds"] = round(time.monotonic() - started, 1)
    record_figures(request.node.name, data)


def pytest_configure(config):
    """Register the suite's marker (also listed in pyproject's markers)."""
    config.addinivalue_line("markers", "faults: fault injection with separately started service processes")

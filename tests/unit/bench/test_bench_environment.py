"""A run's report names the services' settings it took from the environment (an A/B run's knob)."""

from __future__ import annotations

import os
from pathlib import Path

from bench.report.header import environment_line
from bench.stack import BENCH_SETTINGS, Infra, inherited_settings, service_env


def test_the_settings_the_bench_sets_itself_are_not_reported_as_inherited(tmp_path: Path):
    environ = {
        "NUANXIN_REPORTS_INTAKE_MAX_BATCH": "128",
        "NUANXIN_FETCH_MAX_WAIT_MS": "5",  # the bench's --fetch-max-wait-ms wins over this
        "NUANXIN_JWT_SECRET": "hunter2",
        "PATH": "/usr/bin",
    }
    assert inherited_settings(environ) == {
        "NUANXIN_JWT_SECRET": "(set)",
        "NUANXIN_REPORTS_INTAKE_MAX_BATCH": "128",
    }


def test_every_setting_service_env_writes_is_one_the_bench_owns(tmp_path: Path, monkeypatch):
    for name in [n for n in os.environ if n.startswith("NUANXIN_")]:
        monkeypatch.delenv(name)
    infra = Infra(kafka="embedded", workdir=tmp_path, bootstrap="127.0.0.1:9092", topic_partitions=2)
    env = service_env(infra, "postgresql://postgres@127.0.0.1:5432/x", "ns.", tmp_path, 20)
    written = {name for name in env if name.startswith("NUANXIN_")}
    assert written <= BENCH_SETTINGS
    assert inherited_settings(env) == {}


def test_the_header_lists_the_inherited_settings_or_says_there_were_none():
    assert environment_line({"NUANXIN_REPORTS_INTAKE_MAX_BATCH": "128"}) == (
        "- settings from the environment (every service had them): `NUANXIN_REPORTS_INTAKE_MAX_BATCH=128`"
    )
    assert "none" in environment_line({})
    assert environment_line(None) is None  # a result from before they were recorded

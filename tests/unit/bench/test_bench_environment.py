"""A run's report names the services' settings it took from the environment (an A/B run's knob)."""

from __future__ import annotations

import os
from pathlib import Path

from bench.report.header import environment_line
from bench.stack import BENCH_SETTINGS, Infra, inherited_settings, service_env
from shared.settings import PlatformSettings


def test_the_settings_the_bench_sets_itself_are_not_reported_as_inherited():
    environ = {
        "NUANXIN_REPORTS_INTAKE_MAX_BATCH": "128",
        "NUANXIN_FETCH_MAX_WAIT_MS": "5",  # the bench's --fetch-max-wait-ms wins over this
        "NUANXIN_DATABASE_URL": "postgresql://x:pw@db/x",  # DATABASE_URL, which the bench sets, wins
        "NUANXIN_RELAY_LINGER_MS": "10",  # reaches routing's and notify's relays
        "NUANXIN_JWT_SECRET": "hunter2",
        "NUANXIN_OTLP_ENDPOINT": "http://user:pw@collector:4318",
        "PATH": "/usr/bin",
    }
    assert inherited_settings(environ) == {
        "NUANXIN_JWT_SECRET": "(set)",
        "NUANXIN_OTLP_ENDPOINT": "http://user:***@collector:4318",
        "NUANXIN_RELAY_LINGER_MS": "10",
        "NUANXIN_REPORTS_INTAKE_MAX_BATCH": "128",
    }


def test_the_bench_overrides_every_setting_it_does_not_report(tmp_path: Path, monkeypatch):
    # Whatever the environment says of these, each service gets the bench's own value.
    for name in BENCH_SETTINGS:
        monkeypatch.setenv(name, "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "from-the-environment")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "from-the-environment")
    infra = Infra(kafka="embedded", workdir=tmp_path, bootstrap="127.0.0.1:9092", topic_partitions=2)
    env = service_env(infra, "postgresql://postgres@127.0.0.1:5432/x", "ns.", tmp_path, 20)
    overridden = {name for name in BENCH_SETTINGS if env.get(name) != "from-the-environment"}
    # The URLs' NUANXIN_ spellings stay, but lose to the plain names the bench sets.
    assert overridden == BENCH_SETTINGS - {"NUANXIN_DATABASE_URL", "NUANXIN_KAFKA_BOOTSTRAP_SERVERS"}
    assert env["DATABASE_URL"] == "postgresql://postgres@127.0.0.1:5432/x"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9092"


def test_every_nuanxin_setting_service_env_writes_is_one_it_does_not_report(tmp_path: Path, monkeypatch):
    for name in [n for n in os.environ if n.startswith("NUANXIN_")]:
        monkeypatch.delenv(name)
    infra = Infra(kafka="embedded", workdir=tmp_path, bootstrap="127.0.0.1:9092", topic_partitions=2)
    env = service_env(infra, "postgresql://postgres@127.0.0.1:5432/x", "ns.", tmp_path, 20)
    assert {name for name in env if name.startswith("NUANXIN_")} <= BENCH_SETTINGS
    assert inherited_settings(env) == {}


def test_the_plain_url_names_the_bench_sets_win_over_their_nuanxin_spellings(monkeypatch):
    monkeypatch.setenv("NUANXIN_DATABASE_URL", "postgresql://postgres@elsewhere/x")
    monkeypatch.setenv("NUANXIN_KAFKA_BOOTSTRAP_SERVERS", "elsewhere:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    seen = PlatformSettings()
    assert seen.database_url == "postgresql://postgres@127.0.0.1:5432/x"
    assert seen.kafka_bootstrap_servers == "127.0.0.1:9092"


def test_the_header_lists_the_inherited_settings_or_says_there_were_none():
    assert environment_line({"NUANXIN_REPORTS_INTAKE_MAX_BATCH": "128"}) == (
        "- settings from the environment (every service had them): `NUANXIN_REPORTS_INTAKE_MAX_BATCH=128`"
    )
    assert "none" in environment_line({})
    assert environment_line(None) is None  # a result from before they were recorded

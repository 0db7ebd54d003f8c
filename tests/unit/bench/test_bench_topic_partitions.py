"""The bench gives its topics the partitions the stack it stands for has: `make run`'s on the
embedded broker, the settings' default on Apache Kafka, and NUANXIN_TOPIC_PARTITIONS over both."""

from __future__ import annotations

from pathlib import Path

from bench.stack import Infra, service_env, topic_partitions
from nuanxin.embedded import EMBEDDED_TOPIC_PARTITIONS
from shared.settings import PlatformSettings


def test_each_broker_gets_the_partitions_of_the_stack_it_stands_for(monkeypatch):
    monkeypatch.delenv("NUANXIN_TOPIC_PARTITIONS", raising=False)
    assert topic_partitions("embedded") == EMBEDDED_TOPIC_PARTITIONS == 2
    assert topic_partitions("apache") == PlatformSettings.model_fields["topic_partitions"].default == 6


def test_the_environment_says_last(monkeypatch):
    monkeypatch.setenv("NUANXIN_TOPIC_PARTITIONS", "4")
    assert topic_partitions("embedded") == topic_partitions("apache") == 4


def test_the_services_are_given_the_runs_partitions(tmp_path: Path):
    infra = Infra(kafka="embedded", workdir=tmp_path, bootstrap="127.0.0.1:9092", topic_partitions=3)
    env = service_env(infra, "postgresql://postgres@127.0.0.1:5432/x", "ns.", tmp_path, 20)
    assert env["NUANXIN_TOPIC_PARTITIONS"] == "3"

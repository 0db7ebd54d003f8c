"""`nuanxin dead-letters` on the real broker: listing what consumers gave up on, and replaying a
letter once its cause is fixed, applied once however often it is replayed."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from nuanxin.cli import app
from shared.events.envelope import encode
from shared.kafka.producer import create_producer
from tests.integration.test_routing_cases import report, wait_rows
from tests.support.system import run_system

pytestmark = pytest.mark.integration


async def _cli(settings, *args: str, namespace: str | None = None):
    env = {"KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
           "NUANXIN_NAMESPACE": settings.namespace if namespace is None else namespace}
    return await asyncio.to_thread(CliRunner().invoke, app, ["dead-letters", *args], env=env)


async def _routing_consumed(system, *, duplicates: int, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while system.host("routing").health()["consumers"]["reports"]["duplicates"] < duplicates:
        assert asyncio.get_running_loop().time() < deadline, system.host("routing").health()
        await asyncio.sleep(0.1)


async def test_dead_letters_are_listed_and_a_replayed_one_is_applied_once(settings):
    # A valid report routing gave up on earlier (say, its database refused a value since
    # allowed): it sits on reports.dlq as the consumer left it.
    lost = report(106.53, 29.62, kind="hazard", category="road_damage")
    message = encode(lost, source="/test")
    headers = [
        *message.headers.items(),
        ("dlq_error_type", b"CheckViolationError"), ("dlq_error", b"new row violates check constraint"),
        ("dlq_attempts", b"3"), ("dlq_consumer", b"routing"),
        ("dlq_original_topic", settings.topic("reports").encode()),
        ("dlq_original_partition", b"0"), ("dlq_original_offset", b"41"),
    ]
    async with run_system(settings, ["routing"]) as system:
        producer = create_producer(settings.kafka_bootstrap_servers, client_id="test-dlq")
        await producer.start()
        try:
            await producer.send_and_wait(settings.topic("reports.dlq"), value=message.value,
                                         key=message.key, headers=headers)
            # And a message routing dead-letters itself: not a CloudEvent at all.
            await producer.send_and_wait(settings.topic("reports"), value=b"{not json", key=b"k")
        finally:
            await producer.stop()

        deadline = asyncio.get_running_loop().time() + 30
        while True:
            listed = await _cli(settings, "list", "--topic", "reports", "--json")
            assert listed.exit_code == 0, listed.output
            letters = [json.loads(line) for line in listed.output.splitlines()]
            if len(letters) == 2 or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.3)
        assert len(letters) == 2, letters
        by_id = {d["event_id"]: d for d in letters}
        ours = by_id[message.event_id]
        assert (ours["consumer"], ours["error_type"], ours["attempts"]) == (
            "routing", "CheckViolationError", 3)
        assert ours["event_type"] == "nuanxin.report.submitted.v1"
        assert ours["original"] == f"{settings.topic('reports')}[0]@41"
        assert json.loads(ours["value"])["report_id"] == lost.report_id
        (poison,) = [d for d in letters if d["event_id"] is None]
        assert poison["error_type"] == "PoisonMessage" and poison["value"] == "{not json"

        elsewhere = await _cli(settings, "list", namespace="nowhere-")
        assert elsewhere.exit_code == 1 and "NUANXIN_NAMESPACE" in elsewhere.output
        text = await _cli(settings, "list")
        assert text.exit_code == 0 and "2 dead letter(s)" in text.output and ours["where"] in text.output

        unnamed = await _cli(settings, "replay")
        assert unnamed.exit_code == 2 and "--all" in unnamed.output
        unknown = await _cli(settings, "replay", "reports.dlq[9]@9")
        assert unknown.exit_code == 1 and "no such dead letter" in unknown.output
        dry = await _cli(settings, "replay", ours["where"], "--dry-run")
        assert dry.exit_code == 0 and "would replay" in dry.output

        replayed = await _cli(settings, "replay", message.event_id)
        assert replayed.exit_code == 0 and "replayed 1" in replayed.output, replayed.output
        (case,) = await wait_rows(settings, "SELECT case_id FROM cases WHERE report_id = $1::uuid", 1,
                                  lost.report_id)
        # Replayed again (by its place this time): the same ce_id, so routing skips it.
        again = await _cli(settings, "replay", ours["where"])
        assert again.exit_code == 0
        await _routing_consumed(system, duplicates=1)
        rows = await wait_rows(settings, "SELECT case_id FROM cases WHERE report_id = $1::uuid", 2,
                               lost.report_id, timeout=1)
        assert rows == [case]
        # Replaying leaves the letters where they are: the topic is the record of what failed.
        assert len((await _cli(settings, "list", "--json")).output.splitlines()) == 2

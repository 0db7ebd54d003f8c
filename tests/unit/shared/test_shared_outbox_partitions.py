"""The relay places keyed records only by a partition set Kafka could have: 0 to n-1, no gap."""

from __future__ import annotations

import logging

import pytest

from shared.postgres import outbox
from shared.postgres.outbox import IncompleteMetadata, OutboxRelay


class _Client:
    def __init__(self, producer: _Producer) -> None:
        self._producer = producer

    async def force_metadata_update(self) -> bool:
        self._producer.refreshes += 1
        return True


class _Producer:
    """Answers partitions_for from ``answers``, one a call; the last one for ever."""

    def __init__(self, *answers: set[int]) -> None:
        self.answers = list(answers)
        self.refreshes = 0
        self.client = _Client(self)

    async def partitions_for(self, topic: str) -> set[int]:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _relay(producer: _Producer) -> OutboxRelay:
    return OutboxRelay(pool=None, database_url="", producer=producer, schema="reports")  # type: ignore[arg-type]


async def test_a_whole_partition_set_is_taken_as_it_is():
    producer = _Producer({2, 0, 1})
    assert await _relay(producer)._partitions("t") == [0, 1, 2] and producer.refreshes == 0


async def test_a_set_with_a_gap_is_fetched_again_and_the_fresh_one_used():
    producer = _Producer({1}, set(range(6)))
    assert await _relay(producer)._partitions("t") == [0, 1, 2, 3, 4, 5] and producer.refreshes == 1


async def test_a_set_still_gapped_after_the_refresh_holds_the_batch_back():
    producer = _Producer({1, 3})
    with pytest.raises(IncompleteMetadata, match=r"\[1, 3\] of t"):
        await _relay(producer)._partitions("t")
    assert producer.refreshes == 1


class _Listener:
    def __init__(self) -> None:
        self.closed = False

    def is_closed(self) -> bool:
        return self.closed

    async def add_listener(self, *_args: object) -> None:
        return None

    async def close(self, timeout: float | None = None) -> None:
        self.closed = True


async def test_the_run_loop_waits_out_gapped_metadata_with_a_warning_and_keeps_its_listener(
    monkeypatch, caplog
):
    # Held back three times, then stopped: each hold is one warning line without a traceback,
    # and the database listener is connected once (the broker's state is no database outage).
    connects: list[_Listener] = []

    async def connect(_url: str) -> _Listener:
        connects.append(_Listener())
        return connects[-1]

    monkeypatch.setattr(outbox.asyncpg, "connect", connect)
    monkeypatch.setattr(outbox.asyncio, "sleep", _no_wait)
    relay = _relay(_Producer({1, 3}))
    holds = [IncompleteMetadata("the broker lists partitions [1, 3] of t")] * 3

    async def publish_once() -> int:
        if holds:
            raise holds.pop()
        raise _Stop

    monkeypatch.setattr(relay, "publish_once", publish_once)
    with caplog.at_level(logging.WARNING, logger=outbox.__name__), pytest.raises(_Stop):
        await relay.run()
    waits = [r for r in caplog.records if r.name == outbox.__name__]
    assert [r.levelno for r in waits] == [logging.WARNING] * 3
    assert all(r.exc_info is None and "[1, 3] of t" in r.getMessage() for r in waits)
    assert len(connects) == 1 and not holds


class _Stop(BaseException):
    """Ends the relay's loop in a test (a BaseException: the loop retries every Exception)."""


async def _no_wait(_seconds: float) -> None:
    return None

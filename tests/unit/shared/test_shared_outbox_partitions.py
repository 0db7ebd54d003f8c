"""The relay places keyed records only by a partition set Kafka could have: 0 to n-1, no gap."""

from __future__ import annotations

import pytest

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

"""GroupCommit's writers, with a commit function whose transactions the test ends by hand."""

from __future__ import annotations

import asyncio

import pytest

from services.reports.storage.group_commit import GroupCommit


class _Gated:
    """A commit that waits until the test opens its gate; results echo the items."""

    def __init__(self) -> None:
        self.gates: list[asyncio.Future[None]] = []
        self.batches: list[list[int]] = []

    async def __call__(self, items: list[int]) -> list[int]:
        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.gates.append(gate)
        self.batches.append(list(items))
        await gate
        return list(items)


async def _until(condition, steps: int = 100) -> None:
    for _ in range(steps):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


async def _within(seconds: float, condition) -> None:
    """Wait in real time, for what a timer (a writer's linger) makes happen."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.005)


async def _two_in_flight() -> tuple[_Gated, GroupCommit, asyncio.Task, asyncio.Task]:
    """Items 1 and 2 each in a transaction of its own, both held open."""
    commit = _Gated()
    group = GroupCommit(commit, max_writers=2)
    first = asyncio.create_task(group.submit(1))
    await _until(lambda: len(commit.gates) == 1)
    second = asyncio.create_task(group.submit(2))
    await _until(lambda: len(commit.gates) == 2)
    return commit, group, first, second


async def test_a_second_writer_takes_what_arrives_while_the_first_commits():
    commit, _, first, second = await _two_in_flight()
    assert commit.batches == [[1], [2]]
    commit.gates[1].set_result(None)
    assert await second == 2 and not first.done()
    commit.gates[0].set_result(None)
    assert await first == 1


async def test_no_third_transaction_while_two_are_in_flight():
    commit, group, first, second = await _two_in_flight()
    tasks = [first, second, *(asyncio.create_task(group.submit(n)) for n in (3, 4))]
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(commit.gates) == 2  # 3 and 4 wait for a writer to come back
    commit.gates[0].set_result(None)
    await _until(lambda: len(commit.gates) == 3)
    assert commit.batches[2] == [3, 4]
    commit.gates[1].set_result(None)
    commit.gates[2].set_result(None)
    assert await asyncio.gather(*tasks) == [1, 2, 3, 4]


async def test_an_item_submitted_as_both_writers_finish_is_still_committed():
    # Both commits end in one loop step and a caller submits right after, before the writers'
    # done callbacks have run: the writers must already count as gone, or nobody takes the item.
    commit, group, first, second = await _two_in_flight()
    commit.gates[0].set_result(None)
    commit.gates[1].set_result(None)
    late = asyncio.create_task(group.submit(3))  # runs after both writers return
    await _until(lambda: len(commit.gates) == 3)
    commit.gates[2].set_result(None)
    assert await asyncio.wait_for(asyncio.gather(first, second, late), 2) == [1, 2, 3]
    await asyncio.sleep(0)
    assert not group.writing


async def test_one_writer_also_takes_an_item_submitted_as_it_finishes():
    commit = _Gated()
    group = GroupCommit(commit, max_writers=1)
    first = asyncio.create_task(group.submit(1))
    await _until(lambda: len(commit.gates) == 1)
    commit.gates[0].set_result(None)
    late = asyncio.create_task(group.submit(2))
    await _until(lambda: len(commit.gates) == 2)
    commit.gates[1].set_result(None)
    assert await asyncio.wait_for(asyncio.gather(first, late), 2) == [1, 2]


async def test_a_lingering_writer_gathers_the_items_that_trickle_in():
    commit = _Gated()
    group = GroupCommit(commit, linger_s=0.2, crowd=16)
    tasks = [asyncio.create_task(group.submit(1))]
    for n in (2, 3):
        await asyncio.sleep(0.02)
        tasks.append(asyncio.create_task(group.submit(n)))
    await _within(2, lambda: commit.gates)
    assert commit.batches == [[1, 2, 3]]
    commit.gates[0].set_result(None)
    assert await asyncio.gather(*tasks) == [1, 2, 3]


async def test_without_a_linger_the_first_item_goes_alone():
    commit = _Gated()
    group = GroupCommit(commit, crowd=16)
    first = asyncio.create_task(group.submit(1))
    await _until(lambda: commit.gates)
    rest = [asyncio.create_task(group.submit(n)) for n in (2, 3)]
    commit.gates[0].set_result(None)
    await _until(lambda: len(commit.gates) == 2)
    assert commit.batches == [[1], [2, 3]]
    commit.gates[1].set_result(None)
    assert await asyncio.gather(first, *rest) == [1, 2, 3]


async def test_a_crowd_ends_the_linger():
    commit = _Gated()
    group = GroupCommit(commit, linger_s=60, crowd=3)
    tasks = [asyncio.create_task(group.submit(1))]
    for _ in range(20):
        await asyncio.sleep(0)
    assert not commit.gates, "the writer should be lingering"
    tasks += [asyncio.create_task(group.submit(n)) for n in (2, 3)]
    await _within(2, lambda: commit.gates)  # long before the 60-s linger is over
    assert commit.batches == [[1, 2, 3]]
    commit.gates[0].set_result(None)
    assert await asyncio.gather(*tasks) == [1, 2, 3]


async def test_only_a_crowd_starts_a_second_writer():
    commit = _Gated()
    group = GroupCommit(commit, crowd=3, max_writers=2)
    tasks = [asyncio.create_task(group.submit(1))]
    await _until(lambda: commit.gates)
    # The first writer is busy: two queued items are no crowd, and wait for it.
    tasks += [asyncio.create_task(group.submit(n)) for n in (2, 3)]
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(commit.gates) == 1
    tasks.append(asyncio.create_task(group.submit(4)))
    await _until(lambda: len(commit.gates) == 2)
    assert commit.batches == [[1], [2, 3, 4]]
    for gate in commit.gates:
        gate.set_result(None)
    assert await asyncio.wait_for(asyncio.gather(*tasks), 2) == [1, 2, 3, 4]


async def test_closing_commits_what_a_lingering_writer_waits_with():
    commit = _Gated()
    group = GroupCommit(commit, linger_s=0.05, crowd=16)
    task = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0)
    closing = asyncio.create_task(group.close())
    await _within(2, lambda: commit.gates)
    commit.gates[0].set_result(None)
    await closing
    assert await task == 1
    assert not group.writing


def test_a_crowd_must_fit_in_a_batch():
    with pytest.raises(ValueError, match="crowd"):
        GroupCommit(_Gated(), max_batch=10, crowd=11)
    with pytest.raises(ValueError, match="linger"):
        GroupCommit(_Gated(), linger_s=-1)

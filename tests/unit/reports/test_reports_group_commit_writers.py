"""GroupCommit's writers, with a commit function whose transactions the test ends by hand."""

from __future__ import annotations

import asyncio

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

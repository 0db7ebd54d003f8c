"""The bench's CPU and memory sampler: a process is charged with its children, living or exited."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import psutil

from bench.sampler import RssSampler, children_of, descendants, parents

# A parent that starts a child, lets it burn CPU for ``BURN_S`` and exit, reaps it, and sleeps.
BURN_S = 0.4
PARENT = textwrap.dedent(
    f"""
    import subprocess, sys, time
    burn = "import time\\nt = time.process_time()\\nwhile time.process_time() - t < {BURN_S}: pass"
    child = subprocess.Popen([sys.executable, "-c", burn])
    print(child.pid, flush=True)
    sys.stdin.readline()  # the test has sampled the child while it ran
    child.wait()
    print("reaped", flush=True)
    time.sleep(60)
    """
)


def test_the_process_table_has_each_process_under_its_parent():
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as child:
        try:
            table = parents()
            assert table[child.pid] == os.getpid()
            assert table[os.getpid()] == os.getppid()
            assert child.pid in descendants(os.getpid(), children_of(table))
        finally:
            child.kill()


def test_descendants_reach_grandchildren_and_nothing_else():
    table = {2: 1, 3: 2, 4: 3, 5: 1, 6: 7}
    assert sorted(descendants(1, children_of(table))) == [2, 3, 4, 5]
    assert descendants(6, children_of(table)) == []


def test_a_child_that_exits_stays_on_its_parents_bill():
    sampler = RssSampler()
    proc = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        child = int(proc.stdout.readline())
        sampler.watch("parent", proc.pid)
        sampler.watch("alone", proc.pid, children=False)
        sampler.sample()
        deadline = time.monotonic() + 30
        burnt = 0.0
        while burnt < BURN_S / 2:
            assert time.monotonic() < deadline, "the child never burnt its CPU"
            time.sleep(0.02)
            burnt = sum(psutil.Process(child).cpu_times()[:2])
        sampler.sample()  # the child is running and counted as a live child
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "reaped"
        sampler.sample()  # the child is gone: its time is now the parent's children's time
        family = [cpu for _, _, cpu in sampler.samples["parent"]]
        alone = [cpu for _, _, cpu in sampler.samples["alone"]]
        # Both are read in the same sample, so the difference is the children's CPU alone: at least
        # what the child had burnt just before (its CPU only grows), however busy the machine is.
        assert family[1] - alone[1] >= burnt - 0.01, "a live child is not charged to its parent"
        assert family[2] >= family[1], "the counter fell when the child exited"
        # The kernel bills CPU in clock ticks (10 ms), and two readings subtracted in floating point
        # can land a hair under what the child burnt (0.42 - 0.02 < 0.4): one tick of slack.
        tick = 1 / os.sysconf("SC_CLK_TCK")
        assert family[2] - alone[2] >= BURN_S - tick, "an exited child's time is not charged to its parent"
        assert alone[2] - alone[0] < 0.1, "a process watched alone is not charged with its children"
        assert sampler.samples["parent"][2][1] > 0  # resident memory, MB
    finally:
        proc.kill()
        proc.wait()


def test_a_watched_process_that_is_gone_gets_no_more_samples():
    sampler = RssSampler()
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    sampler.watch("gone", proc.pid)
    sampler.sample()
    assert sampler.samples["gone"] == []
    assert len(sampler.samples["_machine"]) == 1

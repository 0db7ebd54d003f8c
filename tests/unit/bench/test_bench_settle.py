"""Before each load the bench waits for the stack to finish the one before, and no longer."""

from __future__ import annotations

from types import SimpleNamespace

from bench.options import Options
from bench.stages.pipeline import PipelineStages

IDLE = {"reports": 0.04, "routing": 0.04, "broker": 0.16, "postgres": 0.0}


class _Rss:
    """CPU per process over the last second: busy for the first ``busy_reads`` reads."""

    def __init__(self, busy_reads: int, busy: dict[str, float]) -> None:
        self.reads = 0
        self._busy_reads = busy_reads
        self._busy = busy

    def cpu_share(self, t_from: float, t_to: float) -> dict[str, float]:
        assert 0.99 < t_to - t_from < 1.01, "judged over the last second"
        self.reads += 1
        return IDLE | (self._busy if self.reads <= self._busy_reads else {})


def _bench(rss: _Rss, settle_s: float = 30.0, stopped: tuple[str, ...] = ()) -> PipelineStages:
    bench = PipelineStages()
    bench.opts = Options(settle_s=settle_s)
    bench.result = {"stages": {"idle_cpu_cores": IDLE}}
    bench.rss = rss
    bench.services = {
        name: SimpleNamespace(process=SimpleNamespace(poll=lambda n=name: 0 if n in stopped else None))
        for name in ("reports", "routing")
    }
    return bench


async def test_it_waits_while_a_service_is_busier_than_when_idle():
    rss = _Rss(busy_reads=3, busy={"reports": 0.60})
    waited = await _bench(rss).settle()
    assert rss.reads == 4
    assert 1.9 < waited < 3.0


async def test_idle_polling_within_a_margin_is_idle():
    rss = _Rss(busy_reads=10, busy={"broker": 0.20, "reports": 0.08})  # within 0.05 of idle
    waited = await _bench(rss).settle()
    assert rss.reads == 1
    assert waited < 1.0


async def test_a_stopped_service_does_not_hold_the_next_load():
    rss = _Rss(busy_reads=10, busy={"routing": 0.90})
    await _bench(rss, stopped=("routing",)).settle()
    assert rss.reads == 1


async def test_it_gives_up_after_settle_seconds_and_zero_turns_it_off():
    rss = _Rss(busy_reads=100, busy={"postgres": 0.50})
    waited = await _bench(rss, settle_s=1.2).settle()
    assert rss.reads == 3 and waited == 1.2
    off = _Rss(busy_reads=100, busy={"postgres": 0.50})
    assert await _bench(off, settle_s=0).settle() == 0.0 and off.reads == 0


def test_settle_seconds_comes_from_the_command_line():
    from bench.options import parse_args

    assert parse_args(["--settle-seconds", "0"]).settle_s == 0
    assert parse_args([]).settle_s == Options().settle_s == 30.0

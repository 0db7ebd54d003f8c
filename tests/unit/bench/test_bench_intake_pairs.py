"""The intake target is judged pair by pair: both servers past their limits seconds apart, so a machine
whose speed moves within a run does not decide the ratio."""

from __future__ import annotations

from types import SimpleNamespace

from bench.report.plots import draw_plots
from bench.report.tables import intake_section
from bench.report.targets import targets
from bench.stages.intake import IntakeStage, limit_load, pair_ratio


def _row(offered: float, per_s: float) -> dict:
    return {"offered": offered, "accepted_per_s": per_s, "p50_ms": 2.0, "p99_ms": 9.0,
            "server_cpu_ms_per_request": 0.1, "statuses": {"201": 10}}


class _DriftingMachine(IntakeStage):
    """Each server answers up to its capacity times the machine's speed at the time it is offered
    a load; the speed falls by a tenth with every load (a machine that slows through the run)."""

    def __init__(self, pairs: int, **capacity: float) -> None:
        self.opts = SimpleNamespace(intake_pairs=pairs)
        self.capacity = capacity
        self.speed = 1.0
        self.offered: list[tuple[str, float]] = []
        self.settled = 0

    async def settle(self) -> float:
        self.settled += 1
        return 0.0

    async def _offer_intake(self, name: str, port: int, rate: float) -> dict:
        self.offered.append((name, rate))
        answered = min(rate, self.capacity[name] * self.speed)
        self.speed *= 0.9
        return _row(rate, answered)


def test_the_pairs_offer_each_server_a_fifth_more_than_the_most_it_answered():
    rows = [_row(4_600, 4_600), _row(4_850, 4_500), _row(5_000, 4_650), _row(8_000, 4_500)]
    assert limit_load(rows) == 5_580
    assert limit_load([_row(12_000, 12_000), _row(27_000, 26_000)]) == 31_200
    assert limit_load([]) is None and limit_load([_row(5_000, 0)]) is None


async def test_pairs_alternate_which_server_goes_first_and_each_ratio_is_of_its_own_pair():
    stage = _DriftingMachine(3, reports=4_800, bare=10_000)
    rows = {"reports": [_row(4_600, 4_600), _row(5_000, 4_700)],
            "bare": [_row(9_800, 9_800), _row(10_500, 9_900)]}
    pairs = await stage._pairs_at_limits(rows, {"reports": 1, "bare": 2})
    assert stage.offered == [("bare", 11_880), ("reports", 5_640), ("reports", 5_640), ("bare", 11_880),
                             ("bare", 11_880), ("reports", 5_640)]
    assert [p["first"] for p in pairs] == ["bare", "reports", "bare"] and stage.settled == 6
    # Each pair's second server ran on a machine a tenth slower than its first.
    assert [round(p["ratio"], 1) for p in pairs] == [43.2, 53.3, 43.2]
    assert round(pair_ratio(pairs), 1) == 43.2


async def test_a_slowing_machine_moves_the_best_against_best_ratio_but_not_the_paired_one():
    # Intake's capacity is exactly half the bare endpoint's. Intake's best row came early (the fast
    # minutes), the bare endpoint's late: best against best reads far above half.
    stage = _DriftingMachine(4, reports=5_000, bare=10_000)
    stage.speed = 0.6  # the minutes of the pairs are slower still than those of the rows below
    rows = {"reports": [_row(5_500, 5_000)], "bare": [_row(12_000, 7_000)]}
    pairs = await stage._pairs_at_limits(rows, {"reports": 1, "bare": 2})
    best = max(r["accepted_per_s"] for r in rows["reports"]) / max(r["accepted_per_s"] for r in rows["bare"])
    assert round(best * 100, 1) == 71.4
    # A pair's ratio is off by the one load's slowing, one way or the other; their median is 50 %.
    ratios = sorted(round(p["ratio"], 1) for p in pairs)
    assert ratios == [45.0, 45.0, 55.6, 55.6] and round(pair_ratio(pairs), 1) == 50.3


async def test_no_pairs_when_asked_for_none_or_a_server_has_no_rows():
    stage = _DriftingMachine(0, reports=5_000, bare=10_000)
    assert await stage._pairs_at_limits({"reports": [_row(5_000, 5_000)], "bare": [_row(9_000, 9_000)]},
                                        {"reports": 1, "bare": 2}) == []
    stage = _DriftingMachine(3, reports=5_000, bare=10_000)
    assert await stage._pairs_at_limits({"reports": [], "bare": [_row(9_000, 9_000)]},
                                        {"reports": 1, "bare": 2}) == []
    assert stage.offered == [] and pair_ratio([]) is None


def _intake(pairs: list[dict] | None) -> dict:
    it = {
        "rates": {"reports": [_row(5_000, 4_900)], "bare": [_row(12_000, 9_000)]},
        "max_accepted_per_s": 4_900.0,
        "bare_max_per_s": 9_000.0,
        "bare_saturated": True,
    }
    if pairs is not None:
        it |= {"pairs": pairs, "pair_ratio": pair_ratio(pairs)}
    return it


def _pair(first: str, intake: float, bare: float) -> dict:
    return {"first": first, "reports": _row(5_000, intake), "bare": _row(12_000, bare),
            "ratio": intake / bare * 100}


def _verdict(it: dict) -> dict:
    return next(t for t in targets({"stages": {"intake": it}}) if t["target"].startswith("intake"))


def test_the_target_reads_the_median_pair_and_names_the_best_against_best_beside_it():
    pairs = [_pair("bare", 4_700, 9_600), _pair("reports", 4_800, 9_100), _pair("bare", 4_400, 9_500)]
    got = _verdict(_intake(pairs))
    assert (got["measured"], got["verdict"]) == ("49.0 %", "MISS")  # 4,700 / 9,600, not 4,900 / 9,000
    assert "median of 3 pairs" in got["note"] and "49.0, 52.7, 46.3 %" in got["note"]
    assert "best against best: intake 4,900/s vs bare 9,000/s (54.4 %)" in got["note"]


def test_results_without_pairs_are_judged_best_against_best_as_before():
    got = _verdict(_intake(None))
    assert (got["measured"], got["verdict"]) == ("54.4 %", "PASS")
    assert "median" not in got["note"] and got["note"].startswith("intake 4,900/s vs bare 9,000/s; ")


def test_the_report_lists_the_pairs_in_the_order_run(tmp_path):
    pairs = [_pair("bare", 4_700, 9_600), _pair("reports", 4_800, 9_100)]
    it = _intake(pairs)
    text = "\n".join(intake_section(it, {"intake_ceiling": [5_000, 12_000]}, None))
    assert "| 1 | bare | 5,000 | 4,700 | 0.10 | 12,000 | 9,600 | 0.10 | 49.0 % |" in text
    # 4,800 of 5,000 offered is 96 %: intake kept up that minute, its rate a lower bound.
    assert "| 2 | intake | 5,000 | 4,800* | 0.10 | 12,000 | 9,100 | 0.10 | 52.7 % |" in text
    assert "pair by pair" not in "\n".join(intake_section(_intake(None), {}, None))
    assert "intake.png" in draw_plots({"stages": {"intake": it}}, tmp_path)
    assert (tmp_path / "intake.png").stat().st_size > 0

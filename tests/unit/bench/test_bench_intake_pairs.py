"""The intake target is judged pair by pair: both servers past their limits seconds apart, so a machine
whose speed moves within a run does not decide the ratio."""

from __future__ import annotations

import pytest

from bench.limits import MAX_RATE, counted, limit_load, pair_ratio
from bench.options import parse_args
from bench.report.intake import intake_section
from bench.report.targets import targets
from tests.unit.bench.intake_fakes import FakeIntake, row


def _row(offered: float, per_s: float) -> dict:
    return row(offered, per_s, cpu_ms=0.1)


def _slowing_machine(pairs: int, **capacity: float) -> FakeIntake:
    """Both servers on a machine that slows by a tenth with every load."""
    return FakeIntake(pairs=pairs, slowing=0.9, cpu_ms=0.1, **capacity)


def test_the_pairs_offer_each_server_a_tenth_more_than_the_most_it_answered():
    rows = [_row(4_600, 4_600), _row(4_850, 4_500), _row(5_000, 4_650), _row(8_000, 4_500)]
    assert limit_load(rows) == 5_120
    # Never more than the load client offers.
    assert limit_load([_row(12_000, 12_000), _row(27_000, 26_000)]) == MAX_RATE
    assert limit_load([]) is None and limit_load([_row(5_000, 0)]) is None
    # At a few a second the load rounded to tens would be no more than the best (here 0): none.
    assert limit_load([_row(10, 4)]) is None
    assert limit_load([_row(100, 95)]) == 100


async def test_pairs_alternate_and_over_an_even_number_a_steady_slowing_cancels_out():
    stage = _slowing_machine(4, reports=4_800, bare=10_000)
    rows = {"reports": [_row(4_600, 4_600), _row(5_000, 4_700)],
            "bare": [_row(9_800, 9_800), _row(10_500, 9_900)]}
    pairs = await stage._pairs_at_limits(rows, {"reports": 1, "bare": 2})
    assert stage.offered == [
        ("bare", 10_890), ("reports", 5_170), ("reports", 5_170), ("bare", 10_890),
        ("bare", 10_890), ("reports", 5_170), ("reports", 5_170), ("bare", 10_890),
    ]
    assert [p["first"] for p in pairs] == ["bare", "reports", "bare", "reports"] and stage.settled == 8
    # The second server of each pair ran on a machine a tenth slower than the first: intake's
    # ratio reads 0.9 x 48 % when it goes second, 48 % / 0.9 when the bare endpoint does.
    assert [round(p["ratio"], 1) for p in pairs] == [43.2, 53.3, 43.2, 53.3]
    assert round(pair_ratio(pairs), 1) == 48.3  # the capacities' ratio is 48 %


async def test_a_slowing_machine_moves_the_best_against_best_ratio_but_not_the_paired_one():
    # Intake's capacity is exactly half the bare endpoint's. Intake's best row came in a fast
    # minute, the bare endpoint's in a slow one, and the pairs in slower minutes still.
    stage = _slowing_machine(4, reports=5_000, bare=10_000)
    stage.speed = 0.6
    rows = {"reports": [_row(5_500, 5_000)], "bare": [_row(12_000, 7_000)]}
    pairs = await stage._pairs_at_limits(rows, {"reports": 1, "bare": 2})
    assert sorted(round(p["ratio"], 1) for p in pairs) == [45.0, 45.0, 55.6, 55.6]
    it = _intake(pairs, reports=rows["reports"], bare=rows["bare"])
    got = _verdict(it)
    assert got["measured"] == "50.3 %"
    assert "the best rows before the pairs: intake 5,000/s vs bare 7,000/s (71.4 %)" in got["note"]


async def test_no_pairs_when_asked_for_none_or_a_server_has_no_rows():
    stage = _slowing_machine(0, reports=5_000, bare=10_000)
    assert await stage._pairs_at_limits({"reports": [_row(5_000, 5_000)], "bare": [_row(9_000, 9_000)]},
                                        {"reports": 1, "bare": 2}) == []
    stage = _slowing_machine(2, reports=5_000, bare=10_000)
    assert await stage._pairs_at_limits({"reports": [], "bare": [_row(9_000, 9_000)]},
                                        {"reports": 1, "bare": 2}) == []
    assert stage.offered == [] and pair_ratio([]) is None


def _intake(
    pairs: list[dict] | None, reports: list[dict] | None = None, bare: list[dict] | None = None
) -> dict:
    reports = reports or [_row(5_000, 4_900)]
    bare = bare or [_row(12_000, 9_000)]
    it = {
        "rates": {"reports": reports, "bare": bare},
        "max_accepted_per_s": max(r["accepted_per_s"] for r in reports),
        "bare_max_per_s": max(r["accepted_per_s"] for r in bare),
        "bare_saturated": True,
    }
    if pairs is not None:
        it |= {"pairs": pairs, "pair_ratio": pair_ratio(pairs)}
    return it


def _pair(first: str, intake: float, bare: float, intake_offered: float = 5_500) -> dict:
    return {"first": first, "reports": _row(intake_offered, intake), "bare": _row(12_000, bare),
            "ratio": intake / bare * 100 if bare else None}


def _verdict(it: dict) -> dict:
    return next(t for t in targets({"stages": {"intake": it}}) if t["target"].startswith("intake"))


def test_the_target_reads_the_median_pair_and_names_the_best_against_best_beside_it():
    pairs = [_pair("bare", 4_700, 9_600), _pair("reports", 4_800, 9_100), _pair("bare", 4_400, 9_500),
             _pair("reports", 4_500, 9_000)]
    got = _verdict(_intake(pairs))
    # 49.0, 52.7, 46.3 and 50.0 %: the median is the mean of the middle two.
    assert (got["measured"], got["verdict"]) == ("49.5 %", "MISS")
    assert "median of 4 pairs" in got["note"] and ": 49.0, 52.7, 46.3, 50.0 %;" in got["note"]
    assert "the best rows before the pairs: intake 4,900/s vs bare 9,000/s (54.4 %)" in got["note"]


def test_a_pair_in_which_a_server_kept_up_is_not_counted():
    kept = _pair("reports", 5_300, 9_000)  # intake answered 96 % of its 5,500: it could have done more
    bare_kept = _pair("bare", 4_000, 11_500)  # the bare endpoint answered 96 % of its 12,000
    zero = _pair("bare", 4_000, 0)
    assert not counted(kept) and not counted(bare_kept) and not counted(zero)
    pairs = [_pair("bare", 4_700, 9_600), kept, bare_kept, zero]
    got = _verdict(_intake(pairs))
    assert got["measured"] == "49.0 %"
    assert "median of 1 pair," in got["note"] and "3 of 4 not counted" in got["note"]
    # None counted: judged best against best, and the note says why.
    got = _verdict(_intake([kept, zero]))
    assert got["measured"] == "54.4 %" and got["note"].startswith("no pair counted (")


def test_results_without_pairs_are_judged_best_against_best_as_before():
    got = _verdict(_intake(None))
    assert (got["measured"], got["verdict"]) == ("54.4 %", "PASS")
    assert "median" not in got["note"] and got["note"].startswith("intake 4,900/s vs bare 9,000/s; ")


def test_a_ratio_just_under_the_goal_does_not_read_as_the_goal():
    got = _verdict(_intake([_pair("bare", 4_997, 10_000)]))
    assert (got["measured"], got["verdict"]) == ("49.97 %", "MISS")
    assert _verdict(_intake([_pair("bare", 5_000, 10_000)]))["measured"] == "50.0 %"


def test_the_report_lists_the_pairs_in_the_order_run_and_which_count():
    pairs = [_pair("bare", 4_700, 9_600), _pair("reports", 5_300, 9_100), _pair("bare", 4_000, 0)]
    text = "\n".join(intake_section(_intake(pairs), {"intake_ceiling": [5_000, 12_000]}, None))
    assert "| 1 | bare | 5,500 | 4,700 | 0.10 | 12,000 | 9,600 | 0.10 | 49.0 % | yes |" in text
    # 5,300 of 5,500 offered is 96 %: intake kept up that minute, its rate a lower bound.
    assert "| 2 | intake | 5,500 | 5,300* | 0.10 | 12,000 | 9,100 | 0.10 | 58.2 % | no |" in text
    assert "| 3 | bare | 5,500 | 4,000 | 0.10 | 12,000 | 0 | 0.10 | - | no |" in text
    assert "pair by pair" not in "\n".join(intake_section(_intake(None), {}, None))


def test_the_plot_draws_the_pairs(tmp_path):
    pytest.importorskip("matplotlib")
    from bench.report.plots import draw_plots

    it = _intake([_pair("bare", 4_700, 9_600)])
    assert "intake.png" in draw_plots({"stages": {"intake": it}}, tmp_path)
    assert (tmp_path / "intake.png").stat().st_size > 0


def test_pairs_are_an_option_and_quick_runs_two():
    assert parse_args([]).intake_pairs == 4
    assert parse_args(["--quick"]).intake_pairs == 2
    assert parse_args(["--quick", "--intake-pairs", "0"]).intake_pairs == 0
    for wrong in ("-2", "3", "two"):
        with pytest.raises(SystemExit):
            parse_args(["--intake-pairs", wrong])


def test_results_of_the_first_pairs_are_judged_by_the_pairs_as_counted_now():
    # Written by 881eb34, which counted every pair: both kept up here, so none counts now.
    kept = [_pair("bare", 5_300, 9_000), _pair("reports", 5_400, 9_100)]
    it = _intake(kept) | {"pair_ratio": 59.0}
    got = _verdict(it)
    assert got["measured"] == "54.4 %" and got["note"].startswith("no pair counted (")


def test_the_pairs_table_says_how_far_past_intake_s_best_its_load_was():
    # Intake's best row 4,900/s, its pairs offered 5,500: 12 % more.
    text = "\n".join(intake_section(_intake([_pair("bare", 4_700, 9_600)]), {}, None))
    assert "a load past the most it answered a second above (12 % more)" in text

"""Each server's limit is measured: past the fixed loads it is offered more while it keeps up, then
the loads between the highest it kept up with and the lowest it fell behind at are halved."""

from __future__ import annotations

from bench.limits import MAX_RATE, kept_up, limit_measured, next_load
from bench.report.intake import intake_section
from tests.unit.bench.intake_fakes import FakeIntake
from tests.unit.bench.intake_fakes import row as _row


class _Stage(FakeIntake):
    """Each server answers up to its limit a second, on a steady machine."""

    def __init__(self, extra_loads: int = 8, **limits: float) -> None:
        super().__init__(extra_loads=extra_loads, **limits)

    async def limits_of(self, rows: dict[str, list[dict]]) -> list[tuple[str, float]]:
        await self._until_limits(rows, {"reports": 1, "bare": 2})
        return self.offered


def _fixed(limit: float, loads=(2_000, 5_000, 8_000, 12_000)) -> list[dict]:
    return [_row(rate, min(rate, limit)) for rate in loads]


async def test_a_server_that_kept_up_is_offered_half_as_much_again_then_narrowed_down():
    stage = _Stage(bare=20_000)
    rows = {"reports": [], "bare": _fixed(20_000)}
    offered = await stage.limits_of(rows)
    # 18,000 kept up, 27,000 fell behind (20,000 answered); between them 22,050 behind, 19,920
    # kept up, and 20,960 answered at 95 % (kept up): within a tenth of 22,050, the end.
    assert [rate for _, rate in offered] == [18_000, 27_000, 22_050, 19_920, 20_960]
    assert stage.settled == 5
    assert max(r["accepted_per_s"] for r in rows["bare"]) == 20_000 and limit_measured(rows["bare"])


async def test_the_loads_between_kept_up_and_behind_are_halved_until_a_tenth_apart():
    # Intake kept up with 5,000 (answering only what was offered) and fell behind at 8,000.
    stage = _Stage(reports=7_000)
    rows = {"reports": _fixed(7_000), "bare": []}
    # 6,320 and 7,110 kept up, 7,540 did not; 7,110 to 7,540 is less than a tenth.
    assert await stage.limits_of(rows) == [("reports", r) for r in (6_320, 7_110, 7_540)]
    assert max(r["accepted_per_s"] for r in rows["reports"]) == 7_000


async def test_a_limit_just_above_the_load_kept_up_with_is_found_from_above():
    stage = _Stage(reports=5_200)
    rows = {"reports": _fixed(5_200), "bare": []}
    assert await stage.limits_of(rows) == [("reports", r) for r in (6_320, 5_620, 5_300)]
    assert max(r["accepted_per_s"] for r in rows["reports"]) == 5_200


async def test_a_wide_gap_takes_few_loads():
    # Behind at 5,000 already: from 2,000, four loads rather than one a tenth apart (nine).
    stage = _Stage(reports=4_600)
    rows = {"reports": _fixed(4_600, (250, 500, 1_000, 2_000, 5_000, 8_000, 12_000)), "bare": []}
    assert await stage.limits_of(rows) == [("reports", r) for r in (3_160, 3_970, 4_460, 4_720)]


async def test_loads_a_tenth_apart_or_a_server_behind_at_every_load_are_offered_nothing():
    stage = _Stage(reports=5_100, bare=100)
    rows = {"reports": [_row(5_000, 5_000), _row(5_500, 5_100)], "bare": _fixed(100, (2_000, 5_000))}
    assert await stage.limits_of(rows) == []
    assert next_load([]) is None


async def test_the_ladder_stops_at_the_most_the_load_client_offers():
    stage = _Stage(bare=10**9)
    rows = {"reports": [], "bare": [_row(12_000, 12_000)]}
    assert [rate for _, rate in await stage.limits_of(rows)] == [18_000, 27_000] and max(
        r for _, r in stage.offered
    ) <= MAX_RATE
    assert kept_up(rows["bare"][-1]) and not limit_measured(rows["bare"])  # the report says higher


async def test_the_servers_take_turns_and_each_ends_with_its_rows_in_load_order():
    stage = _Stage(reports=5_200, bare=11_000)
    rows = {"reports": _fixed(5_200), "bare": _fixed(11_000)}
    offered = await stage.limits_of(rows)
    assert offered == [("reports", 6_320), ("bare", 9_800), ("bare", 10_840), ("reports", 5_620),
                       ("reports", 5_300), ("bare", 11_410)]
    for side in rows.values():
        assert [r["offered"] for r in side] == sorted(r["offered"] for r in side)
        assert [r["offered"] for r in side if r.get("own_load")] == sorted(
            rate for name, rate in offered if side is rows[name]
        )


async def test_each_server_is_offered_at_most_its_share_of_extra_loads():
    # --quick: one a server, enough to run the code, not to measure.
    stage = _Stage(extra_loads=1, reports=5_200, bare=11_000)
    assert await stage.limits_of({"reports": _fixed(5_200), "bare": _fixed(11_000)}) == [
        ("reports", 6_320), ("bare", 9_800)
    ]


async def test_at_a_few_requests_a_second_narrowing_ends_where_rounding_meets_an_end():
    # sqrt(50 * 60) rounds to 50: offering 50 again would never end.
    assert next_load([_row(50, 50), _row(60, 40)]) is None
    stage = _Stage(reports=45)
    rows = {"reports": [_row(30, 30), _row(70, 45)], "bare": []}
    # 50 behind, 40 kept up; between 40 and 50 the mean rounds to 40 again: the end.
    assert await stage.limits_of(rows) == [("reports", 50), ("reports", 40)]


def test_the_limit_is_measured_by_the_highest_load_not_by_a_dip_below_it():
    assert limit_measured([_row(8_000, 7_500), _row(12_000, 10_000)])
    assert not limit_measured([_row(8_000, 7_500), _row(12_000, 12_000), _row(18_000, 18_000)])
    # In whatever order the rows were taken.
    assert not limit_measured([_row(18_000, 18_000), _row(8_000, 7_500)])
    assert not limit_measured([])


def test_the_intake_table_has_a_row_for_every_load_either_server_was_offered():
    it = {"rates": {
        "reports": [_row(5_000, 5_000), _row(5_500, 5_200), _row(12_000, 4_000)],
        "bare": [_row(5_000, 5_000), _row(12_000, 11_900), _row(18_000, 14_000)],
    }}
    text = "\n".join(intake_section(it, {"intake_ceiling": [5_000, 12_000]}, None))
    lines = [line for line in text.splitlines() if line.startswith("| 5,") or line.startswith("| 1")]
    assert [line.split(" |")[0] for line in lines] == [
        "| 5,000 (ceiling probe)", "| 5,500 (intake only)", "| 12,000 (ceiling probe)",
        "| 18,000 (bare endpoint only)",
    ]
    assert "| 5,500 (intake only) | 5,200 | 2 / 9 ms | 0.08 | - | - / - ms | - | {'201': 10} |" in text
    assert "| 18,000 (bare endpoint only) | - | - / - ms | - | 14,000 | 2 / 9 ms | 0.08 | - |" in text


def test_a_load_both_servers_were_offered_alone_is_two_rows_and_a_repeated_load_is_kept():
    own = {"own_load": True}
    it = {"rates": {
        "reports": [_row(8_000, 5_000), _row(8_000, 4_900), _row(9_800, 5_000) | own],
        "bare": [_row(8_000, 8_000), _row(9_800, 9_700) | own],
    }}
    text = "\n".join(intake_section(it, {"intake_ceiling": [8_000]}, None))
    lines = [line.split(" |")[:2] for line in text.splitlines() if line.startswith(("| 8,", "| 9,"))]
    assert lines == [
        ["| 8,000 (ceiling probe)", " 5,000"], ["| 8,000 (intake only)", " 4,900"],
        ["| 9,800 (intake only)", " 5,000"], ["| 9,800 (bare endpoint only)", " -"],
    ]

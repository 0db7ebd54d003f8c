"""The bare endpoint's limit is measured: offered more past the ceiling probes while it keeps up."""

from __future__ import annotations

from bench.report.tables import intake_section
from bench.stages.intake import BARE_MAX_RATE, IntakeStage, kept_up, limit_measured


def _row(offered: float, per_s: float) -> dict:
    return {"offered": offered, "accepted_per_s": per_s, "p50_ms": 2.0, "p99_ms": 9.0,
            "server_cpu_ms_per_request": 0.08, "statuses": {"201": 10}}


class _Stage(IntakeStage):
    """The stage with the server replaced by a capacity: it answers up to ``limit`` a second."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.offered: list[float] = []
        self.settled = 0

    async def settle(self) -> float:
        self.settled += 1
        return 0.0

    async def _offer_intake(self, name: str, port: int, rate: float) -> dict:
        assert name == "bare"
        self.offered.append(rate)
        return _row(rate, min(rate, self.limit))


async def test_a_bare_endpoint_that_kept_up_is_offered_half_as_much_again_until_it_falls_behind():
    stage = _Stage(limit=20_000)
    rows = [_row(5_000, 5_000), _row(12_000, 11_900)]
    await stage._bare_until_behind(rows, 1)
    assert stage.offered == [18_000, 27_000] and stage.settled == 2
    assert not kept_up(rows[-1]) and rows[-1]["accepted_per_s"] == 20_000


async def test_the_ladder_stops_at_the_first_load_the_bare_endpoint_falls_behind():
    stage = _Stage(limit=15_000)
    rows = [_row(12_000, 12_000)]
    await stage._bare_until_behind(rows, 1)
    assert stage.offered == [18_000] and rows[-1]["accepted_per_s"] == 15_000


async def test_a_bare_endpoint_already_behind_is_offered_nothing_more():
    stage = _Stage(limit=9_000)
    await stage._bare_until_behind([_row(12_000, 9_000)], 1)
    assert stage.offered == []


async def test_the_ladder_stops_at_the_most_the_load_client_offers():
    stage = _Stage(limit=10**9)
    rows = [_row(12_000, 12_000)]
    await stage._bare_until_behind(rows, 1)
    assert stage.offered == [18_000, 27_000] and max(stage.offered) <= BARE_MAX_RATE
    assert kept_up(rows[-1]) and not limit_measured(rows)  # the report says its limit is higher


def test_the_limit_is_measured_by_the_highest_load_not_by_a_dip_below_it():
    assert limit_measured([_row(8_000, 7_500), _row(12_000, 10_000)])
    assert not limit_measured([_row(8_000, 7_500), _row(12_000, 12_000), _row(18_000, 18_000)])
    assert not limit_measured([])


def test_the_intake_table_shows_the_rows_only_the_bare_endpoint_was_offered():
    it = {"rates": {"reports": [_row(12_000, 4_000)], "bare": [_row(12_000, 11_900), _row(18_000, 14_000)]}}
    text = "\n".join(intake_section(it, {"intake_ceiling": [12_000]}, None))
    assert "| 12,000 (ceiling probe) | 4,000 |" in text
    assert "| 18,000 (bare endpoint only) | - | - / - ms | - | 14,000 | 2 / 9 ms | 0.08 | - |" in text

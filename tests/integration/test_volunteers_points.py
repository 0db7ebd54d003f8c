"""Volunteer points on the real broker and PostgreSQL: credits once per deed, caps, redemption, rebuild."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.volunteers.app.rebuild import audit_database
from services.volunteers.settings import VolunteersSettings
from shared.clock import ManualClock
from shared.events.reports import ReportOutcomeV1, ReportSubmittedV1
from shared.events.wishes import WishFulfilledV1
from tests.integration.test_volunteers import HOME, consumed, pair_carer, publish_with_id, until
from tests.support.kafka import publish
from tests.support.system import run_system

pytestmark = pytest.mark.integration


def checkin(pairing_id: str, reporter: str, at: datetime, category: str) -> ReportSubmittedV1:
    """An elderly check-in report as intake publishes it."""
    return ReportSubmittedV1(
        report_id=str(uuid.uuid4()), kind="elderly_checkin", category=category, severity="low",
        lon=106.63, lat=29.72, reporter_id=reporter, pairing_id=pairing_id, opens_case=False, submitted_at=at,
    )


def outcome(
    report_id: str, result: str, reporter: str = "w-carer", at: datetime | None = None
) -> ReportOutcomeV1:
    """A case outcome for a hazard report."""
    return ReportOutcomeV1(report_id=report_id, reporter_id=reporter, kind="hazard",
                           category="broken_manhole", case_id=str(uuid.uuid4()), outcome=result,
                           at=at or datetime.now(UTC))


async def test_visits_outcomes_and_wishes_credit_points_once_and_the_rebuild_matches(settings):
    now = datetime.now(UTC).replace(microsecond=0)
    rules = {"daily_cap": 1000, "prices": {"meal": 50, "battery_charge": 8}}
    async with run_system(settings, ["volunteers"], overrides={"volunteers": rules}) as system:
        _, pairing_id = await pair_carer(system)
        carer = system.client(system.token("w-carer", "worker"))
        ops = system.client(system.token("o-1", "ops"))
        async with carer, ops:
            window = {"window_start": (now - timedelta(hours=1)).isoformat(),
                      "window_end": (now + timedelta(hours=1)).isoformat()}
            path = f"/volunteers/pairings/{pairing_id}/visits"
            assert (await carer.post(path, json=window)).status_code == 201
            visit = checkin(pairing_id, "w-carer", now, "no_answer")
            impostor = checkin(pairing_id, "w-2", now, "visited_fine")
            await publish(settings, [impostor, visit])
            logged = await until(lambda: carer.get(path),
                                 lambda r: r.json()[0]["outcome"] is not None)
            (entry,) = logged.json()
            assert (entry["report_id"], entry["outcome"]) == (visit.report_id, "no_answer")
            await until(lambda: carer.get("/volunteers/points/me"), lambda r: r.json()["balance"] == 5)

            resolved = outcome(str(uuid.uuid4()), "resolved")
            await publish_with_id(settings, resolved, str(uuid.uuid4()), times=2)   # same event id twice
            dismissed = outcome(str(uuid.uuid4()), "dismissed")
            await publish(settings, [resolved, dismissed])  # a new event id for the same report
            await publish(settings, [WishFulfilledV1(
                wish_id="wish-1", claim_id="claim-1", donor_id="w-carer", poster_id="w-9",
                community_code=HOME, shares=2, fulfilled_at=now)])
            await consumed(system, "reports", applied=5, duplicates=1)
            await consumed(system, "wishes", applied=1, duplicates=0)
            statement = await carer.get("/volunteers/points/me")
            # 5 (visit) + 10 (resolved hazard, once) + 2 shares x 8 (wish); the dismissal earns nothing.
            assert statement.json()["balance"] == 31
            kinds = sorted(t["source_kind"] for t in statement.json()["transactions"])
            assert kinds == ["report_outcome", "visit", "wish_claim"]
            for txn in statement.json()["transactions"]:
                assert sum(e["amount"] for e in txn["entries"]) == 0
                assert {e["account"] for e in txn["entries"]} == {"programme:issued", "volunteer:w-carer"}

            short = await carer.post("/volunteers/points/redeem", json={"station_id": "st-1", "item": "meal"})
            assert short.status_code == 409 and short.json()["fields"][0]["field"] == "item"
            unknown = await carer.post(
                "/volunteers/points/redeem", json={"station_id": "st-1", "item": "yacht"})
            assert unknown.status_code == 422
            headers = {"Idempotency-Key": "charge-1"}
            first = await carer.post("/volunteers/points/redeem", headers=headers,
                                     json={"station_id": "st-1", "item": "battery_charge"})
            retry = await carer.post("/volunteers/points/redeem", headers=headers,
                                     json={"station_id": "st-1", "item": "battery_charge"})
            assert first.status_code == retry.status_code == 201
            assert first.json()["balance"] == retry.json()["balance"] == 23
            assert first.json()["transaction"]["entries"] == [
                {"account": "volunteer:w-carer", "amount": -8}, {"account": "station:st-1", "amount": 8}]

            audit = (await ops.get("/volunteers/points/audit")).json()
            assert audit["equal"], audit["summary"]
            assert audit["live"] == {"programme:issued": -31, "station:st-1": 8, "volunteer:w-carer": 23}
            assert audit["rebuilt"] == audit["live"]
            assert (await carer.get("/volunteers/points/audit")).status_code == 403
        cli_audit = await audit_database(settings, VolunteersSettings(**rules).rules())
        assert cli_audit.equal and cli_audit.live == audit["live"]


async def test_the_daily_cap_is_per_chongqing_day_and_the_rebuild_reaches_the_same_caps(settings):
    # 23:30 in Chongqing: the next Chongqing day begins 30 minutes later, while UTC is still mid-afternoon.
    clock = ManualClock(datetime(2026, 11, 30, 15, 30, tzinfo=UTC))
    async with run_system(settings, ["volunteers"], clock=clock,
                          overrides={"volunteers": {"daily_cap": 15}}) as system:
        worker = system.client(system.token("w-5", "worker"))
        async with worker, system.client(system.token("o-1", "ops")) as ops:
            await publish(settings, [outcome(f"late-{i}", "resolved", "w-5", clock.now()) for i in range(3)])
            first_day = await until(lambda: worker.get("/volunteers/points/me"),
                                    lambda r: len(r.json()["transactions"]) == 3)
            assert (first_day.json()["balance"], first_day.json()["earned_today"]) == (15, 15)
            assert sorted((t["points"], t["reason"]) for t in first_day.json()["transactions"]) == [
                (0, "daily_cap"), (5, "daily_cap"), (10, None)]
            clock.advance(timedelta(hours=1))
            await publish(settings, [outcome("next-day", "resolved", "w-5", clock.now())])
            next_day = await until(lambda: worker.get("/volunteers/points/me"),
                                   lambda r: len(r.json()["transactions"]) == 4)
            assert next_day.json()["balance"] == 25 and next_day.json()["earned_today"] == 10
            assert next_day.json()["today"] == "2026-12-01"
            audit = (await ops.get("/volunteers/points/audit")).json()
            assert audit["equal"], audit["summary"]
            assert audit["live"]["volunteer:w-5"] == 25

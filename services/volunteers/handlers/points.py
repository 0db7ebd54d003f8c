"""HTTP routes for points (志愿积分): statements, redemption at stations, and the ledger audit."""

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, ConfigDict, Field

from services.volunteers.app.points import transaction_view
from services.volunteers.handlers.problems import as_problem
from shared.auth import Principal, TokenCodec
from shared.http.security import principal_dependency

if TYPE_CHECKING:
    from services.volunteers.factory import VolunteersFactory


class EntryView(BaseModel):
    """One leg of a transaction."""

    account: str
    amount: int


class TransactionView(BaseModel):
    """One booking; its entries sum to zero."""

    source_kind: str
    source_id: str
    requested: int
    points: int
    reason: str | None = Field(description="daily_cap when fewer points than asked; item:<x> for spending.")
    day: date
    occurred_at: datetime
    entries: list[EntryView]


class StatementView(BaseModel):
    """A volunteer's points."""

    volunteer_id: str
    balance: int
    earned_today: int
    daily_cap: int
    today: date
    transactions: list[TransactionView]


class RedeemBody(BaseModel):
    """What to spend points on, and where."""

    model_config = ConfigDict(extra="forbid")

    station_id: str = Field(min_length=1, max_length=100, description="The warm station.")
    item: str = Field(min_length=1, max_length=50, description="e.g. meal, phone_charge.")


class RedemptionView(BaseModel):
    """A redemption and the balance after it."""

    transaction: TransactionView
    balance: int


class AuditView(BaseModel):
    """The live ledger compared with one rebuilt from the events."""

    equal: bool
    summary: str
    live: dict[str, int]
    rebuilt: dict[str, int]
    missing_sources: list[str]
    extra_sources: list[str]
    day_differences: list[str]


def add_points_routes(
    router: APIRouter, factory: Callable[[], "VolunteersFactory"], tokens: TokenCodec
) -> None:
    """Add /points routes to the volunteers router."""
    worker = principal_dependency(tokens, "worker")
    ops = principal_dependency(tokens, "ops")

    @router.get("/points/me", response_model=StatementView)
    async def statement(principal: Annotated[Principal, Depends(worker)]) -> dict:
        """The caller's balance, today's earnings against the cap, and latest bookings."""
        return await factory().points.statement(principal.subject)

    @router.get("/points/rules")
    async def rules(principal: Annotated[Principal, Depends(principal_dependency(tokens))]) -> dict:
        """What deeds earn, the daily cap and station prices."""
        r = factory().points.rules
        return {"per_resolved_report": dict(r.per_resolved_report), "per_wish_share": r.per_wish_share,
                "per_visit": r.per_visit, "daily_cap": r.daily_cap, "prices": dict(r.prices)}

    @router.post("/points/redeem", status_code=201, response_model=RedemptionView)
    async def redeem(
        body: RedeemBody, principal: Annotated[Principal, Depends(worker)],
        idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
    ) -> dict:
        """Spend points at a station; 409 when the balance is short. Idempotency-Key makes retries safe."""
        with as_problem():
            txn, balance = await factory().points.redeem(
                principal, station_id=body.station_id, item=body.item, idempotency_key=idempotency_key
            )
        return {"transaction": transaction_view(txn), "balance": balance}

    @router.get("/points/audit", response_model=AuditView)
    async def audit(principal: Annotated[Principal, Depends(ops)]) -> dict:
        """Rebuild the ledger from the reports and wishes topics and the visit log; compare with live."""
        result = await factory().audit()
        return {"equal": result.equal, "summary": result.summary(), "live": result.live,
                "rebuilt": result.rebuilt, "missing_sources": result.missing_sources,
                "extra_sources": result.extra_sources, "day_differences": result.day_differences}

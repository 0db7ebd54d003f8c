"""What the wishes API returns, per caller, and how refusals become HTTP errors."""

import contextlib
import uuid
from collections.abc import Iterator
from datetime import date, datetime

import asyncpg
from pydantic import BaseModel, Field

from services.wishes.app.changes import NotYours, WishNotFound, covers
from services.wishes.domain import claims, lifecycle
from services.wishes.domain.shares import NoSharesLeft
from services.wishes.domain.wish import InvalidWish
from shared.auth import Principal
from shared.http.errors import ProblemError

_USER_WISH_ACTIONS = {"approve", "reject", "cancel", "claim"}


class WishCard(BaseModel):
    """A wish as the public wall shows it: what is wished for, never who wished it."""

    wish_id: str
    community_code: str
    category: str
    title: str
    status: str
    wanted_by: date | None
    shares: int
    shares_left: int
    approved_at: datetime | None


class ClaimView(BaseModel):
    """A claim as its donor, the wish's poster and covering staff see it."""

    claim_id: str
    wish_id: str
    donor_id: str
    donor_kind: str
    shares: int
    status: str
    held_until: datetime
    claimed_at: datetime
    handed_over_at: datetime | None
    handover_station_id: str | None
    handover_place: str | None
    confirmed_at: datetime | None
    thanked_at: datetime | None
    thanks_message: str | None
    end_reason: str | None
    allowed_actions: list[str] = Field(description="What the caller may do with this claim now.")
    wish_title: str | None = Field(None, description="In a donor's own list: what the wish is.")
    wish_status: str | None = Field(None, description="In a donor's own list: the wish's status.")
    wish_handover: str | None = Field(None, description="In a donor's own list: where the worker asked.")


class HistoryEntry(BaseModel):
    """One row of a wish's audit trail."""

    claim_id: str | None
    action: str
    from_status: str | None
    to_status: str
    actor_id: str
    actor_role: str
    note: str | None
    at: datetime


class WishView(WishCard):
    """A wish in full; who posted it and its trail only for the poster and covering staff."""

    street_code: str
    details: str
    why: str
    handover: str
    shares_fulfilled: int
    poster_id: str | None = Field(description="Only for the poster and covering staff.")
    review_reason: str | None
    created_at: datetime
    expires_at: datetime | None
    fulfilled_at: datetime | None
    allowed_actions: list[str] = Field(description="What the caller may do with this wish now.")
    claims: list[ClaimView] = Field(default_factory=list, description="Claims the caller may see.")
    history: list[HistoryEntry] | None = Field(None, description="Audit trail (poster and staff).")


def card(row: asyncpg.Record) -> WishCard:
    """The public card of a wish row."""
    data = {k: row[k] for k in WishCard.model_fields if k in row.keys()}
    if "shares_left" not in data:
        data["shares_left"] = row["shares"] - row["shares_taken"]
    return WishCard(**{**data, "wish_id": str(row["wish_id"])})


def _kind(principal: Principal, wish: asyncpg.Record) -> str:
    if wish["poster_id"] == principal.subject:
        return "poster"
    return "staff" if covers(principal, wish) else "donor"


def claim_view(row: asyncpg.Record, principal: Principal, poster_id: str) -> ClaimView:
    """A claim row for this caller, with what they may do with it."""
    data = {k: row[k] for k in ClaimView.model_fields if k in row.keys()}
    actor = {poster_id: "poster", row["donor_id"]: "donor"}.get(principal.subject)
    allowed = [] if actor is None else claims.allowed_actions(
        row["status"], actor=actor, thanked=row["thanked_at"] is not None
    )
    return ClaimView(**{**data, "claim_id": str(row["claim_id"]), "wish_id": str(row["wish_id"]),
                        "allowed_actions": allowed})


def wish_view(
    row: asyncpg.Record, principal: Principal, claim_rows: list[asyncpg.Record],
    history: list[asyncpg.Record] | None,
) -> WishView:
    """A wish row in full, trimmed to what this caller may see."""
    kind = _kind(principal, row)
    privileged = kind in ("poster", "staff")
    allowed = [a for a in lifecycle.allowed_actions(row["status"], actor=kind) if a in _USER_WISH_ACTIONS]
    if "claim" in allowed and row["shares"] - row["shares_taken"] == 0:
        allowed.remove("claim")
    seen = [c for c in claim_rows if privileged or c["donor_id"] == principal.subject]
    data = {k: row[k] for k in WishView.model_fields if k in row.keys()}
    return WishView(**{
        **card(row).model_dump(), **{k: v for k, v in data.items() if k not in WishCard.model_fields},
        "poster_id": row["poster_id"] if privileged else None, "allowed_actions": allowed,
        "claims": [claim_view(c, principal, row["poster_id"]) for c in seen],
        "history": [HistoryEntry(**{**dict(h), "claim_id": str(h["claim_id"]) if h["claim_id"] else None})
                    for h in history] if privileged and history is not None else None,
    })


def checked_id(value: str, what: str = "wish") -> str:
    """A path id that is a UUID; anything else cannot name a wish, so it is simply not found."""
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise ProblemError(404, "not_found", f"no {what} {value} that you can see") from exc


@contextlib.contextmanager
def refusals(what: str) -> Iterator[None]:
    """Turn the use cases' refusals into the project's HTTP errors."""
    try:
        yield
    except WishNotFound as exc:
        raise ProblemError(404, "not_found", f"no {what} that you can see") from exc
    except NotYours as exc:
        raise ProblemError(403, "forbidden", str(exc)) from exc
    except NoSharesLeft as exc:
        raise ProblemError(409, "no_shares_left", str(exc)) from exc
    except (lifecycle.IllegalTransition, claims.IllegalClaimTransition) as exc:
        raise ProblemError(409, "illegal_transition", str(exc)) from exc
    except InvalidWish as exc:
        raise ProblemError(422, "invalid_request", str(exc),
                           fields=[{"field": exc.field, "problem": exc.problem}]) from exc

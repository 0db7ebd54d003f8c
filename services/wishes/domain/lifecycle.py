"""The wish state machine: which action moves a wish from which status, and who may take it."""

from __future__ import annotations

from dataclasses import dataclass

from services.wishes.domain.shares import Shares

STATUSES = (
    "pending_review", "open", "partly_claimed", "fully_claimed", "fulfilled", "rejected", "expired",
    "cancelled",
)
LIVE = frozenset({"open", "partly_claimed", "fully_claimed"})  # approved and not finished
PUBLIC = LIVE | {"fulfilled"}  # seen by donors; the wall shows only LIVE ones
TERMINAL = frozenset({"fulfilled", "rejected", "expired", "cancelled"})
ACTORS = frozenset({"poster", "staff", "donor", "system"})
BY_SHARES = "by shares"  # the target is whatever the shares after the move say


class IllegalTransition(Exception):
    """An action that the wish's status, the actor or a missing reason does not allow."""


@dataclass(frozen=True)
class Transition:
    """One allowed move of a wish."""

    from_status: str
    to_status: str
    action: str


@dataclass(frozen=True)
class _Move:
    sources: frozenset[str]
    target: str
    actors: frozenset[str]
    needs_reason: bool = False


_CLAIMABLE = frozenset({"open", "partly_claimed"})
_TAKEN = frozenset({"partly_claimed", "fully_claimed"})
_MOVES: dict[str, _Move] = {
    "approve": _Move(frozenset({"pending_review"}), "open", frozenset({"staff"})),
    "reject": _Move(frozenset({"pending_review"}), "rejected", frozenset({"staff"}), needs_reason=True),
    "claim": _Move(_CLAIMABLE, BY_SHARES, frozenset({"donor"})),
    # A claim given up (withdrawn by the donor, or released when its hold ran out).
    "give_back": _Move(_TAKEN, BY_SHARES, frozenset({"donor", "system"})),
    "confirm": _Move(_TAKEN, BY_SHARES, frozenset({"poster"})),
    "cancel": _Move(frozenset({"pending_review"}) | LIVE, "cancelled", frozenset({"poster"})),
    "expire": _Move(frozenset({"pending_review"}) | LIVE, "expired", frozenset({"system"})),
}
ACTIONS = tuple(_MOVES)
_PHRASE = {"give_back": "give back a claim on", "confirm": "confirm receipt of"}
_LABEL = {"give_back": "withdraw a claim", "confirm": "confirm receipt of a claim"}  # as people say it


def allowed_actions(status: str, *, actor: str | None = None) -> list[str]:
    """Actions possible from a status (optionally only those this actor kind may take)."""
    _check_status(status)
    return [
        name for name, move in _MOVES.items()
        if status in move.sources and (actor is None or actor in move.actors)
    ]


def apply(
    status: str, action: str, *, actor: str, shares: Shares | None = None, reason: str | None = None
) -> Transition:
    """The move `action` makes from `status` (``shares``: as they stand after it), or why not."""
    _check_status(status)
    if actor not in ACTORS:
        raise ValueError(f"unknown actor kind {actor!r}; expected one of {sorted(ACTORS)}")
    move = _MOVES.get(action)
    if move is None:
        raise IllegalTransition(f"unknown action {action!r}; known actions: {', '.join(ACTIONS)}")
    verb = _PHRASE.get(action, action)
    if status not in move.sources:
        allowed = ", ".join(
            _LABEL.get(a, a) for a in allowed_actions(status) if _MOVES[a].actors != {"system"}
        )
        allowed = allowed or f"nothing, {status} is final"
        raise IllegalTransition(f"cannot {verb} a wish that is {status}; possible now: {allowed}")
    if actor not in move.actors:
        who = " or ".join(sorted(move.actors))
        raise IllegalTransition(f"the {actor} cannot {verb} a wish; only the {who}")
    if move.needs_reason and not (reason and reason.strip()):
        raise IllegalTransition(f"{action} needs a reason the worker can read")
    target = move.target
    if target == BY_SHARES:
        if shares is None:
            raise ValueError(f"{action} needs the shares after the move")  # a caller bug
        target = shares.status()
    return Transition(status, target, action)


def _check_status(status: str) -> None:
    """Unknown statuses are stored-data bugs, so they raise ValueError, not IllegalTransition."""
    if status not in STATUSES:
        raise ValueError(f"unknown wish status {status!r}; expected one of {', '.join(STATUSES)}")

"""The claim state machine: a donor's hold on shares of a wish, from claim to confirmed receipt."""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("held", "handed_over", "confirmed", "released", "withdrawn")
OPEN = frozenset({"held", "handed_over"})  # shares still taken but not yet received
TERMINAL = frozenset({"confirmed", "released", "withdrawn"})
RELEASE_REASONS = ("hold_expired", "wish_expired", "wish_cancelled")
THANKS_MAX = 200


class IllegalClaimTransition(Exception):
    """An action that the claim's status or the actor does not allow."""


@dataclass(frozen=True)
class ClaimTransition:
    """One allowed move of a claim."""

    from_status: str
    to_status: str
    action: str


_MOVES: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "hand_over": (frozenset({"held"}), "handed_over", frozenset({"donor"})),
    "withdraw": (frozenset({"held"}), "withdrawn", frozenset({"donor"})),
    "release": (frozenset({"held"}), "released", frozenset({"system"})),
    "confirm": (frozenset({"handed_over"}), "confirmed", frozenset({"poster"})),
}
ACTIONS = (*_MOVES, "thank")
_PHRASE = {"hand_over": "hand over", "confirm": "confirm receipt of"}


def allowed_actions(status: str, *, actor: str | None = None, thanked: bool = False) -> list[str]:
    """Actions possible on a claim (optionally only this actor's); thanks once, after receipt."""
    _check_status(status)
    names = [
        name for name, (sources, _target, actors) in _MOVES.items()
        if status in sources and (actor is None or actor in actors)
    ]
    if status == "confirmed" and not thanked and actor in (None, "poster"):
        names.append("thank")
    return names


def apply(status: str, action: str, *, actor: str) -> ClaimTransition:
    """The move `action` makes from `status`, or IllegalClaimTransition saying what is possible."""
    _check_status(status)
    move = _MOVES.get(action)
    if move is None:
        raise IllegalClaimTransition(f"unknown claim action {action!r}; known: {', '.join(_MOVES)}")
    sources, target, actors = move
    verb = _PHRASE.get(action, action)
    if status not in sources:
        # The system's own moves (release) are not something a person can do, so not listed.
        allowed = ", ".join(a for a in allowed_actions(status) if a != "release")
        allowed = allowed or f"nothing, the claim is {status}"
        raise IllegalClaimTransition(f"cannot {verb} a claim that is {status}; possible now: {allowed}")
    if actor not in actors:
        raise IllegalClaimTransition(f"the {actor} cannot {verb} a claim; only the {' or '.join(actors)}")
    return ClaimTransition(status, target, action)


def check_thanks(status: str, thanked: bool, message: str) -> str:
    """The tidied thank-you message, if this claim may be thanked now."""
    _check_status(status)
    if status != "confirmed":
        raise IllegalClaimTransition(
            f"thanks come after receipt is confirmed; the claim is {status}"
        )
    if thanked:
        raise IllegalClaimTransition("this donor has already been thanked for this claim")
    text = message.strip()
    if not text or len(text) > THANKS_MAX:
        raise ValueError(f"a thank-you message has 1 to {THANKS_MAX} characters")
    return text


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown claim status {status!r}; expected one of {', '.join(STATUSES)}")

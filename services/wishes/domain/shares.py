"""Share arithmetic: a wish is split into equal shares that donors take, give back and fulfil."""

from __future__ import annotations

from dataclasses import dataclass


class NoSharesLeft(Exception):
    """A claim asked for more shares than are left."""


@dataclass(frozen=True)
class Shares:
    """How a wish's shares stand: ``taken`` counts held, handed-over and confirmed claims."""

    total: int
    taken: int = 0
    fulfilled: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.fulfilled <= self.taken <= self.total or self.total < 1:
            raise ValueError(f"inconsistent shares: {self}")

    @property
    def left(self) -> int:
        """Shares no donor has taken yet."""
        return self.total - self.taken

    def take(self, n: int) -> Shares:
        """After a donor claims n shares; NoSharesLeft says how many could be claimed instead."""
        if n < 1:
            raise ValueError("a claim takes at least one share")
        if n > self.left:
            if self.left == 0:
                raise NoSharesLeft("no shares left: every share of this wish is claimed")
            raise NoSharesLeft(
                f"only {self.left} share{'s' if self.left != 1 else ''} left; claim at most {self.left}"
            )
        return Shares(self.total, self.taken + n, self.fulfilled)

    def give_back(self, n: int) -> Shares:
        """After an unfulfilled claim of n shares is released or withdrawn."""
        if n < 1 or n > self.taken - self.fulfilled:
            raise ValueError(f"cannot give back {n} of {self.taken - self.fulfilled} open shares")
        return Shares(self.total, self.taken - n, self.fulfilled)

    def fulfil(self, n: int) -> Shares:
        """After the worker confirmed receipt of a claim of n shares."""
        if n < 1 or n > self.taken - self.fulfilled:
            raise ValueError(f"cannot fulfil {n} of {self.taken - self.fulfilled} open shares")
        return Shares(self.total, self.taken, self.fulfilled + n)

    def status(self) -> str:
        """The status of an approved, live wish with these shares."""
        if self.fulfilled == self.total:
            return "fulfilled"
        if self.taken == self.total:
            return "fully_claimed"
        if self.taken > 0:
            return "partly_claimed"
        return "open"

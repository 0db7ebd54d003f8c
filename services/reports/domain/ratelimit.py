"""How often one worker may submit: a token bucket per worker, kept in this process, clock passed in.

The state lives in memory, so with several intake instances behind a load balancer each
instance enforces the limit on its own: a worker may get up to ``limit`` times the number of
instances. That is acceptable for stopping a runaway phone or script; a shared store (a
Postgres row or Redis) would be needed for an exact global limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


class RateLimited(Exception):
    """A request refused because its worker is over the limit; says how long to wait."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many requests; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Decision:
    """Whether a request may go ahead, and if not, how many whole seconds to wait."""

    allowed: bool
    retry_after_s: int = 0


class RateLimiter:
    """A burst of ``limit`` requests, then one more every ``per / limit``; per worker.

    Implemented as GCRA (the "theoretical arrival time" form of a token bucket): one
    timestamp per worker and exact timedelta arithmetic, so tests can move the clock
    without float rounding.
    """

    def __init__(self, limit: int, per: timedelta) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if per <= timedelta(0):
            raise ValueError("per must be a positive duration")
        self._per = per
        self._interval = per / limit
        self._tat: dict[str, datetime] = {}
        self._last_prune: datetime | None = None

    def check(self, worker_id: str, now: datetime) -> Decision:
        """Count one request by the worker at ``now`` if it is within the limit."""
        self._prune(now)
        tat = max(self._tat.get(worker_id, now), now)
        allowed_from = tat + self._interval - self._per
        if now < allowed_from:
            return Decision(False, max(1, math.ceil((allowed_from - now).total_seconds())))
        self._tat[worker_id] = tat + self._interval
        return Decision(True)

    def tracked(self) -> int:
        """How many workers have state right now (for tests and metrics)."""
        return len(self._tat)

    def _prune(self, now: datetime) -> None:
        # A worker whose bucket has refilled is the same as one never seen; forget them
        # once per window so memory follows active workers, not all workers ever seen.
        if self._last_prune is not None and now - self._last_prune < self._per:
            return
        self._last_prune = now
        self._tat = {w: t for w, t in self._tat.items() if t > now}

"""Which load the sustain check tries next: the highest rate that holds for 30 s, narrowed down.

The 6-s loads say which rates held briefly. The check runs the highest of them again for the
sustain time; when it does not hold, the answer lies between it and the next held 6-s load below,
and trying that lower load next (as the check did up to `6abd1a9`) gave a floor a whole step
below the answer: 1,000/s after 2,000/s failed, where 1,800/s held for 40 s on the same machine.
So the check narrows the range geometrically, as the 6-s refinement does, with the same number of
tries, and never reports a rate that has not held for the whole sustain time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

CLOSE_ENOUGH = 1.15
"""A range this narrow (upper / lower) is not split further: the 6-s refinement's step."""


def next_rate(held_short: Sequence[float], checks: Sequence[tuple[float, bool]]) -> float | None:
    """The next load to run for the sustain time, or None when the answer is known closely enough.

    ``held_short`` are the rates the 6-s loads held; ``checks`` the sustain checks so far, in
    order, as (rate, held for the sustain time). The first try is the highest rate held over 6 s.
    After a failure, with a rate known to hold below it, the geometric middle of the two; with
    none, the middle between the failure and the next 6-s held rate below, unless a middle has
    already failed there, when that 6-s rate itself (the best bet for a rate that holds at all).
    """
    if not checks:
        return max(held_short, default=None)
    held = [rate for rate, ok in checks if ok]
    failed = [rate for rate, ok in checks if not ok]
    if not failed:
        return None  # the highest 6-s rate held for the sustain time too: nothing above to try
    hi = min(failed)
    lo = max((rate for rate in held if rate < hi), default=None)
    if lo is not None:
        return _middle(lo, hi)
    below = max((rate for rate in held_short if rate < hi), default=None)
    if below is None:
        return None
    if any(rate not in held_short for rate in failed):
        return below  # a middle failed with nothing held yet: try the held 6-s rate below it
    return _middle(below, hi) or below


def _middle(lo: float, hi: float) -> float | None:
    """The geometric middle of lo and hi, to 10/s; None when they are close enough already."""
    if hi / lo < CLOSE_ENOUGH:
        return None
    return float(round(math.sqrt(lo * hi), -1))

"""The garbage collector tuned for a server process, once start-up has built what it keeps."""

from __future__ import annotations

import gc

# Young-generation threshold: collections after this many net allocations (CPython's is 700).
YOUNG_THRESHOLD = 100_000


def quiet_gc() -> None:
    """Keep the collector off what start-up built, and collect the young generation less often.

    A request allocates hundreds of short-lived container objects. With CPython's threshold the
    collector ran hundreds of times a second, traversing the objects of every request still in
    flight and promoting them, and the older-generation passes walked the whole start-up heap
    (FastAPI, the pydantic schemas, the jurisdiction index): under load that was about half of
    intake's CPU per request (0.45 ms with it, 0.23 ms without; docs/benchmark.md). Frozen
    objects are never scanned again; cycles made later are still collected, at most
    ``YOUNG_THRESHOLD`` allocations late (tens of MB at worst; peak RSS stayed ~140 MB).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 20)

"""Identifiers of rows and events: UUID version 7 (RFC 9562), time-ordered.

A version-7 UUID starts with the Unix time in milliseconds, so ids made one after another sort
one after another. Every table here is keyed or indexed by such ids (reports, cases, deadlines,
the inbox's event ids, the feed, notifications), and a B-tree takes ordered keys at its right
edge, on pages already in memory, where random (version-4) keys land on any page: a page read,
dirtied and, after each checkpoint, written to the WAL in full. The rest is 74 random bits from
the operating system, so ids are not guessable. They tell when they were made, to the
millisecond; every object they name carries that time already (submitted, opened, posted at).
"""

from __future__ import annotations

import os
import time

# Version 7 in bits 76-79, the RFC variant (0b10) in bits 62-63.
_VERSION_VARIANT = (0x7 << 76) | (0b10 << 62)
_RAND_A = 0xFFF << 64  # 12 random bits after the version
_RAND_B = (1 << 62) - 1  # 62 random bits after the variant


def new_id() -> str:
    """A new UUIDv7 in the canonical form ``str(uuid.UUID)`` gives (lower-case, hyphenated)."""
    return format_id(time.time_ns() // 1_000_000, int.from_bytes(os.urandom(10)))


def format_id(unix_ms: int, rand80: int) -> str:
    """The UUIDv7 of a millisecond timestamp and 80 random bits (74 of them are kept)."""
    value = (
        (unix_ms & 0xFFFF_FFFF_FFFF) << 80
        | _VERSION_VARIANT
        | (rand80 >> 4) & _RAND_A
        | rand80 & _RAND_B
    )
    hexa = f"{value:032x}"
    return f"{hexa[:8]}-{hexa[8:12]}-{hexa[12:16]}-{hexa[16:20]}-{hexa[20:]}"

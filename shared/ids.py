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

# The version (7) after the 48 bits of time, the RFC variant (0b10) two digits further on.
_VERSION_VARIANT = 0x7000_8000_0000_0000_0000
_RANDOM_KEPT = 0x0FFF_3FFF_FFFF_FFFF_FFFF  # the 74 random bits that are not version or variant


def new_id() -> str:
    """A new UUIDv7 in the canonical form ``str(uuid.UUID)`` gives (lower-case, hyphenated)."""
    return format_id(time.time_ns() // 1_000_000, int.from_bytes(os.urandom(10)))


def format_id(unix_ms: int, rand80: int) -> str:
    """The UUIDv7 of a millisecond timestamp and 80 random bits (74 of them are kept)."""
    value = (unix_ms & 0xFFFF_FFFF_FFFF) << 80 | rand80 & _RANDOM_KEPT | _VERSION_VARIANT
    hexa = value.to_bytes(16).hex()
    return f"{hexa[:8]}-{hexa[8:12]}-{hexa[12:16]}-{hexa[16:20]}-{hexa[20:]}"

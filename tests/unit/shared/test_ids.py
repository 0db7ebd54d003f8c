"""Row and event ids: UUIDv7, time first, random after."""

from __future__ import annotations

import time
import uuid

import pytest

from shared.ids import format_id, new_id


@pytest.mark.parametrize(
    ("unix_ms", "rand80"),
    [(0, 0), (1_796_083_200_000, (1 << 80) - 1), (1_796_083_200_123, 0x1234_5678_9ABC_DEF0_1357)],
)
def test_the_fields_land_where_rfc_9562_puts_them(unix_ms, rand80):
    parsed = uuid.UUID(format_id(unix_ms, rand80))

    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert parsed.int >> 80 == unix_ms  # unix_ts_ms: the first 48 bits
    assert (parsed.int >> 64) & 0xFFF == (rand80 >> 64) & 0xFFF  # rand_a: 12 bits after the version
    assert parsed.int & ((1 << 62) - 1) == rand80 & ((1 << 62) - 1)  # rand_b: 62 bits after the variant


def test_the_text_is_what_str_of_a_uuid_gives():
    made = format_id(1_796_083_200_123, 0x1234_5678_9ABC_DEF0_1357)
    assert made == str(uuid.UUID(made))
    # rand_a is bits 64-75 (the 1 of 0x1234 is dropped); rand_b the low 62 bits (0x5678… loses
    # its top two) under the variant 0b10.
    assert made == "01a22ee6-b07b-7234-9678-9abcdef01357"


def test_new_ids_carry_the_time_they_were_made():
    before = time.time_ns() // 1_000_000
    made = uuid.UUID(new_id())
    after = time.time_ns() // 1_000_000
    assert before <= made.int >> 80 <= after


def test_ids_made_in_later_milliseconds_sort_after_earlier_ones():
    earlier = [new_id() for _ in range(50)]
    time.sleep(0.003)
    later = [new_id() for _ in range(50)]
    assert max(earlier) < min(later)
    assert max(map(uuid.UUID, earlier)) < min(map(uuid.UUID, later))


def test_ids_are_unique_and_random_after_the_time():
    ids = [new_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    # Every digit after the version digit varies, but the variant's (two of its four bits are fixed).
    varying = {i for i in range(15, 36) if len({made[i] for made in ids}) > 1}
    assert varying == set(range(15, 36)) - {18, 23}
    assert {made[19] for made in ids} == set("89ab")

"""shared.jsontext writes what json.dumps would mean, and reads what json.loads would."""

from __future__ import annotations

import dataclasses
import enum
import json
from datetime import UTC, datetime

import pytest

from shared.jsontext import dumps, dumps_bytes, loads


def test_text_reads_back_as_the_standard_library_reads_it():
    value = {"name": "龙溪街道 · 消防通道", "n": 3, "x": 1.5, "ok": True, "none": None, "list": [1, "a"]}
    text = dumps(value)
    assert json.loads(text) == value
    assert "龙溪街道" in text  # UTF-8 as it is, not \u-escaped
    assert dumps_bytes(value) == text.encode()


def test_keys_that_are_not_strings_become_strings_as_with_json_dumps():
    assert json.loads(dumps({1: "a", 2.5: "b"})) == json.loads(json.dumps({1: "a", 2.5: "b"}))


def test_an_integer_beyond_64_bits_is_written_and_read_exactly():
    big = 2**70 + 1
    assert json.loads(dumps({"n": big})) == {"n": big}
    assert loads(dumps({"n": big})) == {"n": big}
    assert loads(memoryview(b'\x01{"n": %d}' % big)[1:]) == {"n": big}
    assert loads(b"[18446744073709551615]") == [2**64 - 1]  # the largest orjson reads itself
    assert loads(b"[-9223372036854775809]") == [-(2**63) - 1]
    nested = loads(b'{"a": {"b": ["x", 1.5, 36893488147419103232]}}')
    assert nested == {"a": {"b": ["x", 1.5, 2**65]}} and type(nested["a"]["b"][2]) is int
    assert loads(b'{"f": 1e19}') == {"f": 1e19}


def test_what_json_dumps_refuses_is_refused():
    @dataclasses.dataclass
    class Point:
        x: int

    for value in (datetime(2026, 12, 2, 8, 0), {"at": datetime(2026, 12, 2, tzinfo=UTC)}, Point(1)):
        with pytest.raises(TypeError):
            json.dumps(value)
        with pytest.raises(TypeError):
            dumps(value)


def test_str_subclasses_are_written_as_json_dumps_writes_them():
    class Kind(enum.StrEnum):
        HAZARD = "hazard"

    assert dumps({"kind": Kind.HAZARD}) == '{"kind":"hazard"}'


def test_reading_takes_text_bytes_and_a_view_of_bytes():
    data = b'\x01{"a": [1, 2]}'
    assert loads('{"a": [1, 2]}') == loads(data[1:]) == loads(memoryview(data)[1:]) == {"a": [1, 2]}


def test_a_number_beyond_a_double_is_read_as_the_standard_library_reads_it():
    assert loads(b"[1e400]") == json.loads("[1e400]")
    assert loads(memoryview(b"[1e400]")) == [float("inf")]

"""JSON out and in, fast: orjson, with the standard library wherever the two would differ.

The hot paths pass JSON for every event: the outbox rows' headers (written by intake as text,
by the other services through the jsonb codec, and read back by every relay through it), each
span's name and attributes (the span files), each dashboard entry's head. The standard library
took a few microseconds each time, a few per cent of a consuming service's CPU; orjson does the
same in a fraction. Where orjson would give another answer than ``json``, ``json`` gives it:

- writing, what orjson refuses (integers beyond 64 bits) or would write where ``json.dumps``
  refuses (datetimes, dataclasses; ``str`` and ``int`` subclasses such as enums go the standard
  library's way too). Still different: a ``uuid.UUID`` is written as its text, another enum as
  its value, and NaN and the infinities as ``null`` (``json.dumps`` writes ``NaN``, which no JSON
  reader, PostgreSQL's included, takes);
- reading, numbers orjson would round or refuse: an integer beyond 64 bits (orjson reads it as a
  float, so a document with a float that large is read again) or a number beyond a double (which
  PostgreSQL's jsonb keeps).

Text is UTF-8, not escaped (``ensure_ascii=False``), compact, and keys that are not strings are
written as strings, as ``json.dumps`` does.
"""

from __future__ import annotations

import json

import orjson

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
_ROUNDED = float(2**63)  # orjson reads integers as floats from about here on (beyond u64)


def dumps_bytes(value: object) -> bytes:
    """``value`` as UTF-8 JSON; TypeError for what ``json.dumps`` refuses."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def dumps(value: object) -> str:
    """``value`` as JSON text."""
    return dumps_bytes(value).decode()


def loads(data: bytes | bytearray | memoryview | str) -> object:
    """JSON text or UTF-8 bytes as Python objects, numbers as exactly as ``json.loads`` reads them."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        pass  # the standard library reads it, or says what is wrong with it
    else:
        if not _rounded(value):
            return value
    return json.loads(bytes(data) if isinstance(data, memoryview) else data)


def _rounded(value: object) -> bool:
    """Whether a float as large as an integer orjson would have rounded is in ``value``."""
    kind = type(value)
    if kind is float:
        return not -_ROUNDED < value < _ROUNDED  # type: ignore[operator]
    if kind is dict:
        values = value.values()  # type: ignore[union-attr]
    elif kind is list:
        values = value  # type: ignore[assignment]
    else:
        return False
    for item in values:
        if type(item) is not str and _rounded(item):
            return True
    return False

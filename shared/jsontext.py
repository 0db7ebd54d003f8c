"""JSON out and in, fast: orjson, with the standard library for what orjson refuses.

The hot paths encode JSON for every event: each outbox row's headers and each stored payload (the
jsonb codec), each span's name and attributes (the span files), each dashboard entry. The standard
library's encoder was a few per cent of a consuming service's CPU; orjson does the same in a
fraction. It refuses integers beyond 64 bits, which a payload may hold; those take the standard
library's way instead of failing. Reading, numbers beyond a double (which PostgreSQL's jsonb
keeps) are read by the standard library, and integers beyond 64 bits come back as floats. Text is
UTF-8, not escaped (``ensure_ascii=False``), compact, and keys that are not strings are written
as strings, as ``json.dumps`` does.
"""

from __future__ import annotations

import json

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps_bytes(value: object) -> bytes:
    """``value`` as UTF-8 JSON."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def dumps(value: object) -> str:
    """``value`` as JSON text."""
    return dumps_bytes(value).decode()


def loads(data: bytes | bytearray | memoryview | str) -> object:
    """JSON text or UTF-8 bytes as Python objects."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(bytes(data) if isinstance(data, memoryview) else data)

"""Canonical JSON values: equal in JSON Schema's sense means equal here.

JSON Schema compares numbers by value (``1`` equals ``1.0``) and never confuses ``true`` with
``1``, while Python does both the other way round. Every comparison in the review goes through
:func:`canon` and :func:`key`.
"""

from __future__ import annotations

import enum
import json
from typing import Any

_SAFE_INTEGER = 2**53


class Absent(enum.Enum):
    """The marker for "this keyword or key is not there" (distinct from JSON ``null``)."""

    ABSENT = "absent"


ABSENT = Absent.ABSENT


def canon(value: Any) -> Any:
    """The value with integral floats turned into ints, recursively (``0.0`` -> ``0``)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < _SAFE_INTEGER else value
    if isinstance(value, dict):
        return {str(k): canon(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canon(v) for v in value]
    raise TypeError(f"not a JSON value: {value!r}")


def key(value: Any) -> str:
    """A string that two values share exactly when they are equal JSON values."""
    return json.dumps(canon(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def same(left: Any, right: Any) -> bool:
    """JSON equality (``1 == 1.0``, ``true != 1``, key order ignored)."""
    return key(left) == key(right)


def unique_sorted(values: list[Any]) -> list[Any]:
    """Distinct values in canonical order (the order of their :func:`key`)."""
    by_key = {key(v): canon(v) for v in values}
    return [by_key[k] for k in sorted(by_key)]


def json_type(value: Any) -> str:
    """The JSON Schema type name of a JSON value (``number`` for every number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"

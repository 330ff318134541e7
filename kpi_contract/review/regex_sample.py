"""A few strings that match a regular expression, read from its parse tree.

Used to build witness candidates for ``pattern`` changes: strings matching the new pattern are
tried against the old one and the other way round. Python's ``re`` syntax stands in for
ECMA-262 (the two agree on the patterns schemas use); lookarounds and back-references give up.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_CATEGORY = {
    "CATEGORY_DIGIT": "0", "CATEGORY_NOT_DIGIT": "a", "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": " ", "CATEGORY_SPACE": " ", "CATEGORY_NOT_SPACE": "a",
}
_POOL = "a0Z_ -.x:+/T"


class _Unsupported(Exception):
    pass


def samples(pattern: str, limit: int = 6) -> list[str]:
    """Up to ``limit`` distinct strings that ``re.search(pattern, s)`` matches."""
    try:
        tree = _parser.parse(pattern)
        found = _sequence(list(tree), limit)
    except (re.error, _Unsupported, RecursionError, OverflowError):
        return []
    unique = list(dict.fromkeys(found))
    return [s for s in unique if re.search(pattern, s)][:limit]


def _sequence(items: list[tuple[Any, Any]], limit: int) -> list[str]:
    results = [""]
    for op, arg in items:
        options = _atom(str(op), arg, limit)
        results = [left + right for left in results for right in options][:limit]
    return results


def _atom(name: str, arg: Any, limit: int) -> list[str]:
    if name == "LITERAL":
        return [chr(arg)]
    if name == "NOT_LITERAL":
        return [next(c for c in _POOL if ord(c) != arg)]
    if name == "ANY":
        return ["a"]
    if name == "IN":
        return _charset(arg)
    if name == "BRANCH":
        return [s for branch in arg[1] for s in _sequence(list(branch), limit)][:limit]
    if name == "SUBPATTERN":
        return _sequence(list(arg[3]), limit)
    if name == "ATOMIC_GROUP":
        return _sequence(list(arg), limit)
    if name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
        low, high, sub = arg
        inner = _sequence(list(sub), limit)[:2]
        counts = [low] if high == low else [low, low + 1]
        return [s * n for n in counts for s in inner][:limit]
    if name == "AT":
        return [""]
    raise _Unsupported(name)


def _charset(items: list[tuple[Any, Any]]) -> list[str]:
    negate = any(str(op) == "NEGATE" for op, _ in items)
    if negate:
        return [next((c for c in _POOL if not _member(c, items)), "\u00e9")]
    out: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "RANGE":
            out.append(chr(arg[0]))
        elif name == "CATEGORY":
            out.append(_CATEGORY.get(str(arg), "a"))
    return out[:2] or ["a"]


def _member(char: str, items: list[tuple[Any, Any]]) -> bool:
    for op, arg in items:
        name = str(op)
        if (name == "LITERAL" and ord(char) == arg) or (
            name == "RANGE" and arg[0] <= ord(char) <= arg[1]
        ):
            return True
        if name == "CATEGORY" and re.fullmatch(_category_regex(str(arg)), char):
            return True
    return False


def _category_regex(category: str) -> str:
    return {
        "CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_WORD": r"\w",
        "CATEGORY_NOT_WORD": r"\W", "CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S",
    }.get(category, r"[^\s\S]")


def matches_everything(pattern: str) -> bool:
    """Whether ``re.search(pattern, s)`` matches every string ``s``.

    True when the pattern can match the empty string at the start of any string (only ``^``
    anchors on the way) or at its end (only ``$`` anchors): ``a*``, ``^x?``, ``(|b)$``. False
    whenever in doubt (lookarounds, back-references, word boundaries, unreadable patterns).
    """
    try:
        tree = list(_parser.parse(pattern))
    except (re.error, RecursionError, OverflowError):
        return False
    return _nullable(tree, _START) or _nullable(tree, _END)


_START = frozenset({"AT_BEGINNING", "AT_BEGINNING_STRING"})
_END = frozenset({"AT_END", "AT_END_STRING"})


def _nullable(items: list[tuple[Any, Any]], anchors: frozenset[str]) -> bool:
    """The sequence matches the empty string where only ``anchors`` hold."""
    return all(_nullable_atom(str(op), arg, anchors) for op, arg in items)


def _nullable_atom(name: str, arg: Any, anchors: frozenset[str]) -> bool:
    if name == "AT":
        return str(arg) in anchors
    if name == "BRANCH":
        return any(_nullable(list(branch), anchors) for branch in arg[1])
    if name == "SUBPATTERN":
        return _nullable(list(arg[3]), anchors)
    if name == "ATOMIC_GROUP":
        return _nullable(list(arg), anchors)
    if name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
        low, _, sub = arg
        return bool(low == 0 or _nullable(list(sub), anchors))
    return False

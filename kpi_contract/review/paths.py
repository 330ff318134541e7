"""Locations: JSON pointers into a schema and JSONPath-style paths into a payload.

A finding names the schema keyword that changed with a JSON pointer into the *normal form* of the
schema (``$ref`` resolved, so ``/properties/nav/properties/nav_total/type`` whether ``nav`` is
written inline or as ``{"$ref": "#/$defs/Nav"}``), and the payload location it governs with an
instance path. Instance paths may hold three wildcard steps: any additional property of an object,
any item of an array, and the property names of an object.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from kpi_contract.validation import json_path


class Step(enum.Enum):
    """A wildcard step of an instance path."""

    ANY_PROPERTY = "*"
    ANY_ITEM = "[*]"
    PROPERTY_NAMES = "(keys)"


Segment = str | int | Step
InstancePath = tuple[Segment, ...]
ConcretePath = tuple[str | int, ...]


def pointer(tokens: Sequence[str | int]) -> str:
    """RFC 6901 JSON pointer of the tokens (``~`` and ``/`` escaped); ``""`` is the root."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def pointer_tokens(text: str) -> list[str]:
    """Split an RFC 6901 pointer into unescaped tokens; ValueError when it is not a pointer."""
    if text == "":
        return []
    if not text.startswith("/"):
        raise ValueError(f"not a JSON pointer: {text!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in text[1:].split("/")]


def render_path(path: Sequence[Segment | int]) -> str:
    """``$.router.reject_rate``, ``$.nulls.*``, ``$.items[*]``, ``$.nulls(keys)``, ``$['a b']``.

    Concrete keys and indexes are written exactly as validation errors write them.
    """
    out = ["$"]
    for part in path:
        if isinstance(part, Step):
            out.append(part.value if part is not Step.ANY_PROPERTY else ".*")
        else:
            out.append(json_path([part]).removeprefix("$"))
    return "".join(out)


def related(general: InstancePath, concrete: Sequence[str | int]) -> bool:
    """True when one path is a prefix of the other, wildcards matching any key or index."""
    for step, part in zip(general, concrete, strict=False):
        if step is Step.ANY_ITEM:
            if not isinstance(part, int):
                return False
        elif isinstance(step, Step):
            if not isinstance(part, str):
                return False
        elif step != part:
            return False
    return True

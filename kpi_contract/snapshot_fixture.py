"""Snapshot fixture files, as ``kpi-contract build --fixture FILE`` reads them.

The format is ``tests/fixtures/snapshots/README.md``'s: ``now_ts``, the four snapshots
(``nav``, ``risk``, ``router``, ``expectancy``), an optional ``run_mode``, and the two keys that
put back what JSON cannot hold: ``_python_nan_fields`` (a list of dot paths set to NaN) and
``_python_inf_fields`` (an object mapping dot paths to ``"+inf"`` or ``"-inf"``). A dot path
walks objects by key and arrays by index (``router.per_symbol.0.maker_fill_ratio``); every step
but the last must exist, and the last is an existing array item or a key of an object (a new
key is allowed, as the fixtures' own loader allows it).

Whatever is wrong with the file is a :class:`FixtureError` naming the file, the JSON path of the
offending entry and what is wrong: the command line prints it as one line, exit 2 (README's table:
a fixture file problem in ``build``), never a traceback.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kpi_contract import jsonio
from kpi_contract.errors import KpiContractError, clip, one_line
from kpi_contract.validation import json_path

NAN_FIELDS = "_python_nan_fields"
INF_FIELDS = "_python_inf_fields"
_SIGNS = {"+inf": float("inf"), "-inf": float("-inf")}
_INDEX = re.compile(r"[0-9]+")


class FixtureError(KpiContractError):
    """A snapshot fixture ``build --fixture`` cannot use: ``FILE::$.json.path: message``."""

    def __init__(self, filename: str, where: str, message: str) -> None:
        self.filename = filename
        self.json_path = where
        super().__init__(one_line(f"{filename}::{where}: {clip(message)}"))


def load_fixture(filename: str) -> dict[str, Any]:
    """The fixture in ``filename`` with its NaN and infinite fields set.

    ``jsonio.JsonInputError`` when the file cannot be read as strict JSON; :class:`FixtureError`
    when it is not a fixture (not an object, no ``now_ts``) or a NaN / inf entry is malformed.
    """
    fixture = jsonio.load(filename)
    if not isinstance(fixture, dict) or "now_ts" not in fixture:
        raise FixtureError(filename, "$", "not a snapshot fixture (no now_ts)")
    for where, dotted, value in _targets(filename, fixture):
        _set(filename, fixture, where, dotted, value)
    return fixture


def _targets(filename: str, fixture: dict[str, Any]) -> list[tuple[str, str, float]]:
    """``(json path of the entry, dot path, value)`` for every NaN entry, then every inf one."""
    nan_fields = fixture.get(NAN_FIELDS)
    inf_fields = fixture.get(INF_FIELDS)
    if nan_fields is not None and not isinstance(nan_fields, list):
        raise FixtureError(filename, json_path([NAN_FIELDS]),
                           f"must be a list of dot paths, got {_kind(nan_fields)}")
    if inf_fields is not None and not isinstance(inf_fields, dict):
        raise FixtureError(filename, json_path([INF_FIELDS]), "must be an object mapping dot "
                           f'paths to "+inf" or "-inf", got {_kind(inf_fields)}')
    targets: list[tuple[str, str, float]] = []
    for index, dotted in enumerate(nan_fields or []):
        where = json_path([NAN_FIELDS, index])
        if not isinstance(dotted, str) or not dotted:
            raise FixtureError(filename, where, f"must be a dot path, got {_kind(dotted)}")
        targets.append((where, dotted, float("nan")))
    for dotted, sign in (inf_fields or {}).items():
        where = json_path([INF_FIELDS, dotted])
        if not dotted:
            raise FixtureError(filename, where, "the dot path is empty")
        if not isinstance(sign, str) or sign not in _SIGNS:
            raise FixtureError(filename, where, f'must be "+inf" or "-inf", got {_kind(sign)}')
        targets.append((where, dotted, _SIGNS[sign]))
    return targets


def _set(filename: str, fixture: dict[str, Any], where: str, dotted: str, value: float) -> None:
    """Set ``dotted`` in ``fixture`` to ``value``, or say in one line why it leads nowhere."""
    *parents, last = dotted.split(".")
    node: Any = fixture
    walked: list[str | int] = []
    for part in parents:
        node, step = _step(node, part)
        if step is None:
            raise FixtureError(filename, where, f"{jsonio.quote(dotted, 100)} leads nowhere: "
                               f"{_missing(node, part, walked)}")
        walked.append(step)
    if isinstance(node, dict):
        node[last] = value
        return
    _, step = _step(node, last)
    if step is None:
        raise FixtureError(filename, where, f"{jsonio.quote(dotted, 100)} leads nowhere: "
                           f"{_missing(node, last, walked)}")
    node[step] = value


def _step(node: Any, part: str) -> tuple[Any, str | int | None]:
    """The child ``part`` names and the step taken, or ``(node, None)`` when there is none."""
    if isinstance(node, dict):
        return (node[part], part) if part in node else (node, None)
    # The length first: ``int`` refuses a string of more than 4,300 digits (ValueError).
    if isinstance(node, list) and _INDEX.fullmatch(part) and len(part) <= len(str(len(node))) \
            and int(part) < len(node):
        return node[int(part)], int(part)
    return node, None


def _missing(node: Any, part: str, walked: list[str | int]) -> str:
    """Why ``part`` cannot be taken from ``node`` (found at ``walked``)."""
    here = json_path(walked)
    if isinstance(node, dict):
        return f"{here} has no key {jsonio.quote(part)}"
    if isinstance(node, list):
        return f"{here} has no item {jsonio.quote(part)} (it has {len(node)}, from 0)"
    return f"{here} is {_kind(node)}, not an object or an array"


def _kind(value: Any) -> str:
    """A short description of a JSON value for a message: its type, and a short prefix."""
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    kind = kinds.get(type(value), type(value).__name__)
    if isinstance(value, str):
        return f"{kind} {jsonio.quote(value, 40)}"
    if isinstance(value, bool | int | float):
        return f"{kind} ({clip(json.dumps(value), 40)})"
    return kind

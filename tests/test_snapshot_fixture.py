"""``build --fixture``'s reader: whatever a fixture's NaN / inf entries hold, the answer is the
fixture or one FixtureError line, never another exception (the CLI's end-to-end cases are in
tests/test_cli.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kpi_contract.snapshot_fixture import FixtureError, load_fixture
from tests.snapshot_fixtures import FIXTURE_FILES
from tests.snapshot_fixtures import load_fixture as load_reference
from tests.test_jsonio import json_values

FIXTURE: dict[str, Any] = json.loads(FIXTURE_FILES[0].read_text())

# Dot paths made of the fixture's own keys, indexes and junk, so many of them lead somewhere.
segments = st.sampled_from(["nav", "risk", "router", "expectancy", "now_ts", "symbols",
                            "per_symbol", "symbol_stats", "BTCUSDT", "nav_total", "0", "2", "3",
                            "-1", "01", "x", "", "²"])


def real_paths(node: Any, prefix: str = "") -> list[str]:
    """Every dot path into the fixture's snapshots."""
    children = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    found = []
    for key, child in children:
        path = f"{prefix}{key}"
        found += [path, *real_paths(child, path + ".")]
    return found


REAL_PATHS = real_paths({k: FIXTURE[k] for k in ("nav", "risk", "router", "expectancy")})
dot_paths = st.one_of(st.sampled_from(REAL_PATHS),
                      st.lists(segments, min_size=1, max_size=5).map(".".join))
nan_fields = st.one_of(json_values, st.lists(dot_paths, max_size=4),
                       st.lists(st.one_of(dot_paths, json_values), max_size=4))
inf_fields = st.one_of(json_values, st.dictionaries(
    dot_paths, st.one_of(st.sampled_from(["+inf", "-inf", "inf", "+INF"]), json_values),
    max_size=4))


def write(tmp: Path, fixture: dict[str, Any]) -> str:
    path = tmp / "fixture.json"
    path.write_text(json.dumps(fixture), encoding="utf-8")
    return str(path)


@given(nan_fields, inf_fields)
@example([], {"\n": None})  # a dot path holding a newline: still one line
def test_any_nan_or_inf_entries_give_the_fixture_or_one_fixture_error(
        tmp_path_factory: Any, nans: object, infs: object) -> None:
    """Never a KeyError, IndexError, ValueError, AttributeError or TypeError: the fixture with
    every entry applied, or one ``FILE::$._python_...: message`` line naming the entry."""
    name = write(tmp_path_factory.mktemp("f"), {**FIXTURE, "_python_nan_fields": nans,
                                                "_python_inf_fields": infs})
    try:
        fixture = load_fixture(name)
    except FixtureError as exc:
        message = str(exc)
    else:
        expected = load_reference(Path(name))  # the fixtures' own loader, on valid entries
        assert json.dumps(fixture) == json.dumps(expected)  # NaN and Infinity compared as text
        return
    assert message.startswith(f"{name}::$._python_")
    assert "\n" not in message


def test_an_index_of_thousands_of_digits_leads_nowhere(tmp_path: Path) -> None:
    """An index longer than Python converts to an int (4,300 digits) is an index past the end,
    one FixtureError line, not a ValueError (in a NaN entry and as an inf entry's last step)."""
    huge = "9" * 5000
    for key, entries in (("_python_nan_fields", [f"risk.symbols.{huge}.x"]),
                         ("_python_inf_fields", {f"router.per_symbol.{huge}": "+inf"})):
        name = write(tmp_path, {**FIXTURE, key: entries})
        with pytest.raises(FixtureError, match="leads nowhere"):
            load_fixture(name)

"""``publish_kpis`` and the state-file writers never raise on content, paths or OSError.

README: "publish_kpis(...) never raises on bad content or OSError"; the executor must never die of
publishing. The fresh-user attack found three ways it did: a model changed through pydantic's
``model_copy(update=...)`` (which skips validation) holding an int beyond double range raised
OverflowError, a ``bytes`` path TypeError, a path with a NUL byte ValueError. Each is now a failed
``WriteResult`` with one line naming the file and what is wrong, and the last good file stays.
The variants are other values a bypassed model can hold and other paths a caller can pass, the
same for ``write_json`` and ``write_atomic``, which write the other state files.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from kpi_contract import build_kpis_v7, fast_route
from kpi_contract.models import KpisV7
from kpi_contract.publish import publish_kpis
from kpi_contract.serialize import dump_document, model_document
from kpi_contract.validation import validate_bytes
from kpi_contract.writer import WriteResult, write_atomic, write_json
from tests.cli_helpers import ROOT, run_cli

FIXTURE = ROOT / "tests" / "fixtures" / "snapshots" / "01_healthy_full.json"


def builder_model() -> KpisV7:
    """The builder's model for the healthy fixture (what the executor publishes)."""
    fixture = json.loads(FIXTURE.read_text())
    return build_kpis_v7(fixture["now_ts"], fixture["nav"], fixture["risk"], fixture["router"],
                         fixture["expectancy"])


def bypassed(model: KpisV7, group: str, **changes: object) -> KpisV7:
    """``model`` with ``changes`` in ``group`` (a dotted path), made through ``model_copy``:
    pydantic's way of changing a model that skips validation."""
    parts = group.split(".")
    nodes = [model]
    for part in parts:
        nodes.append(getattr(nodes[-1], part))
    new: Any = nodes[-1].model_copy(update=changes)
    for parent, part in zip(reversed(nodes[:-1]), reversed(parts), strict=True):
        new = parent.model_copy(update={part: new})
    return new  # type: ignore[no-any-return]


@pytest.fixture
def last_good(tmp_path: Path) -> Path:
    """A kpis_v7.json holding a good payload, as after the previous loop."""
    path = tmp_path / "kpis_v7.json"
    assert publish_kpis(path, builder_model()).ok
    return path


def assert_refused(result: WriteResult, path: Path, before: bytes | None, where: str) -> None:
    """Not written, one line naming the file and the field, the file as it was, no temp file."""
    assert not result.ok
    line = result.describe()
    assert "\n" not in line
    assert line.startswith(f"{path}::{where}: "), line
    if before is None:
        assert not path.exists()
    else:
        assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ([path.name] if before else [])


# --- the attack's case, as the executor would meet it: its own process -----------------------


def test_the_attack_snippet_returns_a_failed_result_in_a_fresh_process(tmp_path: Path) -> None:
    """The attack's reproduction in its own interpreter, with warnings as errors:
    it used to die of ``OverflowError: int too large to convert to float``; now it prints one
    line naming the file and the field, and exits 0 with the previous file untouched."""
    target = tmp_path / "p2.json"
    target.write_bytes(b"last good\n")
    script = (
        "import json,pathlib;from kpi_contract import build_kpis_v7,publish_kpis;"
        f"F=json.loads(pathlib.Path({str(FIXTURE)!r}).read_text());"
        "m=build_kpis_v7(F['now_ts'],F['nav'],F['risk'],F['router'],F['expectancy']);"
        f"r=publish_kpis({str(target)!r},m.model_copy(update={{'nav':m.nav.model_copy("
        "update={'nav_total':10**400})}));print(r.ok);print(r.describe())"
    )
    result = subprocess.run([sys.executable, "-W", "error", "-c", script], cwd=ROOT,
                            capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "False",
        f"{target}::$.nav.nav_total: an integer of 401 digits is beyond the range of a double "
        "(JSON readers would see Infinity)",
    ]
    assert target.read_bytes() == b"last good\n"


# --- other values a bypassed model can hold ---------------------------------------------------

BYPASSED: dict[str, tuple[str, dict[str, object], str]] = {
    # name: (group, changes, the JSON path the one line names)
    "an int beyond double range in a rate": (
        "router", {"maker_fill_share": 10**400}, "$.router.maker_fill_share"),
    "a negative int beyond double range, nested": (
        "risk.dd_state", {"drawdown_frac": -(10**309)}, "$.risk.dd_state"),
    "an int beyond double range in a count": (
        "performance", {"expectancy_trade_count": 2**1100}, "$.performance.expectancy_trade_count"),
    "True where a number belongs": ("nav", {"nav_total": True}, "$.nav.nav_total"),
    "False where a fraction belongs": (
        "risk.dd_state", {"drawdown_frac": False}, "$.risk.dd_state"),
    "a string where a count belongs": (
        "router", {"reject_rate_order_count": "100"}, "$.router.reject_rate_order_count"),
    "an object pydantic cannot serialise": ("router", {"policy_quality": object()}, "$"),
}


@pytest.mark.parametrize("name", sorted(BYPASSED))
def test_a_bypassed_models_odd_value_is_a_failed_result(last_good: Path, name: str) -> None:
    """Each is refused in one line naming the field (``$`` when pydantic cannot even dump the
    value), never raised (pytest turns warnings into errors: no serialiser warning either), and
    the last good file stays byte-identical."""
    group, changes, where = BYPASSED[name]
    before = last_good.read_bytes()
    result = publish_kpis(last_good, bypassed(builder_model(), group, **changes))
    assert_refused(result, last_good, before, where)


def test_a_circular_value_is_a_failed_result(tmp_path: Path) -> None:
    """A value that contains itself: pydantic refuses to dump it; one line at ``$``."""
    loop: dict[str, object] = {}
    loop["self"] = loop
    result = publish_kpis(tmp_path / "kpis_v7.json",
                          bypassed(builder_model(), "router", policy_quality=loop))
    assert_refused(result, tmp_path / "kpis_v7.json", None, "$")
    assert "Circular reference" in result.describe()


@pytest.mark.parametrize(("ts", "message"), [
    ("2026-06-30T23:59:60Z", "a leap second"),
    (None, "null is not of type"),
    (datetime(2026, 1, 1), "does not match"),  # naive: never guessed to be local time
    (1767225600, "is not of type"),
])
def test_a_bypassed_ts_is_judged_as_held(last_good: Path, ts: object, message: str) -> None:
    """A ``ts`` that is not an aware datetime used to raise AttributeError (a string, None) or be
    read as the host's local time (a naive datetime); now the validator judges what is held."""
    before = last_good.read_bytes()
    result = publish_kpis(last_good, builder_model().model_copy(update={"ts": ts}))
    assert_refused(result, last_good, before, "$.ts")
    assert message in result.describe()


def test_a_valid_ts_string_is_written_as_held(tmp_path: Path) -> None:
    """The general route writes a bypassed model's valid ``ts`` string as it is."""
    model = builder_model().model_copy(update={"ts": "2026-01-01T00:00:00Z"})
    result = publish_kpis(tmp_path / "kpis_v7.json", model)
    assert result.ok, result.error
    data = (tmp_path / "kpis_v7.json").read_bytes()
    assert validate_bytes(data) == []
    assert data == dump_document(model_document(builder_model()))


def test_a_float_count_of_two_is_written_without_a_warning(tmp_path: Path) -> None:
    """``2.0`` in a count (an integer to JSON Schema) used to make pydantic's serialiser warn,
    an exception where warnings are errors (as in this suite); it is written, once, valid."""
    model = bypassed(builder_model(), "router", avg_slippage_bps_fill_count=2.0)
    result = publish_kpis(tmp_path / "kpis_v7.json", model)
    assert result.ok, result.error
    assert json.loads((tmp_path / "kpis_v7.json").read_bytes())["router"][
        "avg_slippage_bps_fill_count"] == 2


def test_a_bool_in_a_count_is_written_as_the_models_validation_stores_it(tmp_path: Path) -> None:
    """The documented decision (README, "Using it"): a count holding ``True`` is written ``1``,
    exactly as ``KpisV7`` itself stores it when validating the same values (the generated count
    fields are lax ``int``); a bool where a number belongs is refused, as ``KpisV7`` refuses it."""
    model = builder_model()
    held = bypassed(model, "router", maker_fill_share_fill_count=True)
    validated = KpisV7.model_validate(
        {**model.model_dump(), "router": {**model.router.model_dump(),
                                          "maker_fill_share_fill_count": True}})
    assert validated.router.maker_fill_share_fill_count == 1
    assert publish_kpis(tmp_path / "a.json", held).ok
    assert publish_kpis(tmp_path / "b.json", validated).ok
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    with pytest.raises(ValueError, match="valid number"):
        KpisV7.model_validate({**model.model_dump(), "nav": {**model.nav.model_dump(),
                                                              "nav_total": True}})
    assert not publish_kpis(tmp_path / "c.json", bypassed(model, "nav", nav_total=True)).ok


@pytest.mark.parametrize("count", [-0.0, 3.0, True])
def test_a_count_that_is_no_int_gets_the_general_routes_bytes(
    tmp_path: Path, count: object
) -> None:
    """The fast route reads the sample counts too: a bypassed model's float or bool count is
    written exactly as the general route writes it (``-0.0`` as ``0.0``, SPEC 5a), never in
    pydantic's own spelling."""
    model = bypassed(builder_model(), "router", avg_slippage_bps_fill_count=count)
    assert publish_kpis(tmp_path / "kpis_v7.json", model).ok
    assert (tmp_path / "kpis_v7.json").read_bytes() == dump_document(model_document(model))
    assert b"-0.0" not in (tmp_path / "kpis_v7.json").read_bytes()


def test_a_constructed_model_without_ts_is_a_failed_result(tmp_path: Path) -> None:
    """``KpisV7.model_construct()`` leaves out ``ts`` (no attribute at all): a failed result
    naming the file, nothing written, never an AttributeError."""
    result = publish_kpis(tmp_path / "kpis_v7.json", KpisV7.model_construct())
    assert not result.ok
    assert result.describe().startswith(str(tmp_path / "kpis_v7.json"))
    assert not (tmp_path / "kpis_v7.json").exists()


def test_the_builders_model_still_takes_the_fast_route() -> None:
    """The fixes sit on the general route and in the fast route's exception handling: the
    executor's model is still answered by the fast route, with the general route's bytes."""
    model = builder_model()
    assert fast_route.model_bytes_if_valid(model) == dump_document(model_document(model))


# --- paths: the same for every writer ---------------------------------------------------------

Writer = Callable[[Any], WriteResult]
WRITERS: dict[str, Writer] = {
    "publish_kpis": lambda path: publish_kpis(path, builder_model()),
    "write_json": lambda path: write_json(path, {"nav_total": 1.5}),
    "write_atomic": lambda path: write_atomic(path, b'{"nav_total":1.5}\n'),
}


class BytesPathLike:
    """An ``os.PathLike`` whose ``__fspath__`` returns bytes."""

    def __init__(self, path: bytes) -> None:
        self.path = path

    def __fspath__(self) -> bytes:
        return self.path


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_bytes_path_is_written_like_its_str(tmp_path: Path, writer: str) -> None:
    """``bytes`` (and an ``os.PathLike`` of bytes) name a file as ``open`` reads them, a name
    that is not UTF-8 included; the bytes written are the str path's (it used to raise
    TypeError)."""
    write = WRITERS[writer]
    assert write(tmp_path / "via-str.json").ok
    expected = (tmp_path / "via-str.json").read_bytes()
    raw_dir = os.fsencode(tmp_path)
    for path in (raw_dir + b"/via-bytes.json", BytesPathLike(raw_dir + b"/via-pathlike.json"),
                 raw_dir + b"/not-utf8-\xff.json"):
        result = write(path)
        assert result.ok, result.error
        name = os.fsdecode(os.fspath(path))
        assert result.path == Path(name)
        assert Path(name).read_bytes() == expected
    assert b"not-utf8-\xff.json" in os.listdir(raw_dir)


NOT_A_FILE: dict[str, tuple[object, str]] = {
    "a NUL byte in a str": ("DIR/kpis\0v7.json", "DIR/kpis\\x00v7.json: not written: the path "
                                                 "holds a NUL byte"),
    "a NUL byte in bytes": (b"DIR/kpis\0v7.json", "DIR/kpis\\x00v7.json: not written: the path "
                                                  "holds a NUL byte"),
    "a lone surrogate": ("DIR/kpis\ud800.json", "the file system cannot take this name"),
    "an empty path": ("", "'': not written: the path is empty"),
    "an int (a file descriptor to open)": (
        1, "1: not written: a path must be str, bytes or os.PathLike, not int"),
    "None": (None, "None: not written: a path must be str, bytes or os.PathLike, not NoneType"),
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("name", sorted(NOT_A_FILE))
def test_a_path_that_names_no_file_is_a_failed_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str, name: str
) -> None:
    """Refused in one line naming it (a NUL shown as ``\\x00``), nothing created in the
    directory or the working directory (a NUL byte used to raise ValueError, an int or None
    TypeError)."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    value, expected = NOT_A_FILE[name]
    if isinstance(value, str):
        value = value.replace("DIR", str(tmp_path))
    elif isinstance(value, bytes):
        value = value.replace(b"DIR", os.fsencode(tmp_path))
    result = WRITERS[writer](value)
    assert not result.ok
    assert result.bytes_written == 0
    line = result.describe()
    assert "\n" not in line
    assert "\0" not in line
    assert expected.replace("DIR", str(tmp_path)) in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd"]
    assert list(work.iterdir()) == []


def test_build_out_with_an_empty_path_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    """``kpi-contract build --out ''`` used to try to replace the working directory (a temp file
    created there, then "Device or resource busy"); it is refused before anything is created."""
    result = run_cli("build", "--fixture", str(FIXTURE), "--out", "", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "'': not written: the path is empty\n"
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_a_path_whose_repr_fails_is_still_a_failed_result(tmp_path: Path) -> None:
    """Not even a broken ``__repr__`` makes the writer raise: the type names it."""

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    result = write_json(Broken(), {"a": 1})
    assert not result.ok
    assert result.describe() == (
        "<Broken>: not written: a path must be str, bytes or os.PathLike, not Broken"
    )


def test_write_json_with_an_unserialisable_value_and_a_bytes_path(tmp_path: Path) -> None:
    """``write_json``'s own refusal (NaN) used to build ``Path(path)`` from the argument and
    raise TypeError for bytes; it names the decoded file now."""
    path = os.fsencode(tmp_path / "nav.json")
    result = write_json(path, {"nav_total": math.nan})
    assert not result.ok
    assert result.describe().startswith(f"{tmp_path / 'nav.json'}: not written, cannot serialise")
    assert not (tmp_path / "nav.json").exists()


# --- the invariant -----------------------------------------------------------------------------

LEAVES = [(group, name) for group in ("nav", "risk", "router", "performance")
          for name in type(getattr(builder_model(), group)).model_fields]
ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**1100), max_value=2**1100), st.floats(),
    st.text(max_size=8), st.binary(max_size=4), st.decimals(allow_nan=True),
    st.fractions(), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.datetimes(), st.sampled_from([object(), math.inf, -0.0, 1e-5, "ok", "normal", b"ok"]),
)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(
    [*LEAVES, ("", "ts"), ("", "run_mode"), ("", "nulls"), ("", "nav")]), ANY_VALUE),
    min_size=1, max_size=3))
def test_publish_never_raises_and_writes_only_valid_bytes(
    changes: list[tuple[tuple[str, str], object]],
) -> None:
    """Whatever a bypassed model holds: no exception (nor warning), and either the bytes on disk
    are valid and are the general route's, or nothing changed on disk."""
    model = builder_model()
    for (group, name), value in changes:
        if not group:
            model = model.model_copy(update={name: value})
        elif isinstance(getattr(model, group), BaseModel):  # not replaced by an earlier change
            model = bypassed(model, group, **{name: value})
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "kpis_v7.json"
        path.write_bytes(b"last good\n")
        result = publish_kpis(path, model)
        line = result.describe()
        assert "\n" not in line
        assert line.startswith(str(path))
        if result.ok:
            data = path.read_bytes()
            assert validate_bytes(data) == []
            assert data == dump_document(model_document(model))
        else:
            assert path.read_bytes() == b"last good\n"
            assert os.listdir(directory) == ["kpis_v7.json"]

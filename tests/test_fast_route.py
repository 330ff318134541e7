"""The writer's fast route (issue 10): the general route's bytes and verdict, or no answer.

``fast_route.model_bytes_if_valid(model)`` may only answer with bytes that are exactly
``dump_document(model_document(model))`` and that ``validate_bytes`` (the one definition of a
valid document) finds valid; otherwise it answers None and ``publish_kpis`` takes the general
route. The properties run on generated models, valid and broken: from the schema-driven payload
generator, damaged the ways a model can be (numbers the two serialisers spell differently, an
integer where the model wants a float, a wrong ``nulls``, labels and bounds the schema refuses,
another UTC offset, NaN) and also built with ``model_construct``, which skips pydantic's checks.
"""

from __future__ import annotations

import contextlib
import copy
import enum
import math
import warnings
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_contract import fast_route
from kpi_contract.build import build_kpis_v7
from kpi_contract.models import DdState, KpisV7, Nav, Performance, Risk, Router
from kpi_contract.publish import publish_kpis
from kpi_contract.schema import load_schema
from kpi_contract.serialize import dump_document, model_document
from kpi_contract.validation import validate_bytes
from tests.schema_payloads import payloads
from tests.test_build_properties import damaged_inputs

NUMBER_LEAVES = (("nav", "nav_total"), ("nav", "nav_age_s"), ("risk", "fee_pnl_ratio"),
                 ("router", "maker_fill_share"), ("router", "avg_slippage_bps"),
                 ("router", "reject_rate"), ("performance", "expectancy"))
COUNT_LEAVES = (("router", "maker_fill_share_fill_count"), ("router", "reject_rate_order_count"),
                ("performance", "expectancy_trade_count"))
LABEL_LEAVES = (("risk", "atr_regime"), ("router", "policy_quality"),
                ("performance", "sharpe_state"), ("run_mode",))


class Level(enum.IntEnum):
    """An int subclass: what a careless caller might put in a model."""

    THREE = 3


def general_route(model: KpisV7) -> tuple[bytes | None, bool]:
    """What publish_kpis did for every model before issue 10: the bytes and whether valid."""
    try:
        data = dump_document(model_document(model))
    except (ValueError, TypeError, AttributeError, OverflowError):
        return None, False
    return data, validate_bytes(data) == []


def fast(model: KpisV7) -> bytes | None:
    return fast_route.model_bytes_if_valid(model)


def quietly(fn: Any, *args: Any) -> Any:
    """Call ``fn`` as production does: pydantic's serialiser warnings (a bypassed model holding
    the wrong types) are printed there, not raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def assert_agrees(model: KpisV7) -> bytes | None:
    """The fast route's answer is None, or the general route's bytes and those are valid."""
    data = quietly(fast, model)
    if data is not None:
        general, valid = quietly(general_route, model)
        assert data == general
        assert valid
        assert validate_bytes(data) == []
    return data


def constructed(doc: dict[str, Any], *, nested: bool, raw_ts: bool = False) -> KpisV7:
    """``doc`` as a model without pydantic's checks; ``nested=False`` leaves the groups as
    plain dicts where the model declares model classes, ``raw_ts`` leaves ``ts`` a string."""
    parts = dict(doc)
    if nested:
        risk = dict(doc["risk"])
        if isinstance(risk.get("dd_state"), dict):
            risk["dd_state"] = DdState.model_construct(**risk["dd_state"])
        parts.update(nav=Nav.model_construct(**doc["nav"]), risk=Risk.model_construct(**risk),
                     router=Router.model_construct(**doc["router"]),
                     performance=Performance.model_construct(**doc["performance"]))
    if isinstance(parts.get("ts"), str) and not raw_ts:
        with contextlib.suppress(ValueError):  # year 0, a leap second: Python has no datetime
            parts["ts"] = datetime.fromisoformat(parts["ts"].replace("Z", "+00:00"))
    return KpisV7.model_construct(**parts)


def at(doc: dict[str, Any], path: tuple[str, ...]) -> tuple[dict[str, Any], str]:
    node = doc
    for part in path[:-1]:
        node = node[part]
    return node, path[-1]


class Label(enum.StrEnum):
    """A str subclass: another careless value."""

    GOOD = "good"


class Ratio(float):
    """A float subclass."""


ODD_NUMBERS = st.sampled_from([
    -0.0, 1e-5, -3.3e-7, 9.99e-5, 1e-4, 1e-300, 5e-324, 1e16, 1.5e300, 3, 0, True, Level.THREE,
    Decimal("0.5"), Fraction(1, 3), Ratio(0.5), math.nan, math.inf, -math.inf, 10**400, "0.5",
    40.0, None, [0.5],
])
ODD_VALUES = st.sampled_from([
    1, 0, 1.0, 40.0, 40.5, True, Level.THREE, Decimal(40), "40", 10**400, -1, 2**53, Label.GOOD,
    "GOOD", b"good", "paper", None, {"a": 1},
])


@st.composite
def damaged_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid 7.1.0 document from the schema, then zero or more damages."""
    doc = copy.deepcopy(draw(payloads(load_schema(), optional="always")))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["number", "number", "number", "count", "label", "odd",
                                     "nulls_drop", "nulls_add", "nulls_child", "bound", "ts"]))
        if kind == "number":
            node, key = at(doc, draw(st.sampled_from(NUMBER_LEAVES)))
            node[key] = draw(ODD_NUMBERS | st.floats(allow_nan=False, allow_infinity=False))
        elif kind == "count":
            node, key = at(doc, draw(st.sampled_from(COUNT_LEAVES)))
            node[key] = draw(st.sampled_from([-1, 2**53, 40.5, 40.0, True, 10**400, 7]))
        elif kind == "label":
            node, key = at(doc, draw(st.sampled_from(LABEL_LEAVES)))
            node[key] = draw(st.sampled_from(["paper", "GOOD", "ok", "", "normal"]))
        elif kind == "odd":  # any leaf, a value of another type
            node, key = at(doc, draw(st.sampled_from(
                NUMBER_LEAVES + COUNT_LEAVES + LABEL_LEAVES + (("nav", "sources_ok"),))))
            node[key] = draw(ODD_VALUES)
        elif kind == "nulls_drop" and doc["nulls"]:
            doc["nulls"].pop(draw(st.sampled_from(sorted(doc["nulls"]))))
        elif kind == "nulls_add":
            doc["nulls"][draw(st.sampled_from(sorted(
                load_schema()["$defs"]["Nulls"]["propertyNames"]["enum"])))] = "missing"
        elif kind == "nulls_child":
            doc["risk"]["dd_state"] = None
            doc["nulls"]["risk.dd_state.state"] = "invalid"
        elif kind == "bound":
            doc["router"]["maker_fill_share"] = draw(st.sampled_from([1.5, -0.5, 1.0000001]))
        else:
            doc["ts"] = draw(st.sampled_from([
                "2026-01-01T00:00:00.000001Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                "2026-06-30T23:59:59.999999Z", "2026-01-01T02:00:00+02:00"]))
    return doc


@given(damaged_documents())
def test_a_constructed_model_gets_the_general_routes_bytes_and_verdict(doc: dict[str, Any]) -> None:
    """Whatever a model holds, an answer from the fast route is the general route's valid bytes."""
    assert_agrees(constructed(doc, nested=True))


@given(damaged_documents())
def test_a_model_holding_plain_dicts_gets_the_general_routes_bytes_and_verdict(
    doc: dict[str, Any]
) -> None:
    """Groups held as dicts (pydantic serialises them by inference) change nothing."""
    assert_agrees(constructed(doc, nested=False))


def trap(path: tuple[str, ...], value: object) -> dict[str, Any]:
    doc = copy.deepcopy(load_schema()["examples"][0])
    node, key = at(doc, path)
    node[key] = value
    return doc


TRAPS = {
    "an integer beyond double range": trap(("nav", "nav_total"), 10**400),
    "an integer NAV": trap(("nav", "nav_total"), 3),
    "-0.0": trap(("risk", "fee_pnl_ratio"), -0.0),
    "a float below 1e-4": trap(("router", "avg_slippage_bps"), -2.5e-05),
    "NaN": trap(("performance", "expectancy"), math.nan),
    "infinity": trap(("router", "reject_rate"), math.inf),
    "a year-0 ts": trap(("ts",), "0000-01-01T00:00:00Z"),
    "a leap second": trap(("ts",), "2026-06-30T23:59:60Z"),
    "a ts with an offset": trap(("ts",), "2026-01-01T02:00:00+02:00"),
    "a label outside the vocabulary": trap(("risk", "atr_regime"), "paper"),
    "a count of 2**53": trap(("router", "reject_rate_order_count"), 2**53),
    "a null nobody listed": trap(("nav", "sources_ok"), None),
    "a Decimal NAV": trap(("nav", "nav_total"), Decimal("0.5")),
    "a Fraction drawdown": trap(("risk", "dd_state", "drawdown_frac"), Fraction(1, 3)),
}


@pytest.mark.parametrize("raw_ts", [False, True])
@pytest.mark.parametrize("nested", [True, False])
@pytest.mark.parametrize("name", sorted(TRAPS))
def test_known_traps_get_the_general_routes_answer(name: str, nested: bool, raw_ts: bool) -> None:
    """Each way the two routes could part is left to the general route, or agrees with it."""
    model = constructed(TRAPS[name], nested=nested, raw_ts=raw_ts)
    data = assert_agrees(model)
    # Only the model's own float serialiser turns the integer NAV into the float 3.0.
    assert data is None or (name == "an integer NAV" and nested)


@given(damaged_documents())
def test_a_validated_model_gets_the_general_routes_bytes_and_verdict(doc: dict[str, Any]) -> None:
    """Models pydantic accepted (the builder's kind) agree too."""
    try:
        model = KpisV7.model_validate(doc)
    except ValueError:
        return
    assert_agrees(model)


def plain(value: float) -> float:
    """``value`` moved out of the range where the two serialisers spell floats differently."""
    return value if value == 0.0 or abs(value) >= 1e-4 else 0.0


@given(payloads(load_schema(), optional="always"))
def test_valid_documents_with_plain_numbers_take_the_fast_route(doc: dict[str, Any]) -> None:
    """The fast route answers for every valid model whose numbers both serialisers spell alike
    and whose run_mode is listed in nulls when null (the builder's output): it is really used."""
    for path in (*NUMBER_LEAVES, ("risk", "dd_state", "drawdown_frac")):
        node, key = at(doc, path) if doc["risk"]["dd_state"] or len(path) < 3 else ({}, "")
        if isinstance(node.get(key), float):
            node[key] = plain(node[key])
    if doc.get("run_mode") is None:
        doc["nulls"]["run_mode"] = "missing"
    model = KpisV7.model_validate(doc)
    assert assert_agrees(model) == dump_document(model_document(model))


@given(damaged_inputs())
def test_builder_payloads_take_the_fast_route_with_the_general_bytes(
    inputs: tuple[Any, ...]
) -> None:
    """Every payload the builder makes from damaged snapshots: the general route's valid bytes,
    by the fast route unless a number is spelled differently by the two serialisers."""
    model = build_kpis_v7(*inputs)
    if assert_agrees(model) is None:
        doc = model.model_dump()
        numbers = [doc[group][key] for group, key in NUMBER_LEAVES]
        if doc["risk"]["dd_state"] is not None:
            numbers.append(doc["risk"]["dd_state"]["drawdown_frac"])
        assert any(isinstance(v, float) and v != 0.0 and abs(v) < 1e-4 for v in numbers)


@pytest.mark.parametrize("ts", [
    datetime(2026, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 1, 1),  # naive
])
def test_another_offset_takes_the_general_route(ts: datetime) -> None:
    """A ts that is not in UTC is converted (or refused) by the general route only."""
    model = KpisV7.model_validate(load_schema()["examples"][0]).model_copy(update={"ts": ts})
    assert fast(model) is None


def test_negative_zero_and_tiny_numbers_take_the_general_route() -> None:
    """-0.0 (written 0.0) and 1.5e-05 (spelled differently) are left to the general route."""
    base = KpisV7.model_validate(load_schema()["examples"][0])
    for value in (-0.0, 1.5e-05, -2e-9):
        model = base.model_copy(update={"nav": base.nav.model_copy(update={"nav_total": value})})
        assert fast(model) is None
        assert general_route(model)[0] is not None


def test_a_nan_in_a_bypassed_model_is_refused_as_before(tmp_path: Path) -> None:
    """A NaN that skipped validation is not written as null: the general route refuses it."""
    base = KpisV7.model_validate(load_schema()["examples"][0])
    nav = Nav.model_construct(nav_total=math.nan, nav_age_s=1.0, sources_ok=True)
    model = base.model_copy(update={"nav": nav})
    assert fast(model) is None
    result = publish_kpis(tmp_path / "kpis_v7.json", model)
    assert not result.ok
    assert result.violations[0].json_path == "$.nav.nav_total"
    assert not (tmp_path / "kpis_v7.json").exists()


def test_publish_writes_the_builders_model_by_the_fast_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """publish_kpis writes a builder payload without running the general validation."""
    model = build_kpis_v7(datetime(2026, 1, 1, tzinfo=UTC).timestamp(), {"nav_total": 10.0},
                          None, None, run_mode="dry_run")

    def general(*_args: Any) -> Any:
        raise AssertionError("the general route ran")

    monkeypatch.setattr("kpi_contract.publish.validate_bytes", general)
    result = publish_kpis(tmp_path / "kpis_v7.json", model)
    assert result.ok, result.error
    assert (tmp_path / "kpis_v7.json").read_bytes() == dump_document(model_document(model))

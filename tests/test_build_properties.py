"""Property tests: the builder degrades to nulls on any damage and never emits an invalid file.

Inputs start from the real snapshot shapes (the fixtures) and are damaged at random: keys dropped,
values replaced by wrong types, NaN/inf, numeric strings, huge ints, nested garbage, and whole
snapshots replaced by None or non-dicts.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import jsonschema
from hypothesis import given
from hypothesis import strategies as st

from kpi_contract._values import EARLIEST_PLAUSIBLE_EPOCH_S
from kpi_contract.build import NULL_PATH_ORDER, SAMPLE_COUNTS, build_kpis_v7
from kpi_contract.models import KpisV7
from kpi_contract.schema import load_schema
from kpi_contract.serialize import dump_document, model_document
from tests.snapshot_fixtures import FIXTURE_FILES, builder_args, load_fixture

REFERENCE = jsonschema.Draft202012Validator(
    load_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
BASES = tuple(builder_args(load_fixture(path)) for path in FIXTURE_FILES)
HEALTHY = builder_args(load_fixture(FIXTURE_FILES[0]))
# The KPIs read from snapshot keys; run_mode (the caller's argument) and the sample counts (each
# tied to its KPI) have properties of their own in tests/test_build_samples.py.
LEAF_PATHS = tuple(
    p for p in NULL_PATH_ORDER
    if not p.startswith("risk.dd_state.") and p != "run_mode" and p not in SAMPLE_COUNTS.values()
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 0, 0.0, -0.0, 1e308, -1e308]),
    st.floats(min_value=-1e6, max_value=1e6).map(lambda x: f" {x!r} "),
    st.sampled_from(["nan", "inf", "-Infinity", "", "NORMAL", " hot ", "good", "1e999", "ok"]),
    # Real-input kinds of issue 7: epoch times in ms/µs/ns and in the future, "never" sentinels,
    # a non-bool usable flag.
    st.sampled_from([1767225000 * 10**3, 1767225000 * 10**6, 1767225000 * 10**9, "1767225000000",
                     1767229200.0, 946684799.0, "1970-01-01T00:00:00Z", "false"]),
    st.text(max_size=6),
)
garbage = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=6), inner, max_size=3),
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key / index path inside a snapshot."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return found
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def _parent(root: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        root = root[key]
    return root


@st.composite
def damaged_inputs(draw: st.DrawFn) -> tuple[Any, ...]:
    """Real-shaped snapshots with random damage; now_ts untouched."""
    now_ts, *snapshots = copy.deepcopy(draw(st.sampled_from(BASES)))
    for index in range(len(snapshots)):
        whole = draw(st.sampled_from(["keep"] * 8 + ["none", "garbage"]))
        if whole == "none":
            snapshots[index] = None
        elif whole == "garbage":
            snapshots[index] = draw(garbage)
    for _ in range(draw(st.integers(0, 12))):
        targets = [(i, p) for i, snap in enumerate(snapshots) for p in _paths(snap)]
        if not targets:
            break
        index, path = draw(st.sampled_from(targets))
        parent = _parent(snapshots[index], path)
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(garbage)
    return (now_ts, *snapshots)


def kpi(doc: dict[str, Any], dotted: str) -> Any:
    """Value at a dotted KPI path (None when a parent is null)."""
    node: Any = doc
    for part in dotted.split("."):
        if node is None:
            return None
        node = node[part]
    return node


def null_leaves(doc: dict[str, Any]) -> set[str]:
    """Dotted paths of the KPI leaves that are null (dd_state children only if it exists)."""
    paths = [p for p in NULL_PATH_ORDER if p != "risk.dd_state"]
    if doc["risk"]["dd_state"] is None:
        paths = [p for p in paths if not p.startswith("risk.dd_state.")] + ["risk.dd_state"]
    return {p for p in paths if kpi(doc, p) is None}


@given(damaged_inputs())
def test_damaged_snapshots_build_a_schema_valid_payload(inputs: tuple[Any, ...]) -> None:
    """Never raises; the JSON validates with python-jsonschema and round-trips through the model."""
    doc = build_kpis_v7(*inputs).model_dump(mode="json")
    text = json.dumps(doc, allow_nan=False)
    REFERENCE.validate(json.loads(text))
    assert KpisV7.model_validate_json(text).model_dump(mode="json") == doc


@given(damaged_inputs())
def test_every_null_kpi_has_a_reason_and_no_value_has_one(inputs: tuple[Any, ...]) -> None:
    """nulls lists exactly the null leaves (dd_state alone when it is null)."""
    doc = build_kpis_v7(*inputs).model_dump(mode="json")
    assert set(doc["nulls"]) == null_leaves(doc)


def _floats(node: Any) -> list[float]:
    if isinstance(node, float):
        return [node]
    if isinstance(node, dict):
        return [f for v in node.values() for f in _floats(v)]
    if isinstance(node, list):
        return [f for v in node for f in _floats(v)]
    return []


@given(damaged_inputs())
def test_published_readings_are_never_sentinels(inputs: tuple[Any, ...]) -> None:
    """No NAV of 0 or below, no age from a timestamp before 2000-01-01, no -0.0 (issue 7)."""
    model = build_kpis_v7(*inputs)
    doc = model.model_dump(mode="json")
    assert doc["nav"]["nav_total"] is None or doc["nav"]["nav_total"] > 0
    # Without explicit ages (taken as given, see docs/builder-decisions.md) the age comes from
    # the time aliases, and must date the NAV to 2000 or later and to no later than now_ts.
    now_ts, nav, *rest = inputs
    if isinstance(nav, dict):
        nav = {k: v for k, v in nav.items() if k not in {"nav_age_s", "age_s", "age"}}
    age = build_kpis_v7(now_ts, nav, *rest).nav.nav_age_s
    assert age is None or 0 <= age <= now_ts - EARLIEST_PLAUSIBLE_EPOCH_S
    written = json.loads(dump_document(model_document(model)))
    for floats in (_floats(doc), _floats(written)):
        assert all(math.copysign(1.0, f) > 0 for f in floats if f == 0.0)


@given(damaged_inputs())
def test_inputs_are_never_mutated(inputs: tuple[Any, ...]) -> None:
    """The builder leaves its arguments exactly as it found them."""
    before = repr(inputs)
    build_kpis_v7(*inputs)
    assert repr(inputs) == before


def _drop_keys(node: Any, names: frozenset[str]) -> Any:
    """A copy of ``node`` without any key in ``names``, at any depth."""
    if isinstance(node, dict):
        return {k: _drop_keys(v, names) for k, v in node.items() if k not in names}
    if isinstance(node, list):
        return [_drop_keys(v, names) for v in node]
    return node


# KPI -> the source keys that feed it, per input (0 nav, 1 risk, 2 router, 3 expectancy).
SOURCES: dict[str, dict[int, frozenset[str]]] = {
    "nav.nav_total": {0: frozenset({"nav_total", "nav", "nav_usd", "total_equity"})},
    "nav.nav_age_s": {0: frozenset({"nav_age_s", "age_s", "age", "updated_at", "ts",
                                    "updated_ts", "cache_ts"})},
    "nav.sources_ok": {0: frozenset({"sources_ok"})},
    "risk.dd_state": {1: frozenset({"dd_state"})},
    "risk.atr_regime": {1: frozenset({"atr_regime"})},
    "risk.fee_pnl_ratio": {1: frozenset({"fee_pnl_ratio"})},
    "router.policy_quality": {1: frozenset({"quality"}),
                              2: frozenset({"quality_counts", "quality", "quality_score"})},
    "router.maker_first": {2: frozenset({"maker_first_enabled", "maker_first"})},
    "router.maker_fill_share": {1: frozenset({"maker_fill_ratio"}),
                                2: frozenset({"maker_fill_rate", "maker_fill_ratio",
                                              "maker_ratio"})},
    "router.avg_slippage_bps": {1: frozenset({"slip_q50"}),
                                2: frozenset({"slippage_p50", "slip_q50", "avg_slippage_bps"})},
    "router.reject_rate": {2: frozenset({"reject_rate", "reject_ratio", "reject_count",
                                         "order_count"})},
    "performance.expectancy": {3: frozenset({"expectancy", "expectancy_usd", "expected_value"})},
    "performance.sharpe_state": {1: frozenset({"sharpe_state"})},
}


def without_sources(inputs: tuple[Any, ...], path: str) -> tuple[Any, ...]:
    """The inputs with every source key of one KPI removed."""
    now_ts, *snapshots = inputs
    for index, names in SOURCES[path].items():
        snapshots[index] = _drop_keys(snapshots[index], names)
    return (now_ts, *snapshots)


def test_source_map_covers_every_kpi() -> None:
    """The source-removal properties below cover every KPI leaf of the schema."""
    assert set(SOURCES) == set(LEAF_PATHS)


@given(damaged_inputs(), st.sampled_from(LEAF_PATHS))
def test_kpi_without_any_source_key_is_missing(inputs: tuple[Any, ...], path: str) -> None:
    """Remove every source key of a KPI: it is null with reason `missing`."""
    doc = build_kpis_v7(*without_sources(inputs, path)).model_dump(mode="json")
    assert kpi(doc, path) is None
    assert doc["nulls"][path] == "missing"


@given(damaged_inputs(), st.sampled_from(LEAF_PATHS))
def test_removing_one_kpis_sources_never_changes_another(
    inputs: tuple[Any, ...], path: str
) -> None:
    """Every other KPI (value and reason) is unchanged when one KPI's sources are removed."""
    before = build_kpis_v7(*inputs).model_dump(mode="json")
    after = build_kpis_v7(*without_sources(inputs, path)).model_dump(mode="json")
    for other in LEAF_PATHS:
        if other == path:
            continue
        family = [p for p in NULL_PATH_ORDER if p.startswith(other)]
        assert kpi(after, other) == kpi(before, other), other
        assert {p: after["nulls"].get(p) for p in family} == {
            p: before["nulls"].get(p) for p in family
        }, other


zeros = st.sampled_from([0, 0.0, -0.0, "0", " 0.0 "])


def _set_everywhere(node: Any, names: frozenset[str], value: Any) -> Any:
    """A copy of ``node`` with every existing key in ``names`` set to ``value``."""
    if isinstance(node, dict):
        return {k: (value if k in names else _set_everywhere(v, names, value))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_set_everywhere(v, names, value) for v in node]
    return node


# KPI -> (input index, keys to zero, the value the KPI must then have)
# nav.nav_total is not here: a NAV of 0 is the "no NAV" sentinel (issue 7), tested below.
ZEROABLE: dict[str, tuple[int, frozenset[str], Any]] = {
    "nav.nav_age_s": (0, frozenset({"age_s"}), 0.0),
    "risk.fee_pnl_ratio": (1, frozenset({"fee_pnl_ratio"}), 0.0),
    "router.maker_fill_share": (2, frozenset({"maker_fill_rate"}), 0.0),
    "router.avg_slippage_bps": (2, frozenset({"slippage_p50"}), 0.0),
    "router.reject_rate": (2, frozenset({"reject_count"}), 0.0),
    "router.maker_first": (2, frozenset({"maker_first_enabled"}), False),
    "performance.expectancy": (3, frozenset({"expectancy"}), 0.0),
}


@given(st.sampled_from(sorted(ZEROABLE)), zeros)
def test_zeros_survive_as_values(path: str, zero: Any) -> None:
    """A real zero in the source is published as 0.0 (or false), never as null."""
    index, names, expected = ZEROABLE[path]
    inputs = list(copy.deepcopy(HEALTHY))
    inputs[index + 1] = _set_everywhere(inputs[index + 1], names, zero)
    doc = build_kpis_v7(*inputs).model_dump(mode="json")
    assert kpi(doc, path) == expected
    assert type(kpi(doc, path)) is type(expected)
    assert path not in doc["nulls"]


@given(st.booleans())
def test_false_sources_ok_survives(flag: bool) -> None:
    """sources_ok False is published as false, not dropped to null."""
    nav = {**HEALTHY[1], "sources_ok": flag}
    doc = build_kpis_v7(HEALTHY[0], nav, None, None).model_dump(mode="json")
    assert doc["nav"]["sources_ok"] is flag



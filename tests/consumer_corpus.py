"""Documents every consumer's validator must judge alike (issue 14), with the verdict to give.

Four sources: every snapshot fixture's expected payloads (its 7.0.0 ``expected`` and its 7.1.0
``expected_7_1``), the examples of the current schema and of the frozen 7.0.0 release, payloads
published by the dry-run executor (``dry_run_payloads``, 7.1.0 with ``run_mode`` and the sample
counts), and documents generated from those by mutations (``mutated``): one leaf, key or object
changed at a time, then seeded random combinations. Every document is judged by the current
schema, so the 7.0.0 payloads are checked as what they are today: valid 7.x payloads without
the optional fields of 7.1.0. A generated document's expected verdict comes from the mutation (a
table written from SPEC section 3, not read from the schema), so a validator that agrees with the
others but not with the contract is caught too. Valid documents keep the package-level rules of
SPEC section 5a (``nulls`` lists exactly the null leaves, no leap second, no duplicate key, finite
numbers), so they are valid for every reader, not only for a schema validator.
"""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.consumer_validators import RELEASE_7_0_0, ROOT, schema
from tests.snapshot_fixtures import FIXTURE_FILES

Doc = dict[str, Any]
Mutation = Callable[[Doc], None]


@dataclass(frozen=True)
class Case:
    """One document of the corpus: its text and whether it is a valid kpis_v7 document."""

    name: str
    text: str
    valid: bool


@dataclass(frozen=True)
class Leaf:
    """A KPI leaf of SPEC section 3: JSON kind, bounds and vocabulary."""

    path: str
    kind: str  # "number", "count" (an integer), "boolean" or "label"
    minimum: float | None = None
    maximum: float | None = None
    vocabulary: tuple[str, ...] = ()


COUNT_MAX = 2**53 - 1  # the schema's maximum for a sample count (the largest exact double)
LEAVES = (
    Leaf("run_mode", "label", vocabulary=("live", "testnet", "dry_run", "replay")),
    Leaf("nav.nav_total", "number"),
    Leaf("nav.nav_age_s", "number", minimum=0),
    Leaf("nav.sources_ok", "boolean"),
    Leaf("risk.dd_state.state", "label",
         vocabulary=("normal", "cautious", "defensive", "drawdown", "recovery", "unknown")),
    Leaf("risk.dd_state.drawdown_frac", "number", minimum=0, maximum=1),
    Leaf("risk.atr_regime", "label", vocabulary=("quiet", "normal", "hot", "panic", "unknown")),
    Leaf("risk.fee_pnl_ratio", "number", minimum=0),
    Leaf("router.policy_quality", "label", vocabulary=("good", "ok", "degraded", "broken")),
    Leaf("router.maker_first", "boolean"),
    Leaf("router.maker_fill_share", "number", minimum=0, maximum=1),
    Leaf("router.maker_fill_share_fill_count", "count", minimum=0, maximum=COUNT_MAX),
    Leaf("router.avg_slippage_bps", "number"),
    Leaf("router.avg_slippage_bps_fill_count", "count", minimum=0, maximum=COUNT_MAX),
    Leaf("router.reject_rate", "number", minimum=0, maximum=1),
    Leaf("router.reject_rate_order_count", "count", minimum=0, maximum=COUNT_MAX),
    Leaf("performance.expectancy", "number"),
    Leaf("performance.expectancy_trade_count", "count", minimum=0, maximum=COUNT_MAX),
    Leaf("performance.sharpe_state", "label", vocabulary=("strong", "neutral", "poor", "unknown")),
)
NULL_PATHS = ("risk.dd_state", *(leaf.path for leaf in LEAVES))
# The optional leaves (added in 7.1.0): a 7.0.0 payload lacks them, and is still valid.
OPTIONAL = ("run_mode", *(leaf.path for leaf in LEAVES if leaf.kind == "count"))
REASONS = ("missing", "invalid", "out_of_range")
OBJECTS = {  # each object's required keys
    "": ("schema_version", "ts", "nav", "risk", "router", "performance", "nulls"),
    "nav": ("nav_total", "nav_age_s", "sources_ok"),
    "risk": ("dd_state", "atr_regime", "fee_pnl_ratio"),
    "risk.dd_state": ("state", "drawdown_frac"),
    "router": ("policy_quality", "maker_first", "maker_fill_share", "avg_slippage_bps",
               "reject_rate"),
    "performance": ("expectancy", "sharpe_state"),
}


def text_of(doc: object) -> str:
    """Compact JSON text (what the executor writes, minus the key order guarantee)."""
    return json.dumps(doc, separators=(",", ":"), allow_nan=False)


def fixture_payloads() -> list[Case]:
    """Every snapshot fixture's expected payloads: 7.1.0 (``expected_7_1``), then 7.0.0
    (``expected``, the compatibility corpus)."""
    cases = []
    for key, version in (("expected_7_1", "7.1.0"), ("expected", "7.0.0")):
        cases += [Case(f"fixture:{version}:{path.stem}",
                       text_of(json.loads(path.read_text())[key]), True)
                  for path in FIXTURE_FILES]
    return cases


def schema_examples() -> list[Case]:
    """The current schema's own examples, then those of the frozen 7.0.0 release."""
    old = json.loads(RELEASE_7_0_0.read_text(encoding="utf-8"))["examples"]
    return [Case(f"example:{version}:{index}", text_of(doc), True)
            for version, docs in (("current", schema()["examples"]), ("7.0.0", old))
            for index, doc in enumerate(docs)]


def dry_run_payloads(workdir: Path) -> list[Case]:
    """kpis_v7.json as the dry-run executor publishes and mirrors it: the brief's command
    (3 loops) for seed 7, and three one-loop runs that resume seeds 3 and 11 (every payload of
    those runs is collected, state and mirror alike)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BINANCE_TESTNET": "1", "DRY_RUN": "1"}
    runs = [("7", "3", 1), ("3", "1", 3), ("11", "1", 3)]
    cases = []
    for seed, loops, times in runs:
        state, mirror = workdir / f"seed{seed}" / "D", workdir / f"seed{seed}" / "M"
        for run in range(times):
            result = subprocess.run(
                [sys.executable, str(ROOT / "execution" / "executor_live.py"), "--loops", loops,
                 "--interval", "0.1", "--seed", seed, "--state-dir", str(state),
                 "--mirror-dir", str(mirror)],
                cwd=workdir, env=env, capture_output=True, text=True, check=False, timeout=120)
            assert result.returncode == 0, result.stderr
            for where, directory in (("state", state), ("mirror", mirror)):
                text = (directory / "kpis_v7.json").read_text(encoding="utf-8")
                cases.append(Case(f"dry-run:seed{seed}:run{run}:{where}", text, True))
    return cases


# --- mutations ---


def _parent(doc: Doc, path: str) -> tuple[Any, str]:
    *parents, last = path.split(".") if path else [""]
    node: Any = doc
    for part in parents:
        node = node[part]
    return node, last


def sync_nulls(doc: Doc) -> None:
    """Make ``nulls`` list exactly the null KPI leaves (a reason kept where one was given)."""
    nulls = doc["nulls"]
    for path in NULL_PATHS:
        try:
            parent, key = _parent(doc, path)
        except (KeyError, TypeError):
            parent, key = None, ""
        is_null = isinstance(parent, dict) and key in parent and parent[key] is None
        if is_null:
            nulls.setdefault(path, "missing")
        else:
            nulls.pop(path, None)


def set_leaf(path: str, value: Any, reason: str | None = None) -> Mutation:
    """Set a KPI leaf; ``nulls`` follows (``reason`` for a null)."""
    def mutate(doc: Doc) -> None:
        if path.startswith("risk.dd_state.") and doc["risk"]["dd_state"] is None:
            doc["risk"]["dd_state"] = {"state": "unknown", "drawdown_frac": None}
        parent, key = _parent(doc, path)
        parent[key] = value
        if value is None and reason is not None:
            doc["nulls"][path] = reason
        sync_nulls(doc)
    return mutate


def _ensure_dd_state(doc: Doc, path: str) -> None:
    """Give a null ``risk.dd_state`` an object (and ``nulls`` its entries) before ``path`` inside
    it is changed."""
    if path.startswith("risk.dd_state") and path != "risk.dd_state" \
            and doc["risk"]["dd_state"] is None:
        doc["risk"]["dd_state"] = {"state": "unknown", "drawdown_frac": 0.0}
        sync_nulls(doc)


def set_raw(path: str, value: Any) -> Mutation:
    """Set any key to any value, ``nulls`` untouched (for invalid documents)."""
    def mutate(doc: Doc) -> None:
        _ensure_dd_state(doc, path)
        parent, key = _parent(doc, path)
        parent[key] = value
    return mutate


def delete(path: str) -> Mutation:
    def mutate(doc: Doc) -> None:
        _ensure_dd_state(doc, path)
        parent, key = _parent(doc, path)
        del parent[key]
    return mutate


def drop_optional(path: str) -> Mutation:
    """Remove an optional leaf as a 7.0.0 payload lacks it (its ``nulls`` entry too)."""
    def mutate(doc: Doc) -> None:
        parent, key = _parent(doc, path)
        parent.pop(key, None)
        sync_nulls(doc)
    return mutate


def add_key(obj: str, key: str, value: Any) -> Mutation:
    def mutate(doc: Doc) -> None:
        _ensure_dd_state(doc, f"{obj}.{key}")
        target = doc if not obj else _parent(doc, obj)[0][_parent(doc, obj)[1]]
        target[key] = value
    return mutate


def set_null_reason(path: str, reason: Any) -> Mutation:
    def mutate(doc: Doc) -> None:
        doc["nulls"][path] = reason
    return mutate


def replace_root(value: Any) -> Mutation:
    def mutate(doc: Doc) -> None:
        doc.clear()
        doc["__root__"] = value
    return mutate


def valid_mutations() -> Iterator[tuple[str, Mutation]]:
    """Changes that keep a document valid (SPEC section 3 and 5a)."""
    for index, path in enumerate(NULL_PATHS):
        reason = REASONS[index % len(REASONS)]
        yield f"null {path} ({reason})", set_leaf(path, None, reason)
    for path in OPTIONAL:
        yield f"absent {path}", drop_optional(path)
    for leaf in LEAVES:
        for value in _valid_values(leaf):
            yield f"{leaf.path}={value!r}", set_leaf(leaf.path, value)
    yield "dd_state both children null", _chain(
        set_leaf("risk.dd_state.state", None, "invalid"),
        set_leaf("risk.dd_state.drawdown_frac", None, "out_of_range"))
    yield "every KPI null", _chain(*(set_leaf(p, None, "missing") for p in NULL_PATHS[1:]),
                                   set_leaf("risk.dd_state", None, "missing"))
    yield "every optional leaf absent", _chain(*(drop_optional(p) for p in OPTIONAL))
    for version in ("7.0.0", "7.0.1", "7.1.0", "7.10.25", "7.123456789.0"):
        yield f"schema_version={version}", set_raw("schema_version", version)
    for ts in ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z", "2026-11-29T21:18:04.501933Z",
               "2024-02-29T12:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
               "2026-01-01t00:00:00Z", "2026-06-30T23:59:59Z"):
        yield f"ts={ts}", set_raw("ts", ts)


def _valid_values(leaf: Leaf) -> list[Any]:
    """Values of ``leaf``'s kind within its bounds and vocabulary."""
    if leaf.kind == "boolean":
        return [True, False]
    if leaf.kind == "label":
        return list(leaf.vocabulary)
    if leaf.kind == "count":
        # 2.0 and 1e3 are integers to JSON Schema (a number with a zero fraction)
        return [0, 1, 5000, 2.0, 1e3, COUNT_MAX]
    values: list[Any] = [0, 0.0, 1, 5e-324, 0.5]
    if leaf.maximum is not None:
        values += [leaf.maximum, 1.0, 0.9999999999999999]
    else:
        values += [1.7976931348623157e308, 123456789012345678, 1e-300, 42]
    if leaf.minimum is None:
        values += [-1.7976931348623157e308, -0.5, -42]
    return values


def invalid_mutations() -> Iterator[tuple[str, Mutation]]:
    """Changes that make a document invalid against the schema."""
    yield from _wrong_leaves()
    yield from _wrong_objects()
    yield from _wrong_nulls()
    yield from _wrong_versions()
    yield from _wrong_timestamps()


def _wrong_leaves() -> Iterator[tuple[str, Mutation]]:
    for leaf in LEAVES:
        wrong: list[Any]
        if leaf.kind == "number":
            wrong = ["1", "", True, False, {}, [], [1]]
            if leaf.minimum is not None:
                wrong += [leaf.minimum - 1e-9, -1, -5e-324]
            if leaf.maximum is not None:
                wrong += [leaf.maximum + 1e-9, 1.0000000000000002, 2, 100]
        elif leaf.kind == "count":
            wrong = [-1, -0.5, 0.5, 1.5, 1e-300, COUNT_MAX + 1, 2**63, "100", "", True, False,
                     {}, [], [1]]
        elif leaf.kind == "boolean":
            wrong = [0, 1, "true", "false", "", {}, []]
        else:
            first = leaf.vocabulary[0]
            wrong = [first.upper(), f" {first}", f"{first} ", "", "other", 0, True, {}, [],
                     [first]]
        for value in wrong:
            yield f"{leaf.path}={value!r}", set_raw(leaf.path, value)


def _wrong_objects() -> Iterator[tuple[str, Mutation]]:
    for obj, keys in OBJECTS.items():
        for key in keys:
            yield f"missing {obj or '$'}.{key}", delete(f"{obj}.{key}" if obj else key)
        yield f"unknown key in {obj or '$'}", add_key(obj, "unexpected", 1)
        yield f"unknown null key in {obj or '$'}", add_key(obj, "extra_kpi", None)
    for obj in ("nav", "risk", "router", "performance", "nulls"):
        for value in (None, [], "x", 0, True):
            yield f"{obj}={value!r}", set_raw(obj, value)
    for value in ("normal", [], {}, 0, True, "null"):
        yield f"risk.dd_state={value!r}", set_raw("risk.dd_state", value)
    for value in ([], None, "kpis", 7, True):
        yield f"document={value!r}", replace_root(value)


def _wrong_nulls() -> Iterator[tuple[str, Mutation]]:
    for key in ("nav", "nav.unknown", "risk.dd_state.", "NAV.NAV_TOTAL", "nav.nav_total ", "", "$",
                "RUN_MODE", "run_mode.mode", "router.fill_count", "router.reject_rate_count"):
        yield f"nulls key {key!r}", set_null_reason(key, "missing")
    for reason in ("MISSING", "unknown", "", None, 0, True, [], {}, "out-of-range"):
        yield f"nulls reason {reason!r}", set_null_reason("nav.nav_total", reason)


def _wrong_versions() -> Iterator[tuple[str, Mutation]]:
    for version in ("8.0.0", "6.9.9", "7.0", "7", "7.0.0.0", "07.0.0", "7.00.0", "7.0.01",
                    "v7.0.0", " 7.0.0", "7.0.0 ", "7.0.0-rc.1", "7.0.0+build", "\uff17.0.0", "",
                    7, 7.0, None, ["7.0.0"]):
        yield f"schema_version={version!r}", set_raw("schema_version", version)


def _wrong_timestamps() -> Iterator[tuple[str, Mutation]]:
    for ts in ("2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z",
               "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
               "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:61Z",
               "2026-01-01T00:00Z", "2026-01-01", "2026-01-01T00:00:00z", "2026-01-01T00:00:00.Z",
               "2026-1-01T00:00:00Z", "26-01-01T00:00:00Z", "+2026-01-01T00:00:00Z",
               "2026-01-01T00:00:00ZZ", "2026-01-01T00:00:00Z ", "", "now",
               1767225600, 1767225600.0, None, True, {}):
        yield f"ts={ts!r}", set_raw("ts", ts)


def _chain(*mutations: Mutation) -> Mutation:
    def mutate(doc: Doc) -> None:
        for mutation in mutations:
            mutation(doc)
    return mutate


def apply(base: Doc, mutation: Mutation) -> Any:
    """A mutated deep copy of ``base`` (``replace_root`` replaces the whole document)."""
    doc = copy.deepcopy(base)
    mutation(doc)
    return doc.get("__root__", doc)


def mutated(bases: list[Case], *, combinations: int, seed: int) -> list[Case]:
    """Each single mutation applied to one base document (bases taken in turn), then
    ``combinations`` seeded random stacks of 2 to 5 valid mutations, half of them topped by one
    invalid mutation."""
    valid = list(valid_mutations())
    invalid = list(invalid_mutations())
    docs = [json.loads(case.text) for case in bases]
    cases = []
    for index, (name, mutation) in enumerate(valid):
        cases.append(Case(f"valid:{name}", text_of(apply(docs[index % len(docs)], mutation)), True))
    for index, (name, mutation) in enumerate(invalid):
        doc = apply(docs[index % len(docs)], mutation)
        cases.append(Case(f"invalid:{name}", text_of(doc), False))
    rng = random.Random(seed)
    for index in range(combinations):
        picked = rng.sample(valid, rng.randint(2, 5))
        names = [name for name, _ in picked]
        steps = [mutation for _, mutation in picked]
        breaks = index % 2 == 1
        if breaks:
            name, mutation = rng.choice(invalid)
            names.append(name)
            steps.append(mutation)
        doc = apply(rng.choice(docs), _chain(*steps))
        cases.append(Case(f"combo{index}:{' + '.join(names)}", text_of(doc), not breaks))
    return cases

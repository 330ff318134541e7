"""Properties of the review over generated schema pairs (issue 13).

Pairs are a generated schema and a copy with one edit somewhere (a keyword added, removed or
changed, a sub-schema replaced), drawn from the keywords the issue names: interacting groups,
``unevaluatedProperties``, ``patternProperties``, ``prefixItems``/``items``, ``not``,
``dependentSchemas``, ``contains`` counts, combinators; a schema whose interacting keywords are
dealt into ``allOf`` branches or ``$ref`` siblings against the same schema written whole; and
an object with a member added or removed beside patterns and ``unevaluatedProperties``; and
(rule W1) an ``unevaluatedItems``/``unevaluatedProperties`` around in-place applicators
(``allOf``, ``anyOf``, ``oneOf``, ``if``/``then``/``else``, ``dependentSchemas``, ``$ref``, and
``not``, which it must not see through) holding ``prefixItems``, ``items``, ``contains``,
``properties``, ``additionalProperties``, ``patternProperties`` -- often at their defaults, where
they evaluate without rejecting anything -- with one edit inside. For every pair:

- every witness the review reports is valid under one version and rejected by the other
  (python-jsonschema);
- a payload that tells the two versions apart, found by a search independent of the review (a
  fixed pool of values built here) or by the review's own witness search run on the whole
  schema, shows a direction some finding claims: so a "no change" verdict is confirmed by both
  searches finding nothing in either direction, and no break passes in silence.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from kpi_contract.review import Bump, Direction, review_pair, schema_doc
from kpi_contract.review.finding import BOTH, Finding
from kpi_contract.review.reference import Oracle
from kpi_contract.review.sampling import Sampler, Side
from kpi_contract.review.witness import search

Schema = dict[str, Any]
KEYS = ("a", "b", "xa")
PATTERNS = ("^x", "a$", "b*")
NUMBERS = (-1, 0, 1, 2, 0.5, 10)
STRINGS = ("", "a", "b", "xa", "ab", "aaa")
SCALARS: tuple[Any, ...] = (None, True, False, *NUMBERS, *STRINGS)

scalars = st.sampled_from(SCALARS)
small = st.integers(min_value=0, max_value=3)


def leaves() -> st.SearchStrategy[Any]:
    """Schemas without sub-schemas."""
    types = st.sampled_from(["null", "boolean", "integer", "number", "string", "array", "object"])
    return st.one_of(
        st.just({}), st.just(True), st.just(False),
        st.builds(lambda t: {"type": t}, types),
        st.builds(lambda t: {"type": t}, st.lists(types, min_size=1, max_size=6, unique=True)),
        st.just({"type": ["array", "boolean", "integer", "null", "object", "string"]}),
        st.builds(lambda v: {"const": v}, scalars),
        st.builds(lambda vs: {"enum": vs}, st.lists(scalars, min_size=1, max_size=3, unique=True)),
        st.builds(lambda lo, hi: {"type": "number", "minimum": lo, "maximum": hi},
                  st.sampled_from(NUMBERS), st.sampled_from(NUMBERS)),
        st.builds(lambda lo: {"type": "integer", "exclusiveMinimum": lo},
                  st.sampled_from(NUMBERS)),
        st.builds(lambda lo, hi: {"type": "string", "minLength": lo, "maxLength": hi},
                  small, small),
        st.builds(lambda p: {"type": "string", "pattern": p}, st.sampled_from(PATTERNS)),
    )


def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Schemas built from sub-schemas: objects, arrays, combinators."""
    keys = st.sampled_from(KEYS)
    closing = st.one_of(st.just(False), children)
    objects = st.fixed_dictionaries(
        {"type": st.just("object")},
        optional={
            "properties": st.dictionaries(keys, children, max_size=2),
            "required": st.lists(keys, max_size=2, unique=True),
            "additionalProperties": closing,
            "patternProperties": st.dictionaries(st.sampled_from(PATTERNS), children, max_size=1),
            "unevaluatedProperties": closing,
            "dependentSchemas": st.dictionaries(keys, children, max_size=1),
            "dependentRequired": st.dictionaries(keys, st.lists(keys, max_size=1, unique=True),
                                                 max_size=1),
            "maxProperties": small,
        },
    )
    arrays = st.fixed_dictionaries(
        {"type": st.just("array")},
        optional={
            "items": closing,
            "prefixItems": st.lists(children, min_size=1, max_size=2),
            "contains": children,
            "minContains": small,
            "maxContains": small,
            "maxItems": small,
            "unevaluatedItems": closing,
        },
    )
    branches = st.lists(children, min_size=1, max_size=2)
    return st.one_of(
        objects, arrays,
        st.builds(lambda bs: {"allOf": bs}, branches),
        st.builds(lambda bs: {"anyOf": bs}, branches),
        st.builds(lambda bs: {"oneOf": bs}, branches),
        st.builds(lambda s: {"not": s}, children),
        st.fixed_dictionaries({"if": children}, optional={"then": children, "else": children}),
        st.builds(lambda a, b: {**a, "allOf": [b]}, objects, children),
    )


schemas = st.recursive(leaves(), extend, max_leaves=6)


def places(schema: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every sub-schema position in a schema (paths of dict keys and list indexes)."""
    found = [path]
    if isinstance(schema, dict):
        for name, value in schema.items():
            if name in {"properties", "patternProperties", "dependentSchemas", "$defs"}:
                found += [q for k, v in value.items() for q in places(v, (*path, name, k))]
            elif name in {"allOf", "anyOf", "oneOf", "prefixItems"}:
                found += [q for i, v in enumerate(value) for q in places(v, (*path, name, i))]
            elif name in {"items", "contains", "not", "if", "then", "else",
                          "additionalProperties", "unevaluatedProperties", "unevaluatedItems"}:
                found += places(value, (*path, name))
    return found


def put(schema: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``schema`` with the sub-schema at ``path`` replaced."""
    if not path:
        return value
    out = copy.deepcopy(schema)
    holder = out
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = value
    return out


EDITS = st.sampled_from(["replace", "merge", "drop"])


def edited(draw: st.DrawFn, old: Any, parts: st.SearchStrategy[Any]) -> Any:
    """A copy of ``old`` with one edit at one of its sub-schema positions: replaced by a draw
    from ``parts``, merged with one, or one keyword dropped (never ``$defs``, which a
    ``$ref`` may point into)."""
    where = draw(st.sampled_from(places(old)))
    here: Any = old
    for part in where:
        here = here[part]
    edit = draw(EDITS)
    if edit == "replace" or not isinstance(here, dict) or not here:
        changed = draw(parts)
    elif edit == "merge":
        extra = draw(parts)
        changed = {**here, **extra} if isinstance(extra, dict) else extra
    else:
        name = draw(st.sampled_from(sorted(set(here) - {"$defs"}) or ["$defs"]))
        changed = {k: v for k, v in here.items() if k != name}
    return put(old, where, changed)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Any, Any]:
    """A schema and a copy with one edit at one of its sub-schema positions."""
    old = draw(schemas)
    return old, edited(draw, old, schemas)


PLAIN = st.one_of(st.just({}), st.just(True))
"""Sub-schemas that reject nothing: what an evaluating keyword holds at its default."""
quiet = st.one_of(PLAIN, PLAIN, leaves())
KEYWORDS_THAT_EVALUATE = st.one_of(
    st.builds(lambda n: {"prefixItems": [{}] * n}, st.integers(min_value=1, max_value=3)),
    st.builds(lambda items: {"prefixItems": items}, st.lists(quiet, min_size=1, max_size=3)),
    st.builds(lambda s: {"items": s}, st.one_of(quiet, st.just(False))),
    st.fixed_dictionaries({"contains": quiet},
                          optional={"minContains": st.sampled_from([0, 0, 1, 2]),
                                    "maxContains": st.sampled_from([1, 2])}),
    st.builds(lambda m: {"properties": m},
              st.dictionaries(st.sampled_from(KEYS), quiet, min_size=1, max_size=2)),
    st.builds(lambda s: {"additionalProperties": s}, st.one_of(quiet, st.just(False))),
    st.builds(lambda p, s: {"patternProperties": {p: s}}, st.sampled_from(PATTERNS), quiet),
    st.builds(lambda s: {"unevaluatedItems": s}, st.one_of(PLAIN, st.just(False), leaves())),
    st.builds(lambda s: {"unevaluatedProperties": s},
              st.one_of(PLAIN, st.just(False), leaves())),
    st.builds(lambda s: {"if": s}, st.one_of(
        st.builds(lambda n: {"prefixItems": [{}] * n}, st.integers(min_value=1, max_value=2)),
        st.builds(lambda k: {"properties": {k: {}}}, st.sampled_from(KEYS)), leaves())),
)
"""One keyword that marks items or properties evaluated, mostly at a default that rejects
nothing (the keywords rules V3, V5, V9 and D1 dropped before W1)."""
FRAGMENTS = st.one_of(
    KEYWORDS_THAT_EVALUATE,
    st.builds(lambda a, b: {**a, **b}, KEYWORDS_THAT_EVALUATE, KEYWORDS_THAT_EVALUATE),
)
CONDITIONS = st.one_of(leaves(), st.just({"minItems": 1}), st.just({"required": ["a"]}),
                       st.just({"maxItems": 1}))


def in_place(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``inner`` reached through one in-place applicator (or through ``not``, which an
    ``unevaluated*`` outside does not see through)."""
    return st.one_of(
        st.builds(lambda bs: {"allOf": bs}, st.lists(inner, min_size=1, max_size=2)),
        st.builds(lambda a, b: {"anyOf": [a, b]}, inner, st.one_of(inner, leaves())),
        st.builds(lambda a, b: {"oneOf": [a, b]}, inner, st.one_of(inner, leaves())),
        st.builds(lambda c, s: {"if": c, "then": s}, CONDITIONS, inner),
        st.builds(lambda c, s: {"if": c, "else": s}, CONDITIONS, inner),
        st.builds(lambda s: {"if": s}, inner),
        st.builds(lambda k, s: {"dependentSchemas": {k: s}}, st.sampled_from(KEYS), inner),
        st.builds(lambda s: {"not": s}, inner),
    )


REACHED = st.one_of(in_place(FRAGMENTS), in_place(in_place(FRAGMENTS)))
UNEVALUATED_AROUND = st.one_of(
    st.fixed_dictionaries({"unevaluatedItems": st.one_of(st.just(False), leaves())}),
    st.fixed_dictionaries({"unevaluatedProperties": st.one_of(st.just(False), leaves())}),
    st.fixed_dictionaries({"unevaluatedItems": st.just(False),
                           "unevaluatedProperties": st.just(False)}),
)


@st.composite
def seen_schemas(draw: st.DrawFn) -> Schema:
    """An ``unevaluated*`` keyword around in-place applicators holding evaluating keywords,
    sometimes beside evaluating keywords of its own, sometimes through a ``$ref``."""
    root: Schema = {**draw(st.sampled_from([{}, {"type": "array"}, {"type": "object"}])),
                    **draw(UNEVALUATED_AROUND)}
    if draw(st.booleans()):
        root.update({k: v for k, v in draw(FRAGMENTS).items() if k not in root})
    reached = draw(REACHED)
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        root.update({"$defs": {"Part": reached}, "$ref": "#/$defs/Part"})
    else:
        root.update(reached)
    return root


@st.composite
def seen_pairs(draw: st.DrawFn) -> tuple[Any, Any]:
    """A :func:`seen_schemas` schema and a copy with one edit somewhere in it (often an
    evaluating keyword added, changed or dropped)."""
    old = draw(seen_schemas())
    return old, edited(draw, old, st.one_of(FRAGMENTS, FRAGMENTS, leaves()))


GROUPED = st.one_of(
    st.fixed_dictionaries({"type": st.just("array"), "contains": leaves()},
                          optional={"minContains": small, "maxContains": small}),
    st.fixed_dictionaries({"if": leaves()}, optional={"then": leaves(), "else": leaves()}),
    st.fixed_dictionaries({"type": st.just("array"), "prefixItems": st.lists(leaves(), min_size=1,
                                                                              max_size=2)},
                          optional={"items": leaves()}),
    st.fixed_dictionaries({"type": st.just("object"),
                           "properties": st.dictionaries(st.sampled_from(KEYS), leaves(),
                                                         min_size=1, max_size=2)},
                          optional={"additionalProperties": st.one_of(st.just(False), leaves()),
                                    "patternProperties": st.dictionaries(
                                        st.sampled_from(PATTERNS), leaves(), max_size=1),
                                    "unevaluatedProperties": st.just(False)}),
    st.fixed_dictionaries({"type": st.just("object"), "unevaluatedProperties": st.just(False),
                           "properties": st.dictionaries(st.sampled_from(KEYS), leaves(),
                                                         min_size=1, max_size=2)},
                          optional={"patternProperties": st.dictionaries(
                              st.sampled_from(PATTERNS), leaves(), max_size=1)}),
)
"""Schemas whose keywords act together (the groups of docs/review-normal-form.md)."""


@st.composite
def split_pairs(draw: st.DrawFn) -> tuple[Any, Any]:
    """A grouped schema with its keywords dealt into ``allOf`` branches (or a ``$ref`` target
    and its siblings), against the schema as written: the silent-pass shapes of issue 13."""
    whole = draw(GROUPED)
    names = sorted(whole)
    dealt = draw(st.lists(st.booleans(), min_size=len(names), max_size=len(names)))
    first = {n: whole[n] for n, left in zip(names, dealt, strict=True) if left}
    second = {n: whole[n] for n, left in zip(names, dealt, strict=True) if not left}
    if draw(st.booleans()):
        split = {"$defs": {"Part": first}, "$ref": "#/$defs/Part", **second}
    else:
        split = {"allOf": [first, second]}
    return (split, whole) if draw(st.booleans()) else (whole, split)


@st.composite
def member_pairs(draw: st.DrawFn) -> tuple[Any, Any]:
    """A grouped object and a copy with a member added or removed (beside patterns,
    ``additionalProperties`` or ``unevaluatedProperties``)."""
    whole = draw(GROUPED.filter(lambda s: "properties" in s))
    name = draw(st.sampled_from(KEYS))
    members = dict(whole["properties"])
    if name in members:
        del members[name]
    else:
        members[name] = draw(leaves())
    return whole, {**whole, "properties": members}


def document(schema: Any, version: str) -> Schema:
    """A reviewable document: the schema under ``allOf`` when it is a boolean."""
    body = schema if isinstance(schema, dict) else {"allOf": [schema]}
    return {"$id": f"urn:kpi-contract:kpis_v7:{version}", **body}


def literals(schema: Any) -> list[Any]:
    """The numbers and strings a schema mentions (bounds, enum values, member names)."""
    found: list[Any] = []
    if isinstance(schema, dict):
        for name, value in schema.items():
            if name in {"properties", "patternProperties", "dependentSchemas"}:
                found += list(value)
            if isinstance(value, int | float | str) and not isinstance(value, bool):
                found += [value, value + 1, value - 1] if not isinstance(value, str) else [value]
            found += literals(value)
    elif isinstance(schema, list):
        for value in schema:
            found += literals(value)
    return found


def pool(old: Any, new: Any) -> list[Any]:
    """Values to tell the versions apart, built independently of the review's candidates: a
    fixed pool, the schemas' own literals, and small arrays and objects of them."""
    mentioned = [v for v in literals(old) + literals(new) if not isinstance(v, dict | list)]
    values: list[Any] = [*SCALARS, 1.5, -0.5, 3, 100, "x", "ba", "0", *mentioned]
    arrays: list[Any] = [[]]
    arrays += [[v] for v in values]
    arrays += [list(p) for p in itertools.product(SCALARS[3:9], repeat=2)]
    arrays += [[v] * 3 for v in ("a", 0, None, 1)]
    arrays += [[v] * 4 for v in ("a", 0)]
    arrays += [["a", 0], [0, "a"], ["a", 0, None], [None, "a", 0], ["a", "a", 0, 0]]
    objects: list[Any] = [{}]
    names = (*KEYS, "other", "xb")
    mixed: tuple[Any, ...] = (None, 0, 1.5, "a", "xa", True, [], {})
    objects += [{k: v} for k in names for v in mixed]
    objects += [{k: v, m: w} for k, m in itertools.combinations(names, 2)
                for v in (0, "a") for w in (0, "a", None)]
    objects += [dict.fromkeys(KEYS, v) for v in (0, "a", "xa")]
    objects += [{k: {m: 0}} for k in KEYS for m in KEYS]
    return values + arrays + objects


def claimed(findings: tuple[Finding, ...]) -> set[Direction]:
    """Every direction some finding presumes (demonstrated or unproven)."""
    return {d for f in findings for d in f.breaks}


def _valid(schema: Schema) -> bool:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return False
    return True


EXAMPLES = max(60, settings().max_examples // 5)


@settings(max_examples=EXAMPLES)
@given(st.one_of(pairs(), split_pairs(), member_pairs()))
def test_no_break_passes_in_silence_and_every_witness_is_real(pair: tuple[Any, Any]) -> None:
    """Each direction a payload can show is claimed by a finding; witnesses re-validate."""
    check_pair(pair)


@settings(max_examples=EXAMPLES)
@given(seen_pairs())
def test_no_break_passes_in_silence_where_unevaluated_sees_in_place_applicators(
        pair: tuple[Any, Any]) -> None:
    """The same for edits under an ``unevaluated*`` that sees through in-place applicators
    (rule W1): each direction a payload can show is claimed; witnesses re-validate."""
    check_pair(pair)


def check_pair(pair: tuple[Any, Any]) -> None:
    """Review the pair; every witness re-validates, and every direction the independent pool or
    the review's own whole-schema search can show is claimed by some finding."""
    old_schema, new_schema = (document(s, v) for s, v in zip(pair, ("7.0.0", "7.0.1"),
                                                             strict=True))
    if not (_valid(old_schema) and _valid(new_schema)):
        return
    old, new = schema_doc(old_schema, "old.json"), schema_doc(new_schema, "new.json")
    result = review_pair(old, new)
    assert result.tool_errors == ()
    checks = {"old": Draft202012Validator(old_schema, format_checker=FormatChecker()),
              "new": Draft202012Validator(new_schema, format_checker=FormatChecker())}
    for finding in result.findings:
        for witness in finding.witnesses:
            accepting, rejecting = ("new", "old") if witness.direction is Direction.READERS \
                else ("old", "new")
            assert checks[accepting].is_valid(witness.payload), witness
            assert not checks[rejecting].is_valid(witness.payload), witness
    presumed = claimed(result.findings)
    shown: dict[Direction, Any] = {}
    for value in pool(*pair):
        verdicts = (checks["old"].is_valid(value), checks["new"].is_valid(value))
        if verdicts[0] != verdicts[1]:
            shown.setdefault(Direction.READERS if verdicts[1] else Direction.WRITERS, value)
    sampler = Sampler(Side(old.document, old.normal, Oracle(old.document, old.version)),
                      Side(new.document, new.normal, Oracle(new.document, new.version)))
    whole = Finding("unclassified.node", "", (), BOTH, Bump.MAJOR, "the whole schema")
    for witness in search(sampler, whole).witnesses:
        shown.setdefault(witness.direction, witness.payload)
    for direction, payload in shown.items():
        assert direction in presumed, (
            f"{direction} break shown by {payload!r} but claimed by no finding: "
            f"{[(f.rule, f.pointer, sorted(f.breaks)) for f in result.findings]}")


@settings(max_examples=EXAMPLES)
@given(st.one_of(schemas, GROUPED, split_pairs().map(lambda pair: pair[0]), seen_schemas()))
def test_the_normal_form_accepts_exactly_what_its_schema_accepts(schema: Any) -> None:
    """Normalising never changes a verdict: the normal form and the schema agree on every value
    of the independent pool (which is what makes a "same normal form" verdict safe)."""
    body = document(schema, "7.0.0")
    if not _valid(body):
        return
    normal = schema_doc(body, "schema.json").normal
    original = Draft202012Validator(body, format_checker=FormatChecker())
    rewritten = Draft202012Validator(normal, format_checker=FormatChecker())
    for value in pool(schema, schema):
        assert original.is_valid(value) == rewritten.is_valid(value), (value, normal)

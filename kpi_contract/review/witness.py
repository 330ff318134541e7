"""Evidence: witnesses for each finding, and the sampling check that keeps the rules honest.

For a finding that claims a break, payloads mutated at its instance path are screened for one
valid under one schema and rejected by the other; the first that the reference validator
confirms, and whose rejection involves the changed keyword at the finding's location, is its
witness. Independently, every instance path of both schemas is sampled the same way: a payload
whose rejection no finding explains (same direction, related location, matching keyword) is a
contradiction between the rules and the validators, reported as a tool error.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kpi_contract.review.canonical import ABSENT
from kpi_contract.review.finding import Direction, Evidence, Finding, Witness
from kpi_contract.review.keywords import GROUPS, UNEVALUATED
from kpi_contract.review.mutate import Mutation, holds
from kpi_contract.review.paths import ConcretePath, Step, related, render_path
from kpi_contract.review.reference import Rejection
from kpi_contract.review.sampling import Base, Sampler, Side

_MEMBER_KEYWORDS = frozenset({
    "required", "additionalProperties", "propertyNames", "unevaluatedProperties",
    "dependentRequired",
})
_OPEN_KEYWORDS = frozenset({"additionalProperties", "unevaluatedProperties"})
_SUMMARY_KEYWORDS = frozenset({"anyOf", "oneOf", "allOf", "not", "if", "then", "else", "$ref"})
_PAIRS = {
    "minimum": "exclusiveMinimum", "exclusiveMinimum": "minimum",
    "maximum": "exclusiveMaximum", "exclusiveMaximum": "maximum",
    "minContains": "contains", "maxContains": "contains",
}
_CONDITIONS = {
    "not": frozenset({"not"}),
    "contains": frozenset({"contains", "minContains", "maxContains"}),
    "dependent_schema": frozenset({"dependentSchemas"}),
    "dependent_required": frozenset({"dependentRequired"}),
}
"""Rule families whose rejection comes from one keyword (or from inside its sub-schema)."""
_TYPE_KEYWORDS = frozenset({"type", "enum", "const", "propertyNames"})
MAX_CONTRADICTIONS = 5


def explains(finding: Finding, error: Rejection) -> bool:
    """Whether a rejection is what ``finding`` is about.

    An error that sums up others (a combinator, ``unevaluated*``, a ``false`` sub-schema whose
    member path the validator drops) is explained by any finding at or below its location, a
    unit finding by any error inside its unit. Otherwise the error must sit at the finding's
    location (or at the object holding it) and come from the keyword the rule is about.
    """
    path, location = finding.path, error.location
    if not related(path, location):
        return False
    if _summary(error, len(path)):
        return True
    keyword = finding.pointer.rsplit("/", 1)[-1]
    if finding.rule == "unclassified.node":
        return len(location) >= len(path)
    if finding.rule == "unclassified":
        unit = next((g for g in GROUPS if keyword in g), {keyword})
        return error.keyword in unit or bool(unit & error.via)
    family = finding.rule.split(".")[0]
    if family in _CONDITIONS:
        condition = _CONDITIONS[family]
        return len(location) >= len(path) and (
            error.keyword in condition or bool(condition & error.via))
    return _by_rule(finding, error, keyword)


def _summary(error: Rejection, depth: int) -> bool:
    """The error sums up errors below its location, at which a finding ``depth`` deep sits."""
    here = len(error.location)
    return (
        (error.keyword in _SUMMARY_KEYWORDS and depth >= here)
        or (error.keyword == "None" and here <= depth)  # python-jsonschema drops the member
        or (error.keyword in UNEVALUATED and here < depth)  # items/members below it
    )


def _by_rule(finding: Finding, error: Rejection, keyword: str) -> bool:
    path, location, rule = finding.path, error.location, finding.rule
    near = len(location) in (len(path) - 1, len(path))
    if rule.startswith(("property.", "pattern_property.")):
        return (near and error.keyword in _MEMBER_KEYWORDS) or len(location) >= len(path)
    if rule.startswith("required."):
        return near and error.keyword == "required"
    if rule.startswith(("additional_properties.", "unevaluated_properties.")):
        return (near and error.keyword in _OPEN_KEYWORDS) or (
            len(location) == len(path) + 1 and bool(_OPEN_KEYWORDS & error.via))
    if [] in (finding.old, finding.new):
        return len(location) >= len(path) - 1  # a schema that rejects everything below it
    if rule.startswith("enum.") or keyword == "enum":
        return near
    wanted = {keyword, _PAIRS.get(keyword, keyword)}
    if rule.startswith(("type.", "nullable.")):
        wanted |= _TYPE_KEYWORDS
    return near and error.keyword in wanted


def search(sampler: Sampler, finding: Finding) -> Finding:
    """The finding with a checked witness for each direction it presumes, where the bounded
    search finds one, and the number of candidates it screened (:attr:`Finding.tried`)."""
    if finding.evidence is not Evidence.VALIDATION or not finding.breaks:
        return finding
    found: dict[Direction, Witness] = {}
    hints = _hints(finding)
    tried = 0
    for base, mutation in sampler.payloads(finding.path, hints):
        tried += 1
        direction = _screen(sampler, mutation)
        if direction is None or direction not in finding.breaks or direction in found:
            continue
        if hints and not holds(mutation.payload, finding.path, hints[0]):
            continue
        if not _confirmed(sampler, mutation, direction):
            continue
        rejecting = _rejecting(sampler, direction)
        relevant = [e for e in rejecting.oracle.rejections(mutation.payload)
                    if explains(finding, e) and _about_hint(finding, hints, e)]
        if relevant:
            best = max(relevant, key=lambda e: (e.keyword not in _SUMMARY_KEYWORDS,
                                                len(e.location)))
            found[direction] = _witness(sampler, base, mutation, direction,
                                        error_path=render_path(best.location),
                                        error_message=best.message)
        if len(found) == len(finding.breaks):
            break
    return replace(finding, witnesses=tuple(found[d] for d in Direction if d in found),
                   tried=tried)


def _about_hint(finding: Finding, hints: tuple[Any, ...], error: Rejection) -> bool:
    """For a key added to (or removed from) a key vocabulary, the rejection names that key.

    A payload may hold several keys the other schema does not know (a release adding five
    ``nulls`` keys, say); its first rejection would otherwise be shown as every key's witness.
    """
    if not hints or not finding.path or finding.path[-1] is not Step.PROPERTY_NAMES:
        return True
    return isinstance(error.instance, str) and error.instance == hints[0]


def _hints(finding: Finding) -> tuple[Any, ...]:
    """The one value an enum-value finding is about, to try before anything else."""
    if not finding.pointer.endswith("/enum"):
        return ()
    value = finding.new if finding.old is ABSENT else finding.old
    return () if value is ABSENT or isinstance(value, list) else (value,)


def contradictions(sampler: Sampler, findings: list[Finding]) -> list[str]:
    """Payloads that tell the schemas apart in a way no finding explains (tool errors)."""
    claims = {
        d: [f for f in findings if f.evidence is Evidence.VALIDATION and d in f.breaks]
        for d in Direction
    }
    problems: list[str] = []
    reported: set[tuple[Direction, ConcretePath, str]] = set()
    for path in sampler.paths():
        for base, mutation in sampler.payloads(path):
            direction = _screen(sampler, mutation)
            if direction is None:
                continue
            rejecting = _rejecting(sampler, direction)
            unexplained = _unexplained(rejecting.oracle.screen_rejections(mutation.payload),
                                       claims[direction])
            if unexplained:  # the screen's paths can differ (an empty key): ask the reference
                unexplained = _unexplained(rejecting.oracle.rejections(mutation.payload),
                                           claims[direction])
            if not unexplained:
                continue
            first = unexplained[0]
            signature = (direction, first.location, first.keyword)
            if signature in reported or not _confirmed(sampler, mutation, direction):
                continue
            reported.add(signature)
            witness = _witness(sampler, base, mutation, direction,
                               error_path=render_path(first.location),
                               error_message=f"{first.keyword}: {first.message}")
            problems.append(
                f"sampling contradicts the rules: {witness.made_from} is valid under "
                f"{witness.valid_under} and rejected by {witness.rejected_by} "
                f"(at {witness.error_path} by {witness.error_message}), a {direction} break "
                "that no finding claims"
            )
            if len(problems) >= MAX_CONTRADICTIONS:
                return problems
    return problems


def _unexplained(errors: list[Rejection], claims: list[Finding]) -> list[Rejection]:
    """The rejections, when no finding claiming their direction explains any of them."""
    if any(explains(f, e) for e in errors for f in claims):
        return []
    return errors


def _screen(sampler: Sampler, mutation: Mutation) -> Direction | None:
    valid_old = sampler.old.oracle.screen(mutation.payload)
    valid_new = sampler.new.oracle.screen(mutation.payload)
    if valid_old == valid_new:
        return None
    return Direction.READERS if valid_new else Direction.WRITERS


def _rejecting(sampler: Sampler, direction: Direction) -> Side:
    return sampler.old if direction is Direction.READERS else sampler.new


def _accepting(sampler: Sampler, direction: Direction) -> Side:
    return sampler.new if direction is Direction.READERS else sampler.old


def _confirmed(sampler: Sampler, mutation: Mutation, direction: Direction) -> bool:
    """The reference validator agrees with the screen."""
    return _accepting(sampler, direction).oracle.valid(mutation.payload) and not _rejecting(
        sampler, direction).oracle.valid(mutation.payload)


def _witness(sampler: Sampler, base: Base, mutation: Mutation, direction: Direction, *,
             error_path: str, error_message: str) -> Witness:
    change = "" if mutation.change == "unchanged" else f", with {mutation.change}"
    return Witness(
        direction=direction, payload=mutation.payload, made_from=f"{base.label}{change}",
        valid_under=_accepting(sampler, direction).version,
        rejected_by=_rejecting(sampler, direction).version,
        error_path=error_path, error_message=error_message,
    )

"""Evidence: generated candidates, witnesses, and sampling that catches a wrong rule verdict."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from kpi_contract.review import Direction, review_pair, schema_doc
from kpi_contract.review.candidates import candidates, instance
from kpi_contract.review.finding import Finding
from kpi_contract.review.keywords import Node
from kpi_contract.review.normalize import normalize
from kpi_contract.review.regex_sample import samples
from kpi_contract.review.render_json import review_document
from kpi_contract.review.render_markdown import render_markdown
from tests.test_review_pairs import prop, released, review_of, with_version


@pytest.mark.parametrize("pattern", [
    r"^7\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$", "Z$", r"^[^a-z]+\d{2,4}$", r"^(ab|cd)?x+$",
    r"^\S+@\S+\.[a-z]{2,}$", r"[A-F0-9]{8}-",
])
def test_regex_samples_match_their_pattern(pattern: str) -> None:
    """Every sample generated from a pattern is matched by it (search semantics)."""
    found = samples(pattern)
    assert found
    assert all(re.search(pattern, s) for s in found)


def test_regex_samples_give_up_on_lookarounds() -> None:
    """Patterns the sampler cannot read give no samples instead of wrong ones."""
    assert samples(r"^(?=x)a") == []


def test_candidates_straddle_numeric_bounds() -> None:
    """Number candidates include each bound and values just inside and outside it."""
    values = candidates({"type": ["null", "number"], "minimum": 0, "maximum": 1})
    for value in (0, 1, -0.001, 1.001, -1, 2, None):
        assert value in values


def test_instance_of_the_release_is_valid() -> None:
    """The generated instance of the 7.0.0 normal form passes the reference validator."""
    schema = released()
    made = instance(normalize(schema))
    assert Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(made)
    assert made["risk"]["dd_state"] is not None


def _tightened() -> tuple[dict[str, Any], dict[str, Any]]:
    new = with_version(released(), "8.0.0")
    new["$id"] = "urn:kpi-contract:kpis_v8:8.0.0"
    prop(new, "Router", "reject_rate")["maximum"] = 0.5
    return released(), new


def test_witness_error_comes_from_the_reference_validator() -> None:
    """A witness names the rejecting version, the payload path and the validator's message."""
    old, new = _tightened()
    (finding,) = review_of(old, new).findings
    (witness,) = finding.witnesses
    assert (witness.direction, witness.valid_under, witness.rejected_by) == (
        Direction.WRITERS, "7.0.0", "8.0.0")
    assert witness.error_path == "$.router.reject_rate"
    assert witness.error_message == "1 is greater than the maximum of 0.5"
    assert witness.payload["router"]["reject_rate"] == 1


def test_a_rule_that_misses_a_break_is_a_visible_tool_error(monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """If the bound rule said nothing, sampling finds the break: status tool-error, exit 1."""
    monkeypatch.setattr("kpi_contract.review.diff.bound_findings", lambda *_: [])
    old, new = _tightened()
    result = review_of(old, new)
    assert result.findings == ()
    assert result.status == "tool-error"
    assert result.exit_code == 1
    assert "writers break that no finding claims" in result.tool_errors[0]
    assert "$.router.reject_rate" in result.tool_errors[0]
    assert "**Verdict: TOOL ERROR**" in render_markdown(result)
    assert review_document(result)["status"] == "tool-error"


def test_a_rule_that_misjudges_the_direction_is_a_tool_error(monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """A finding claiming only readers for a writers break is contradicted by sampling."""
    import kpi_contract.review.diff as diff_module

    original = diff_module.bound_findings

    def wrong(*args: Any) -> list[Finding]:
        found: list[Finding] = original(*args)
        return [dataclasses.replace(f, breaks=frozenset({Direction.READERS})) for f in found]

    monkeypatch.setattr(diff_module, "bound_findings", wrong)
    result = review_of(*_tightened())
    assert result.status == "tool-error"
    assert result.findings[0].unproven == [Direction.READERS]


def test_a_normalisation_that_hides_a_change_is_a_tool_error(monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """If normalising lost an enum value, the review would see nothing: sampling objects."""
    import kpi_contract.review.review as review_module

    def lossy(old: Any, new: Any) -> list[Finding]:
        return []

    monkeypatch.setattr(review_module, "diff", lossy)
    new = released()
    prop(new, "Risk", "atr_regime")["enum"].append("extreme")
    result = review_pair(schema_doc(released(), "old.json"), schema_doc(new, "new.json"))
    assert result.status == "tool-error"
    assert any("readers break" in e for e in result.tool_errors)


def test_missing_witness_is_reported_not_hidden() -> None:
    """A relaxed-only pattern change claims both directions; the missing one is listed."""
    new = with_version(released(), "7.1.0")
    new["properties"]["schema_version"]["pattern"] = r"^7\.[0-9]+\.[0-9]+$"
    result = review_of(released(), new)
    (finding,) = result.findings
    assert [w.direction for w in finding.witnesses] == [Direction.READERS]
    assert "does not match" in finding.witnesses[0].error_message
    (tried,) = [f.tried for f in result.findings]
    assert tried > 0
    assert (f"**#1 writers**: unproven: no witness among {tried} candidates tried; presumed "
            "breaking (SPEC section 8).") in render_markdown(result)
    document = review_document(result)["findings"][0]
    assert document["breaks"] == ["readers"]
    assert document["unproven"] == [{"direction": "writers", "candidates_tried": tried}]


def test_json_document_round_trips_and_lists_every_field() -> None:
    """The JSON report is plain JSON with the documented keys."""
    document = json.loads(json.dumps(review_document(review_of(*_tightened()))))
    assert set(document) == {"status", "old", "new", "declared_bump", "required_bump",
                             "problems", "tool_errors", "findings"}
    finding: Node = document["findings"][0]
    assert set(finding) == {"rule", "pointer", "instance_path", "breaks", "bump", "evidence",
                            "reason", "old", "new", "witnesses", "unproven"}
    assert finding["breaks"] == ["writers"]
    assert set(finding["witnesses"][0]) == {"direction", "valid_under", "rejected_by",
                                            "error_path", "error_message", "made_from",
                                            "payload"}


def test_each_added_key_of_a_key_vocabulary_has_a_witness_naming_that_key() -> None:
    """Two nulls keys added in one release: each finding's witness is rejected for its own key
    (an example holding both keys is rejected for the first one only in a report that shows one
    error per witness, so the witness for the second key must not borrow the first key's)."""
    new = with_version(released(), "7.1.0")
    keys = ["router.fill_count", "router.order_count"]
    new["$defs"]["Nulls"]["propertyNames"]["enum"] += keys
    example = new["examples"][1]
    example["schema_version"] = "7.1.0"
    example["nulls"] = {**example["nulls"], **dict.fromkeys(keys, "missing")}
    result = review_of(released(), new)
    by_key = {f.new: f for f in result.findings if f.rule == "property_name.added"}
    assert set(by_key) == set(keys)
    for name, finding in by_key.items():
        (witness,) = finding.witnesses
        assert witness.error_message.startswith(f"{name!r} is not one of"), witness
        assert name in witness.payload["nulls"]

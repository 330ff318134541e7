"""The 7.1.0 release through the gate: it passes as the minor it is, and the wrong paths fail.

Each wrong path is provoked in a temporary copy of the repository put back to the state in which
7.1.0 was reviewed (7.1.0 not yet frozen): the same change declared as a patch, and variants that
make one of the new fields required, which is breaking and would need kpis_v8 (issue 9).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kpi_contract.review import Bump, Direction, load_schema_file, review_pair, run_gate
from tests.test_gate import ROOT, Schema, edit_current, messages, repo

__all__ = ["repo"]
RELEASE_7_0_0 = "schemas/releases/kpis_v7-7.0.0.schema.json"
RELEASE_7_1_0 = "schemas/releases/kpis_v7-7.1.0.schema.json"
CHECKS = ("releases", "current", "chain", "models", "docs", "changelog")

# The 7.1.0 additions: (owner in $defs or None for the top level, field).
NEW_FIELDS = [
    (None, "run_mode"),
    ("Router", "maker_fill_share_fill_count"),
    ("Router", "avg_slippage_bps_fill_count"),
    ("Router", "reject_rate_order_count"),
    ("Performance", "expectancy_trade_count"),
]
NEW_NULLS_KEYS = ["run_mode", "router.maker_fill_share_fill_count",
                  "router.avg_slippage_bps_fill_count", "router.reject_rate_order_count",
                  "performance.expectancy_trade_count"]


@pytest.fixture
def reviewed(repo: Path) -> Path:
    """The copy as it was when 7.1.0 was reviewed: current schema at 7.1.0, newest release
    7.0.0 (the 7.1.0 release file and its SHA256SUMS line taken out)."""
    (repo / RELEASE_7_1_0).unlink()
    manifest = repo / "schemas" / "releases" / "SHA256SUMS"
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    manifest.write_text("".join(line for line in lines if "7.1.0" not in line),
                        encoding="utf-8")
    return repo


def _pointer(owner: str | None, field: str) -> str:
    return (f"/properties/{field}" if owner is None
            else f"/properties/{owner.lower()}/properties/{field}")


def test_the_reviewed_state_passes_every_check(reviewed: Path) -> None:
    """Before freezing, 7.1.0 over the 7.0.0 release passes the whole gate (the workflow's
    step 2): the review of the current schema, fresh models and docs, the changelog."""
    assert messages(reviewed, *CHECKS) == []


def test_the_release_is_a_minor_with_a_witness_for_each_addition() -> None:
    """7.0.0 -> 7.1.0 as frozen: required bump minor, each new field an optional-field addition
    and each new nulls key a key-vocabulary addition, each breaking only strict old readers and
    shown by a payload valid under 7.1.0 that 7.0.0 rejects for that very field or key."""
    result = review_pair(load_schema_file(ROOT / RELEASE_7_0_0, RELEASE_7_0_0),
                         load_schema_file(ROOT / RELEASE_7_1_0, RELEASE_7_1_0))
    assert (result.status, result.required, result.problems) == ("ok", Bump.MINOR, ())
    added = {f.pointer: f for f in result.findings if f.rule == "property.added.optional"}
    assert set(added) == {_pointer(owner, field) for owner, field in NEW_FIELDS}
    keys = {f.new: f for f in result.findings if f.rule == "property_name.added"}
    assert set(keys) == set(NEW_NULLS_KEYS)
    for name, finding in [*((p.rsplit("/", 1)[1], f) for p, f in added.items()),
                          *keys.items()]:
        assert (finding.bump, finding.directions) == (Bump.MINOR, [Direction.READERS])
        (witness,) = finding.witnesses
        assert (witness.valid_under, witness.rejected_by) == ("7.1.0", "7.0.0")
        assert name in witness.error_message, (name, witness.error_message)
    others = {f.rule for f in result.findings} - {"property.added.optional",
                                                  "property_name.added"}
    assert others == {"annotation.changed"}


def test_the_changelog_carries_the_review_of_each_addition() -> None:
    """CHANGELOG.md's 7.1.0 entry holds the review's table: each addition's rule and pointer,
    the minor verdict, and a witness section."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = re.search(r"^## \[7\.1\.0\][^\n]*\n(.*?)(?=^## \[)", text, re.M | re.S)
    assert entry is not None
    body = entry.group(1)
    assert "**Verdict: pass.** Declared bump: **minor** (7.0.0 -> 7.1.0)." in body
    for owner, field in NEW_FIELDS:
        assert f"| `property.added.optional` | `{_pointer(owner, field)}` |" in body
    for key in NEW_NULLS_KEYS:
        assert "| `property_name.added` | `/properties/nulls/propertyNames/enum` |" in body
        assert f"`\"{key}\"` | minor |" in body
    assert "#### Witnesses" in body


def test_the_same_change_declared_as_a_patch_fails(reviewed: Path) -> None:
    """7.1.0's additions declared as 7.0.1: the gate, the review command and the freeze script
    all refuse (a minor change needs a minor bump)."""
    edit_current(reviewed, lambda schema: None, "7.0.1")
    expected = (f"current: review {RELEASE_7_0_0} -> schemas/kpis_v7.schema.json: the declared "
                "bump patch (7.0.0 -> 7.0.1) is smaller than the required bump minor")
    assert messages(reviewed, "current") == [expected]
    review = subprocess.run([sys.executable, "-m", "kpi_contract", "review", "--root",
                             str(reviewed)], capture_output=True, text=True, check=False)
    assert review.returncode == 1
    assert "**Verdict: FAIL.**" in review.stdout
    freeze = subprocess.run([sys.executable, str(reviewed / "scripts" / "freeze_release.py")],
                            cwd=reviewed, capture_output=True, text=True, check=False)
    assert freeze.returncode == 1
    assert "freeze refused: the declared bump patch" in freeze.stderr
    assert not (reviewed / "schemas" / "releases" / "kpis_v7-7.0.1.schema.json").exists()


def _make_required(owner: str | None, field: str) -> Callable[[Schema], None]:
    def change(schema: Schema) -> None:
        node = schema if owner is None else schema["$defs"][owner]
        node["required"] = [*node["required"], field]
    return change


@pytest.mark.parametrize(("owner", "field"), NEW_FIELDS, ids=[f for _, f in NEW_FIELDS])
def test_a_new_field_made_required_is_breaking(reviewed: Path, owner: str | None, field: str
                                               ) -> None:
    """7.1.0 with one new field required: every 7.0.0 payload lacks it, so the review calls it
    a required-field addition (major) with a 7.0.0 payload as witness, and the gate says it
    cannot ship as kpis_v7."""
    edit_current(reviewed, _make_required(owner, field))
    found = messages(reviewed, "current")
    assert len(found) == 2, found
    assert "the declared bump minor (7.0.0 -> 7.1.0) is smaller than the required bump major" \
        in found[0]
    assert "cannot ship as kpis_v7: it must become kpis_v8" in found[1]
    current = reviewed / "schemas" / "kpis_v7.schema.json"
    result = review_pair(load_schema_file(reviewed / RELEASE_7_0_0, RELEASE_7_0_0),
                         load_schema_file(current, "schemas/kpis_v7.schema.json"))
    (finding,) = [f for f in result.findings if f.rule == "property.added.required"]
    assert finding.pointer == _pointer(owner, field)
    assert Direction.WRITERS in finding.directions
    writers = [w for w in finding.witnesses if w.direction is Direction.WRITERS]
    assert writers
    assert writers[0].valid_under == "7.0.0"
    assert field in writers[0].error_message


def test_after_the_release_making_a_new_field_required_is_breaking(repo: Path) -> None:
    """In the repository as released, 7.2.0 making run_mode required: optional made required
    (major); it would have to be kpis_v8."""
    edit_current(repo, _make_required(None, "run_mode"), "7.2.0")
    found = messages(repo, "current")
    assert any("cannot ship as kpis_v7: it must become kpis_v8" in m for m in found), found
    current = repo / "schemas" / "kpis_v7.schema.json"
    result = review_pair(load_schema_file(repo / RELEASE_7_1_0, RELEASE_7_1_0),
                         load_schema_file(current, "schemas/kpis_v7.schema.json"))
    assert [(f.rule, f.pointer) for f in result.findings if f.bump is Bump.MAJOR] == [
        ("required.added", "/required")]


def test_this_repository_passes_the_gate_with_7_1_0_frozen() -> None:
    """As committed: 7.1.0 frozen, the chain 7.0.0 -> 7.1.0 passes, current equals 7.1.0."""
    assert [str(f) for f in run_gate(ROOT, CHECKS)] == []
    current = ROOT / "schemas" / "kpis_v7.schema.json"
    assert (ROOT / RELEASE_7_1_0).read_bytes() == current.read_bytes()
    assert json.loads((ROOT / RELEASE_7_1_0).read_text())["$id"].endswith(":7.1.0")

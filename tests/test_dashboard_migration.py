"""docs/dashboard-migration.md is checked against the schema: a renamed field breaks the build."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from kpi_contract.dashboard.fields import schema_fields
from kpi_contract.dashboard.status_rules import rules_markdown
from kpi_contract.reader import LEGACY_FLAT_KEYS
from kpi_contract.schema import load_schema
from tests.cli_helpers import ROOT

DOC = ROOT / "docs" / "dashboard-migration.md"
RELEASE_7_0_0 = ROOT / "schemas" / "releases" / "kpis_v7-7.0.0.schema.json"
# Every key ../shared/DASHBOARD.md says the dashboard, its preflight or its alert job reads.
DASHBOARD_KEYS = (
    "updated_at", "updated_ts", "ts", "timestamp", "time", "dd_state", "drawdown",
    "drawdown.dd_pct", "dd_frac", "atr_regime", "atr.atr_regime", "atr", "fee_pnl_ratio",
    "fee_pnl.fee_pnl_ratio", "fees", "pnl", "quality", "policy_quality", "router_quality",
    "router_stats.quality", "maker_fill_rate", "maker_fill_ratio",
    "router_stats.maker_fill_ratio", "slip_q50_bps", "router_stats.slip_q50", "router_stats",
    "sharpe", "symbols", "schema_version", "nulls",
)
_CODE = re.compile(r"`([^`]+)`")


def migration_rows(text: str) -> list[tuple[list[str], list[str], str, str]]:
    """(legacy keys, kpis_v7 paths, unit cell, notes) of each row of the legacy-key table."""
    section = text.split("## Legacy key -> kpis_v7 path", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        assert len(cells) == 4, f"a row needs 4 cells: {line}"
        legacy, paths, unit, notes = cells
        rows.append((_CODE.findall(legacy), _CODE.findall(paths) if paths != "none" else [],
                     unit, notes))
    return rows


def schema_paths(schema: dict[str, Any]) -> set[str]:
    """Every dotted path of the schema: top-level members, leaves and the objects above them."""
    fields = schema_fields(schema)
    leaves = [spec.path for spec in (*fields.kpis, *fields.context)]
    paths = set(schema.get("properties", {}))
    for leaf in leaves:
        parts = leaf.split(".")
        paths.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
    return paths


def unknown_paths(text: str, schema: dict[str, Any]) -> list[str]:
    """kpis_v7 paths the table names that ``schema`` does not have."""
    known = schema_paths(schema)
    return [p for _, paths, _, _ in migration_rows(text) for p in paths if p not in known]


def test_every_kpis_v7_path_in_the_table_exists_in_the_schema() -> None:
    """Each path in the kpis_v7 column is a real path of the current schema."""
    rows = migration_rows(DOC.read_text())
    assert len(rows) >= 15
    assert unknown_paths(DOC.read_text(), load_schema()) == []


def test_a_renamed_field_breaks_the_check() -> None:
    """Renaming router.maker_fill_share in the schema makes the table's path unknown."""
    schema = copy.deepcopy(load_schema())
    router = schema["$defs"]["Router"]["properties"]
    router["maker_share"] = router.pop("maker_fill_share")
    assert unknown_paths(DOC.read_text(), schema) == ["router.maker_fill_share"]


def test_every_legacy_key_of_the_dashboard_has_a_row() -> None:
    """Each key DASHBOARD.md lists, and each the reader treats as legacy, is in the table."""
    listed = {key for legacy, _, _, _ in migration_rows(DOC.read_text()) for key in legacy}
    assert set(DASHBOARD_KEYS) - listed == set()
    assert set(LEGACY_FLAT_KEYS) - listed == set()


def test_no_counterpart_rows_say_why() -> None:
    """A key with no kpis_v7 path has a note explaining why (and where the data lives)."""
    for legacy, paths, _, notes in migration_rows(DOC.read_text()):
        if not paths:
            assert len(notes) > 40, f"{legacy}: no counterpart needs a reason"


def test_units_in_the_table_match_the_schema() -> None:
    """A row mapping to a fraction says 'fraction'; a legacy percent says 'percent -> fraction'."""
    units = {spec.path: spec.unit for spec in schema_fields(load_schema()).kpis}
    for legacy, paths, unit, _ in migration_rows(DOC.read_text()):
        for path in paths:
            if units.get(path) == "fraction":
                assert "fraction" in unit, f"{path}: unit cell {unit!r} does not say fraction"
            if units.get(path) == "bps":
                assert "bps" in unit
        if any(key.endswith("_pct") for key in legacy):
            assert "percent -> fraction" in unit


def test_every_released_kpi_is_mentioned() -> None:
    """Each KPI of release 7.0.0 is mapped or listed as new in the page."""
    text = DOC.read_text()
    released = schema_fields(json.loads(RELEASE_7_0_0.read_text()))
    missing = [spec.path for spec in released.kpis if f"`{spec.path}`" not in text]
    assert missing == []


def test_status_rule_section_is_the_rule_table() -> None:
    """The page's status-rule table is exactly what STATUS_RULES renders (one source)."""
    text = Path(DOC).read_text()
    section = text.split("<!-- status-rules:start -->\n", 1)[1].split(
        "\n<!-- status-rules:end -->", 1)[0]
    assert section == rules_markdown(), "regenerate the section with rules_markdown()"


def added_rows(text: str) -> dict[str, tuple[str, str]]:
    """``{path: (x-unit cell, rest of the row)}`` of every "## New in kpis_v7 X.Y.Z" table."""
    rows: dict[str, tuple[str, str]] = {}
    for section in text.split("\n## New in kpis_v7 ")[1:]:
        for line in section.split("\n## ", 1)[0].splitlines():
            if line.startswith("| `"):
                cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
                assert len(cells) == 4, f"a row needs 4 cells: {line}"
                rows[_CODE.findall(cells[0])[0]] = (cells[1], " | ".join(cells[2:]))
    return rows


def test_every_field_of_the_current_schema_is_on_the_page() -> None:
    """Each KPI, sample count and context field of the current schema is mentioned."""
    fields = schema_fields(load_schema())
    text = DOC.read_text()
    leaves = [*fields.kpis, *fields.samples.values(), *fields.context]
    assert [spec.path for spec in leaves if f"`{spec.path}`" not in text] == []


def added_fields(schema: dict[str, Any]) -> dict[str, Any]:
    """``{path: spec}`` of the leaves a minor added after X.0.0 (optional in ``schema``)."""
    fields = schema_fields(schema)
    return {spec.path: spec for spec in (*fields.kpis, *fields.samples.values(), *fields.context)
            if not spec.required}


def test_the_added_fields_table_is_every_field_a_minor_added_with_its_unit() -> None:
    """The "New in" tables list exactly the fields added after 7.0.0 (optional in the schema),
    each with the schema's x-unit (``none`` without one) and, for a label, every value."""
    added = added_fields(load_schema())
    rows = added_rows(DOC.read_text())
    assert set(rows) == set(added)
    for path, (unit, rest) in rows.items():
        assert unit == (added[path].unit or "none"), path
        for value in added[path].vocabulary:
            assert f"`{value}`" in rest, f"{path}: {value} not described"
    assert set(rows) >= {"run_mode", "router.reject_rate_order_count"}


def test_an_added_field_the_page_does_not_list_breaks_the_check() -> None:
    """A 7.2 count with its nulls key but no row on the page is caught."""
    schema = copy.deepcopy(load_schema())
    schema["$defs"]["Risk"]["properties"]["fee_pnl_ratio_trade_count"] = {
        "type": ["integer", "null"], "minimum": 0, "x-unit": "trades"}
    schema["$defs"]["Nulls"]["propertyNames"]["enum"].append("risk.fee_pnl_ratio_trade_count")
    undocumented = set(added_fields(schema)) - set(added_rows(DOC.read_text()))
    assert undocumented == {"risk.fee_pnl_ratio_trade_count"}

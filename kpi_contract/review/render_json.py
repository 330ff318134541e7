"""The review as JSON for CI: status, bumps, problems, findings with their witnesses.

Per finding, ``breaks`` lists the directions demonstrated by a checked witness (or by meaning,
for a changed unit) and ``unproven`` the presumed directions the bounded witness search could not
show, each with ``candidates_tried``; both count as breaking.
"""

from __future__ import annotations

import json
from typing import Any

from kpi_contract.review.canonical import ABSENT
from kpi_contract.review.finding import Finding
from kpi_contract.review.review import Review


def review_document(review: Review) -> dict[str, Any]:
    """The review as a JSON-ready dict (absent old/new values are left out)."""
    return {
        "status": review.status,
        "old": {"file": review.old.label, "version": review.old.version},
        "new": {"file": review.new.label, "version": review.new.version},
        "declared_bump": review.declared_label,
        "required_bump": review.required.label,
        "problems": list(review.problems),
        "tool_errors": list(review.tool_errors),
        "findings": [_finding(f) for f in review.findings],
    }


def render_json(review: Review) -> str:
    """:func:`review_document` as indented JSON text (ends with a newline)."""
    return json.dumps(review_document(review), indent=2, ensure_ascii=False) + "\n"


def _finding(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": f.rule,
        "pointer": f.pointer,
        "instance_path": f.instance_path,
        "breaks": [d.value for d in f.demonstrated],
        "unproven": [{"direction": d.value, "candidates_tried": f.tried} for d in f.unproven],
        "bump": f.bump.label,
        "evidence": f.evidence.value,
        "reason": f.reason,
    }
    if f.old is not ABSENT:
        out["old"] = f.old
    if f.new is not ABSENT:
        out["new"] = f.new
    out["witnesses"] = [
        {
            "direction": w.direction.value,
            "valid_under": w.valid_under,
            "rejected_by": w.rejected_by,
            "error_path": w.error_path,
            "error_message": w.error_message,
            "made_from": w.made_from,
            "payload": w.payload,
        }
        for w in f.witnesses
    ]
    return out

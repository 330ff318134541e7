"""The review as Markdown for people: verdict, a table of changes, witnesses.

Headings start at level 3 so the text can be pasted under a release's ``## [x.y.z]`` entry in
CHANGELOG.md as it is.
"""

from __future__ import annotations

import json
from typing import Any

from kpi_contract.review.canonical import ABSENT
from kpi_contract.review.finding import Finding
from kpi_contract.review.review import Review

_CELL = 80


def render_markdown(review: Review) -> str:
    """The whole review as Markdown (ends with a newline)."""
    old, new = review.old, review.new
    lines = [
        f"### Schema review: {old.version} -> {new.version}",
        "",
        f"Compared `{old.label}` ({old.version}) with `{new.label}` ({new.version}).",
        "",
        _verdict(review),
        "",
    ]
    unproven = sum(len(f.unproven) for f in review.findings)
    if unproven:
        lines += [f"{unproven} presumed break(s) could not be shown by a witness payload: "
                  "they are marked *unproven* and still count as breaking.", ""]
    lines += [f"- {problem}" for problem in review.problems]
    lines += [f"- tool error: {error}" for error in review.tool_errors]
    if review.problems or review.tool_errors:
        lines.append("")
    if not review.findings:
        lines += ["No changes: the two schemas have the same normal form (refactors such as "
                  "`$ref` against inline or reordered sets do not count).", ""]
        return "\n".join(lines)
    lines += _table(review.findings)
    lines += _witnesses(review.findings)
    return "\n".join(lines)


def _verdict(review: Review) -> str:
    if review.status == "tool-error":
        head = ("**Verdict: TOOL ERROR** (the rules and the sampled payloads disagree; "
                "fix the tool).")
    elif review.ok:
        head = "**Verdict: pass.**"
    else:
        head = "**Verdict: FAIL.**"
    return (f"{head} Declared bump: **{review.declared_label}** ({review.old.version} -> "
            f"{review.new.version}). Required bump: **{review.required.label}**.")


def _table(findings: tuple[Finding, ...]) -> list[str]:
    lines = [
        "| # | rule | schema pointer | payload path | breaks | old | new | bump | why |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for number, f in enumerate(findings, 1):
        breaks = ", ".join(f.demonstrated)
        if f.evidence.value == "meaning":
            breaks += " (meaning)"
        if f.unproven:
            breaks += ("; " if breaks else "") + ", ".join(f.unproven) + " unproven"
        breaks = breaks or "nothing"
        lines.append(
            f"| {number} | `{f.rule}` | `{_escape(f.pointer)}` | `{_escape(f.instance_path)}` | "
            f"{breaks} | {_value(f.old)} | {_value(f.new)} | {f.bump.label} | "
            f"{_escape(f.reason)} |"
        )
    lines.append("")
    return lines


def _witnesses(findings: tuple[Finding, ...]) -> list[str]:
    lines: list[str] = []
    for number, f in enumerate(findings, 1):
        for w in f.witnesses:
            lines += [
                f"- **#{number} {w.direction}**: valid under {w.valid_under}, rejected by "
                f"{w.rejected_by} at `{w.error_path}`: {w.error_message}. Made from "
                f"{w.made_from}:",
                "",
                "  ```json",
                f"  {json.dumps(w.payload, ensure_ascii=False, sort_keys=False)}",
                "  ```",
            ]
        for direction in f.unproven:
            lines.append(
                f"- **#{number} {direction}**: unproven: no witness among {f.tried} candidates "
                "tried; presumed breaking (SPEC section 8)."
            )
    if not lines:
        return []
    return ["#### Witnesses", "", *lines, ""]


def _value(value: Any) -> str:
    if value is ABSENT:
        return "-"
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if len(text) > _CELL:
        text = text[: _CELL - 3] + "..."
    return f"`{_escape(text)}`"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")

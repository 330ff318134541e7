"""The diff walk: every difference between two normal forms becomes a finding.

Each keyword is owned by one rule module (annotations, types, bounds, objects); a keyword no rule
owns that differs becomes an ``unclassified`` finding, which requires a new major: nothing is
ever passed silently.
"""

from __future__ import annotations

from kpi_contract.review.bump import Bump
from kpi_contract.review.canonical import ABSENT, same
from kpi_contract.review.finding import BOTH, Finding
from kpi_contract.review.keywords import Node, is_annotation
from kpi_contract.review.normalize import is_false
from kpi_contract.review.rule_annotations import annotation_findings
from kpi_contract.review.rule_bounds import HANDLED as BOUND_KEYWORDS
from kpi_contract.review.rule_bounds import bound_findings
from kpi_contract.review.rule_objects import HANDLED as OBJECT_KEYWORDS
from kpi_contract.review.rule_objects import object_findings
from kpi_contract.review.rule_types import type_findings
from kpi_contract.review.site import Site

HANDLED = BOUND_KEYWORDS | OBJECT_KEYWORDS | {"type", "enum"}


def diff(old: Node, new: Node) -> list[Finding]:
    """Every change from the ``old`` normal form to the ``new`` one."""
    return _walk(old, new, Site())


def _walk(old: Node, new: Node, site: Site) -> list[Finding]:
    if same(old, new):
        return []
    found = annotation_findings(old, new, site)
    found += type_findings(old, new, site)
    if is_false(old) or is_false(new):
        return found
    found += bound_findings(old, new, site)
    found += object_findings(old, new, site, _walk)
    for name in sorted(set(old) | set(new)):
        if is_annotation(name) or name in HANDLED:
            continue
        before, after = old.get(name, ABSENT), new.get(name, ABSENT)
        if before is not ABSENT and after is not ABSENT and same(before, after):
            continue
        found.append(site.finding(
            "unclassified", name, BOTH, Bump.MAJOR,
            f"no rule classifies a change of {name}: counted as breaking",
            old=before, new=after,
        ))
    return found

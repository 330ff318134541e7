"""The diff walk: every difference between two normal forms becomes a finding.

Each keyword is owned by one rule module (annotations, types, bounds, objects); a keyword no rule
owns that differs becomes an ``unclassified`` finding, which requires a new major: nothing is
ever passed silently.
"""

from __future__ import annotations

from kpi_contract.review.bump import Bump
from kpi_contract.review.canonical import ABSENT, same
from kpi_contract.review.finding import BOTH, Finding
from kpi_contract.review.keywords import GROUPS, Node, assertion_part, is_annotation
from kpi_contract.review.normalize import is_false
from kpi_contract.review.rule_annotations import annotation_findings
from kpi_contract.review.rule_arrays import HANDLED as ARRAY_KEYWORDS
from kpi_contract.review.rule_arrays import array_findings
from kpi_contract.review.rule_bounds import HANDLED as BOUND_KEYWORDS
from kpi_contract.review.rule_bounds import bound_findings
from kpi_contract.review.rule_logic import HANDLED as LOGIC_KEYWORDS
from kpi_contract.review.rule_logic import logic_findings
from kpi_contract.review.rule_objects import HANDLED as OBJECT_KEYWORDS
from kpi_contract.review.rule_objects import object_findings
from kpi_contract.review.rule_types import type_findings
from kpi_contract.review.site import Site

HANDLED = BOUND_KEYWORDS | OBJECT_KEYWORDS | ARRAY_KEYWORDS | LOGIC_KEYWORDS | {"type", "enum"}
COMBINATORS = ("allOf", "anyOf", "oneOf")
_LEAD = ("if", "then", "else", "contains", "minContains", "maxContains", "prefixItems", "items",
         "properties", "patternProperties", "additionalProperties")


def diff(old: Node, new: Node) -> list[Finding]:
    """Every change from the ``old`` normal form to the ``new`` one."""
    return _walk(old, new, Site())


def _walk(old: Node, new: Node, site: Site) -> list[Finding]:
    if same(old, new):
        return []
    found = annotation_findings(old, new, site)
    if not (is_false(old) or is_false(new)) and any(
            not same(old.get(k), new.get(k)) for k in COMBINATORS):
        return [*found, _node_unit(old, new, site)]
    found += type_findings(old, new, site)
    if is_false(old) or is_false(new):
        return found
    found += bound_findings(old, new, site)
    found += object_findings(old, new, site, _walk)
    found += array_findings(old, new, site, _walk)
    found += logic_findings(old, new, site, _walk)
    return found + unclassified(old, new, site, HANDLED)


def _node_unit(old: Node, new: Node, site: Site) -> Finding:
    """A node whose ``allOf``/``anyOf``/``oneOf`` changed is compared as one unit: its branches
    were kept apart because they interact with the node's own keywords, so no keyword-by-keyword
    rule can say what the node accepts."""
    changed = [k for k in COMBINATORS if not same(old.get(k), new.get(k))]
    return site.finding(
        "unclassified.node", None, BOTH, Bump.MAJOR,
        f"{' / '.join(changed)} changed beside keywords they interact with: the whole schema "
        "is compared as one unit, counted as breaking",
        old=assertion_part(old), new=assertion_part(new),
    )


def unclassified(old: Node, new: Node, site: Site, handled: frozenset[str]) -> list[Finding]:
    """``unclassified`` findings for changed keywords no rule owns, each group of interacting
    keywords (``if``/``then``/``else``, ...) compared as one unit named by its first keyword.

    Both directions are presumed; the witness search decides which it can show.
    """
    names = {n for n in set(old) | set(new) if not is_annotation(n) and n not in handled}
    found: list[Finding] = []
    for group in (*[g for g in GROUPS if names & g], *({n} for n in names - set().union(*GROUPS))):
        members = sorted(names & group, key=_LEAD.index) if len(group) > 1 else sorted(group)
        before = {n: old[n] for n in members if n in old}
        after = {n: new[n] for n in members if n in new}
        if same(before, after):
            continue
        lead = members[0]
        if len(group) == 1:
            shown_old, shown_new = old.get(lead, ABSENT), new.get(lead, ABSENT)
        else:
            shown_old, shown_new = before or ABSENT, after or ABSENT
        found.append(site.finding(
            "unclassified", lead, BOTH, Bump.MAJOR,
            f"no rule classifies a change of {' / '.join(members)}"
            f"{' (compared as one unit)' if len(members) > 1 else ''}: counted as breaking",
            old=shown_old, new=shown_new,
        ))
    return found

"""Where the diff walk stands: the normal-form pointer and the instance path it governs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpi_contract.review.bump import Bump
from kpi_contract.review.canonical import ABSENT
from kpi_contract.review.finding import Direction, Evidence, Finding
from kpi_contract.review.paths import InstancePath, Segment, pointer


@dataclass(frozen=True)
class Site:
    """A position of the walk over two normal forms."""

    tokens: tuple[str, ...] = ()
    path: InstancePath = ()

    def child(self, tokens: tuple[str, ...], segment: Segment | None = None) -> Site:
        """The sub-schema at ``tokens`` below this one (a payload step deeper when given)."""
        path = self.path if segment is None else (*self.path, segment)
        return Site((*self.tokens, *tokens), path)

    def finding(
        self,
        rule: str,
        keyword: str | None,
        breaks: frozenset[Direction],
        bump: Bump,
        reason: str,
        *,
        old: Any = ABSENT,
        new: Any = ABSENT,
        evidence: Evidence = Evidence.VALIDATION,
        segment: Segment | None = None,
    ) -> Finding:
        """A finding about ``keyword`` of this schema (or about the schema itself when None)."""
        tokens = self.tokens if keyword is None else (*self.tokens, keyword)
        path = self.path if segment is None else (*self.path, segment)
        return Finding(
            rule=rule, pointer=pointer(tokens), path=path, breaks=breaks, bump=bump,
            reason=reason, old=old, new=new, evidence=evidence,
        )

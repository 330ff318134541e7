"""The review of one schema pair: findings with witnesses, the bumps, and the verdict."""

from __future__ import annotations

from dataclasses import dataclass

from kpi_contract.review.bump import Bump
from kpi_contract.review.diff import diff
from kpi_contract.review.finding import Finding
from kpi_contract.review.loading import SchemaDoc
from kpi_contract.review.reference import Oracle
from kpi_contract.review.sampling import Sampler, Side
from kpi_contract.review.versions import version_problems
from kpi_contract.review.witness import contradictions, search


@dataclass(frozen=True)
class Review:
    """Everything the review found about ``old`` -> ``new``."""

    old: SchemaDoc
    new: SchemaDoc
    findings: tuple[Finding, ...]
    required: Bump
    declared: Bump | None
    problems: tuple[str, ...]
    tool_errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """The declared version satisfies the changes and the tool contradicted nothing."""
        return not self.problems and not self.tool_errors

    @property
    def status(self) -> str:
        """``ok``, ``fail`` (the version does not fit the changes) or ``tool-error``."""
        if self.tool_errors:
            return "tool-error"
        return "fail" if self.problems else "ok"

    @property
    def exit_code(self) -> int:
        """0 when :attr:`ok`, else 1."""
        return 0 if self.ok else 1

    @property
    def declared_label(self) -> str:
        """The declared bump's name, ``down`` when the version goes down."""
        return "down" if self.declared is None else self.declared.label


def review_pair(old: SchemaDoc, new: SchemaDoc, *, evidence: bool = True) -> Review:
    """Diff the normal forms, classify, find witnesses and check the rules against sampling."""
    findings = sorted(diff(old.normal, new.normal), key=lambda f: (f.pointer, f.rule))
    tool_errors: list[str] = []
    if evidence:
        sampler = Sampler(
            Side(old.document, old.normal, Oracle(old.document, old.version)),
            Side(new.document, new.normal, Oracle(new.document, new.version)),
        )
        findings = [search(sampler, f) for f in findings]
        tool_errors = contradictions(sampler, findings)
    required = max((f.bump for f in findings), default=Bump.NONE)
    declared, problems = version_problems(old, new, required)
    return Review(old, new, tuple(findings), required, declared, tuple(problems),
                  tuple(tool_errors))

"""What the review reports: findings, the directions they break, and their witnesses."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from kpi_contract.review.bump import Bump
from kpi_contract.review.canonical import ABSENT
from kpi_contract.review.paths import InstancePath, render_path


class Direction(enum.StrEnum):
    """Who a change breaks.

    ``readers``: payloads valid under the new schema are rejected by the old one (an existing
    reader meets a new payload). ``writers``: payloads valid under the old schema are rejected by
    the new one (stored payloads, and what the old writer produced, no longer pass).
    """

    READERS = "readers"
    WRITERS = "writers"


class Evidence(enum.StrEnum):
    """What can show a finding: a payload (``validation``), nothing but meaning, or nothing."""

    VALIDATION = "validation"
    MEANING = "meaning"
    NONE = "none"


@dataclass(frozen=True)
class Witness:
    """A payload valid under one version and rejected by the other, checked by python-jsonschema."""

    direction: Direction
    payload: Any
    made_from: str
    valid_under: str
    rejected_by: str
    error_path: str
    error_message: str


@dataclass(frozen=True)
class Finding:
    """One change between two schemas, classified by a rule.

    ``breaks`` are the directions the change may break: what a typed rule derives, or both
    directions for a change no typed rule classifies (``unclassified``). Evidence then splits
    them into :attr:`demonstrated` (a witness payload, checked by python-jsonschema) and
    :attr:`unproven` (the bounded search tried :attr:`tried` candidates and found none).
    """

    rule: str
    pointer: str
    path: InstancePath
    breaks: frozenset[Direction]
    bump: Bump
    reason: str
    old: Any = ABSENT
    new: Any = ABSENT
    evidence: Evidence = Evidence.VALIDATION
    witnesses: tuple[Witness, ...] = field(default=())
    tried: int = 0
    """How many candidate payloads the witness search screened for this finding."""

    @property
    def instance_path(self) -> str:
        """The payload location the changed keyword governs, e.g. ``$.router.reject_rate``."""
        return render_path(self.path)

    @property
    def directions(self) -> list[Direction]:
        """``breaks`` in a fixed order (readers first)."""
        return [d for d in Direction if d in self.breaks]

    @property
    def demonstrated(self) -> list[Direction]:
        """Directions shown to break: by a checked witness, or by meaning (a changed unit)."""
        if self.evidence is Evidence.MEANING:
            return self.directions
        shown = {w.direction for w in self.witnesses}
        return [d for d in self.directions if d in shown]

    @property
    def unproven(self) -> list[Direction]:
        """Directions presumed to break for which the bounded witness search found no payload.

        They still count as breaking (SPEC section 8: what the review cannot show or classify
        counts as breaking); reports list them apart from demonstrated breaks, with
        :attr:`tried`.
        """
        if self.evidence is not Evidence.VALIDATION:
            return []
        shown = {w.direction for w in self.witnesses}
        return [d for d in self.directions if d not in shown]


READERS = frozenset({Direction.READERS})
WRITERS = frozenset({Direction.WRITERS})
BOTH = frozenset(Direction)
NEITHER: frozenset[Direction] = frozenset()

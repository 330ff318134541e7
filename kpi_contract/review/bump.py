"""Bumps: how big a version step a change needs, and how big a step a version pair declares."""

from __future__ import annotations

import enum


class Bump(enum.IntEnum):
    """A semantic-version step, ordered: none < patch < minor < major."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def label(self) -> str:
        """``"none"``, ``"patch"``, ``"minor"`` or ``"major"``."""
        return self.name.lower()


def declared_bump(old: tuple[int, int, int], new: tuple[int, int, int]) -> Bump | None:
    """The step from ``old`` to ``new``; None when the version goes down."""
    if new < old:
        return None
    if new == old:
        return Bump.NONE
    if new[0] != old[0]:
        return Bump.MAJOR
    if new[1] != old[1]:
        return Bump.MINOR
    return Bump.PATCH

"""The version verdict: does the declared version step satisfy what the changes require?

Within a major the old and the new schema must stay fully compatible (SPEC section 8), so a
change that needs a major cannot ship in the same file: kpis_v7 becomes kpis_v8.
"""

from __future__ import annotations

from kpi_contract.review.bump import Bump, declared_bump
from kpi_contract.review.canonical import same
from kpi_contract.review.loading import SchemaDoc


def changed(old: SchemaDoc, new: SchemaDoc) -> bool:
    """Whether the documents differ in anything but their ``$id``."""
    strip = "$id"
    return not same(
        {k: v for k, v in old.document.items() if k != strip},
        {k: v for k, v in new.document.items() if k != strip},
    )


def version_problems(
    old: SchemaDoc, new: SchemaDoc, required: Bump
) -> tuple[Bump | None, list[str]]:
    """The declared bump (None when the version goes down) and everything wrong with it."""
    declared = declared_bump(old.version_tuple, new.version_tuple)
    problems: list[str] = []
    step = f"{old.version} -> {new.version}"
    if declared is None:
        problems.append(f"the version goes down ({step})")
    elif declared is Bump.NONE and changed(old, new):
        problems.append(
            f"the schema changed without a version change (both {new.version}): a released "
            "version is frozen; declare at least a patch"
        )
    elif declared < required:
        problems.append(
            f"the declared bump {declared.label} ({step}) is smaller than the required bump "
            f"{required.label}"
        )
    major = new.version_tuple[0]
    if new.family is not None and new.family != major:
        problems.append(
            f"version {new.version} does not belong to kpis_v{new.family}: a new major is a new "
            f"file, kpis_v{major}, beside the old one"
        )
    if required is Bump.MAJOR and old.family is not None and old.family == new.family:
        family = old.family
        problems.append(
            f"a breaking change cannot ship as kpis_v{family}: it must become kpis_v{family + 1} "
            f"(schemas/kpis_v{family + 1}.schema.json, $id urn:kpi-contract:kpis_v{family + 1}:"
            f"{family + 1}.0.0), a new file beside the old one"
        )
    return declared, problems

"""Frozen releases: ``schemas/releases/kpis_vN-X.Y.Z.schema.json``, one file per version.

A release file is a byte copy of the schema as it was released and never changes again;
``schemas/releases/SHA256SUMS`` (``sha256sum`` format) records each file's hash when it is frozen,
so a later edit is caught even in a copy of the tree without git history.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from kpi_contract.review.loading import SchemaFileError, load_schema_file

RELEASES = Path("schemas") / "releases"
MANIFEST = "SHA256SUMS"
_RELEASE = re.compile(r"^kpis_v(\d+)-(\d+)\.(\d+)\.(\d+)\.schema\.json$")
_CURRENT = re.compile(r"^kpis_v(\d+)\.schema\.json$")


@dataclass(frozen=True)
class ReleaseFile:
    """A frozen release as its file name describes it."""

    path: Path
    family: int
    version: tuple[int, int, int]

    @property
    def version_text(self) -> str:
        """``"7.0.0"``."""
        return ".".join(str(p) for p in self.version)


def release_files(root: Path) -> list[ReleaseFile]:
    """Every well-named release file, oldest version first."""
    found = []
    for path in sorted((root / RELEASES).glob("*.schema.json")):
        match = _RELEASE.match(path.name)
        if match:
            major, minor, patch = (int(g) for g in match.groups()[1:])
            found.append(ReleaseFile(path, int(match.group(1)), (major, minor, patch)))
    return sorted(found, key=lambda r: (r.version, r.family))


def stray_files(root: Path) -> list[Path]:
    """Files in the releases folder that are neither releases nor the manifest."""
    folder = root / RELEASES
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir()
        if p.name not in {MANIFEST, "README.md"} and not _RELEASE.match(p.name)
    )


def current_files(root: Path) -> list[tuple[int, Path]]:
    """The current schema of each major, ``(N, schemas/kpis_vN.schema.json)``, lowest first."""
    found = []
    for path in (root / "schemas").glob("kpis_v*.schema.json"):
        match = _CURRENT.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(root: Path) -> dict[str, str] | None:
    """``{file name: sha256}`` from SHA256SUMS; None when the manifest is missing."""
    path = root / RELEASES / MANIFEST
    if not path.is_file():
        return None
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, _, name = line.partition("  ")
            entries[name.strip()] = digest.strip()
    return entries


def display(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it is inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def default_pair(root: Path) -> tuple[Path, Path]:
    """The newest frozen release and the current schema it should be reviewed against."""
    currents = current_files(root)
    if not currents:
        raise SchemaFileError(str(root / "schemas"), "$", "no kpis_vN.schema.json to review")
    family, current = currents[-1]
    releases = release_files(root)
    pool = [r for r in releases if r.family == family] or releases
    if not pool:
        raise SchemaFileError(str(root / RELEASES), "$", "no frozen release to compare with")
    return pool[-1].path, current


def freeze(root: Path) -> ReleaseFile:
    """Copy the newest current schema to ``schemas/releases`` and record it in SHA256SUMS."""
    family, current = current_files(root)[-1]
    doc = load_schema_file(current, display(current, root))
    target = root / RELEASES / f"kpis_v{family}-{doc.version}.schema.json"
    if target.exists():
        raise SchemaFileError(display(target, root), "$", f"{doc.version} is already released")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(current, target)
    with (root / RELEASES / MANIFEST).open("a", encoding="utf-8") as manifest:
        manifest.write(f"{sha256(target)}  {target.name}\n")
    return ReleaseFile(target, family, doc.version_tuple)

"""The CI gate over a repository tree: releases frozen, versions consistent, artifacts fresh.

Checks, each failing with a message that names the file:

- ``releases``: release files are well named, their ``$id`` matches their name, no two share a
  version, each matches its SHA256SUMS entry, none was deleted;
- ``history``: in a git checkout, no commit and no working-tree edit ever modified or deleted a
  released file, and SHA256SUMS only ever grew;
- ``current``: each ``schemas/kpis_vN.schema.json`` is the newest release byte for byte, or a
  version above it whose review passes (bump big enough, no breaking change inside a major);
- ``chain``: every release passes the review against the release before it;
- ``models`` / ``docs``: ``scripts/generate_models.py --check`` and
  ``scripts/generate_docs.py --check`` pass;
- ``changelog``: CHANGELOG.md has an entry, naming the ``schema_version``, for every release.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from kpi_contract.review.loading import SchemaDoc, SchemaFileError, load_schema_file
from kpi_contract.review.releases import (
    MANIFEST,
    RELEASES,
    ReleaseFile,
    current_files,
    display,
    read_manifest,
    release_files,
    sha256,
    stray_files,
)
from kpi_contract.review.review import review_pair

CHECKS = ("releases", "history", "current", "chain", "models", "docs", "changelog")


@dataclass(frozen=True)
class GateFailure:
    """One reason the gate fails."""

    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


def run_gate(root: Path, checks: Iterable[str] = CHECKS) -> list[GateFailure]:
    """Run the named checks on the tree at ``root``; an empty list means the gate passes."""
    runners: dict[str, Callable[[Path], list[str]]] = {
        "releases": _releases, "history": _history, "current": _current, "chain": _chain,
        "models": lambda r: _script(r, "generate_models.py"),
        "docs": lambda r: _script(r, "generate_docs.py"), "changelog": _changelog,
    }
    failures = []
    for check in checks:
        failures += [GateFailure(check, message) for message in runners[check](root)]
    return failures


def _load(path: Path, root: Path) -> SchemaDoc | str:
    try:
        return load_schema_file(path, display(path, root))
    except SchemaFileError as exc:
        return str(exc)


def _releases(root: Path) -> list[str]:
    problems = [f"{display(p, root)}: not a release file name (kpis_vN-X.Y.Z.schema.json)"
                for p in stray_files(root)]
    owners: dict[str, list[str]] = defaultdict(list)
    for release in release_files(root):
        name = display(release.path, root)
        doc = _load(release.path, root)
        if isinstance(doc, str):
            problems.append(doc)
            continue
        owners[doc.version].append(name)
        if doc.version != release.version_text or doc.family != release.family:
            problems.append(f"{name}: its $id declares kpis_v{doc.family} {doc.version}, its "
                            f"name kpis_v{release.family} {release.version_text}")
        if doc.version_tuple[0] != release.family:
            problems.append(f"{name}: version {doc.version} is not a kpis_v{release.family} "
                            "version")
    problems += [f"two releases share version {v}: {', '.join(names)}"
                 for v, names in sorted(owners.items()) if len(names) > 1]
    return problems + _manifest(root)


def _manifest(root: Path) -> list[str]:
    manifest = read_manifest(root)
    where = display(root / RELEASES / MANIFEST, root)
    releases = release_files(root)
    if manifest is None:
        return [f"{where}: missing; freeze releases with scripts/freeze_release.py"] if releases \
            else []
    problems = []
    names = {r.path.name for r in releases}
    for release in releases:
        name = display(release.path, root)
        recorded = manifest.get(release.path.name)
        if recorded is None:
            problems.append(f"{name}: not recorded in {where} (freeze releases with "
                            "scripts/freeze_release.py)")
        elif recorded != sha256(release.path):
            problems.append(f"{name}: a released file changed (its SHA-256 differs from "
                            f"{where}); released versions are frozen, release a new version")
    problems += [f"{display(root / RELEASES / n, root)}: a released file was deleted"
                 for n in sorted(set(manifest) - names)]
    return problems


def _git(root: Path, *args: str) -> str | None:
    if not (root / ".git").exists() or shutil.which("git") is None:
        return None
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                            check=False)
    return result.stdout if result.returncode == 0 else None


def _history(root: Path) -> list[str]:
    folder = RELEASES.as_posix()
    log = _git(root, "log", "--format=commit %h", "--name-status", "--no-renames",
               "--diff-filter=MD", "--", folder)
    if log is None:
        return []
    problems = []
    commit = ""
    for line in log.splitlines():
        if line.startswith("commit "):
            commit = line.split()[1]
        elif line[:1] in {"M", "D"} and line.endswith(".schema.json"):
            verb = "modified" if line[0] == "M" else "deleted"
            problems.append(f"{line.split(maxsplit=1)[1]}: a released file was {verb} in "
                            f"commit {commit}")
    status = _git(root, "status", "--porcelain", "--", folder) or ""
    for line in status.splitlines():
        if line[:2].strip()[:1] in {"M", "D", "R"} and line.endswith(".schema.json"):
            problems.append(f"{line[3:]}: a released file was changed in the working tree")
    problems += _manifest_history(root)
    return problems


def _manifest_history(root: Path) -> list[str]:
    path = f"{RELEASES.as_posix()}/{MANIFEST}"
    current = set((read_manifest(root) or {}).items())
    problems = []
    for commit in (_git(root, "log", "--format=%h", "--", path) or "").split():
        old = _git(root, "show", f"{commit}:{path}")
        if old is None:
            continue
        for line in old.splitlines():
            digest, _, name = line.partition("  ")
            if line.strip() and (name.strip(), digest.strip()) not in current:
                problems.append(f"{path}: the entry for {name.strip()} recorded in commit "
                                f"{commit} was changed or removed")
    return sorted(set(problems))


def _current(root: Path) -> list[str]:
    releases = release_files(root)
    problems = []
    if not current_files(root):
        return [f"{display(root / 'schemas', root)}: no kpis_vN.schema.json"]
    for family, path in current_files(root):
        doc = _load(path, root)
        if isinstance(doc, str):
            problems.append(doc)
            continue
        name = display(path, root)
        if doc.family != family:
            problems.append(f"{name}: its $id names kpis_v{doc.family}, its file kpis_v{family}")
        pool = [r for r in releases if r.family == family] or releases
        if not pool:
            problems.append(f"{name}: no frozen release to compare with; freeze {doc.version} "
                            "with scripts/freeze_release.py")
            continue
        problems += _against(root, pool[-1], doc, path)
    return problems


def _against(root: Path, newest: ReleaseFile, doc: SchemaDoc, path: Path) -> list[str]:
    name, released = display(path, root), display(newest.path, root)
    if doc.version_tuple < newest.version:
        return [f"{name}: version {doc.version} is older than the newest release "
                f"{newest.version_text} ({released})"]
    if doc.version_tuple == newest.version:
        if path.read_bytes() != newest.path.read_bytes():
            return [f"{name}: the schema changed without a version change: it declares "
                    f"{doc.version}, which is released as {released} with other bytes"]
        return []
    old = _load(newest.path, root)
    if isinstance(old, str):
        return [old]
    result = review_pair(old, doc)
    return [f"review {released} -> {name}: {p}" for p in result.problems + result.tool_errors]


def _chain(root: Path) -> list[str]:
    problems = []
    releases = release_files(root)
    for before, after in itertools.pairwise(releases):
        old, new = _load(before.path, root), _load(after.path, root)
        if isinstance(old, str) or isinstance(new, str):
            continue
        result = review_pair(old, new)
        problems += [f"release {old.label} -> {new.label}: {p}"
                     for p in result.problems + result.tool_errors]
    return problems


def _script(root: Path, name: str) -> list[str]:
    script = root / "scripts" / name
    if not script.is_file():
        return [f"{display(script, root)}: missing"]
    result = subprocess.run([sys.executable, str(script), "--check"], cwd=root,
                            capture_output=True, text=True, check=False, timeout=300)
    if result.returncode == 0:
        return []
    detail = (result.stderr or result.stdout).strip().splitlines()
    return [f"scripts/{name} --check failed: {detail[0] if detail else 'stale'}"]


def _changelog(root: Path) -> list[str]:
    path = root / "CHANGELOG.md"
    if not path.is_file():
        return ["CHANGELOG.md: missing"]
    text = path.read_text(encoding="utf-8")
    problems = []
    for release in release_files(root):
        version = release.version_text
        match = re.search(rf"^## \[{re.escape(version)}\][^\n]*\n(.*?)(?=^## |\Z)", text,
                          re.MULTILINE | re.DOTALL)
        if match is None:
            problems.append(f"CHANGELOG.md: no entry for released version {version}")
        elif "schema_version" not in match.group(1):
            problems.append(f"CHANGELOG.md: the entry for {version} does not say which "
                            "schema_version it touches")
    return problems

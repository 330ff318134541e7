"""Frozen releases: 7.0.0 is byte-identical to what was released and every release is
consistent; finding the default pair; freezing a new release."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_contract.review import SchemaFileError, load_schema_file, run_gate
from kpi_contract.review.releases import (
    current_files,
    default_pair,
    freeze,
    read_manifest,
    release_files,
)
from kpi_contract.schema import parse_version
from tests.test_gate import MINOR, NEWEST, NEWEST_FILE, PATCH, describe, edit_current, repo, tighten

__all__ = ["repo"]
ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "schemas" / "releases"
SHA256_7_0_0 = "d793e9b292d811508c7a07da73ac1d3af01dcdcc5c15cfdf6b53e86f0dc005fa"
FIRST_SCHEMA_COMMIT = "3552af7"


def test_release_7_0_0_is_pinned_by_hash() -> None:
    """The 7.0.0 release file has the hash it was released with (recorded here a second time)."""
    data = (RELEASES / "kpis_v7-7.0.0.schema.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == SHA256_7_0_0
    manifest = read_manifest(ROOT)
    assert manifest is not None
    assert manifest["kpis_v7-7.0.0.schema.json"] == SHA256_7_0_0
    assert manifest == {r.path.name: hashlib.sha256(r.path.read_bytes()).hexdigest()
                        for r in release_files(ROOT)}


def test_release_7_0_0_equals_the_schema_as_first_committed() -> None:
    """The frozen 7.0.0 is byte for byte the schema file of the commit that introduced it."""
    shown = subprocess.run(["git", "-C", str(ROOT), "show",
                            f"{FIRST_SCHEMA_COMMIT}:schemas/kpis_v7.schema.json"],
                           capture_output=True, check=False)
    if shown.returncode != 0:
        pytest.skip("git history of the first schema commit is not available")
    assert (RELEASES / "kpis_v7-7.0.0.schema.json").read_bytes() == shown.stdout


def test_every_release_is_named_after_its_id_and_versions_are_unique() -> None:
    """File name, ``$id`` version and family agree; no version appears twice."""
    versions = []
    for release in release_files(ROOT):
        doc = load_schema_file(release.path)
        assert (doc.version, doc.family) == (release.version_text, release.family)
        versions.append(doc.version)
    assert versions
    assert len(versions) == len(set(versions))


def test_current_schema_is_the_newest_release_or_newer() -> None:
    """The current schema's version is at least the newest release's; equal means same bytes."""
    newest = release_files(ROOT)[-1]
    (_, current), = current_files(ROOT)
    version = parse_version(load_schema_file(current).version)
    assert version >= newest.version
    if version == newest.version:
        assert current.read_bytes() == newest.path.read_bytes()


def test_release_checks_pass_on_this_repository() -> None:
    """The gate's release, history, current and chain checks pass here."""
    assert run_gate(ROOT, ("releases", "history", "current", "chain")) == []


def test_default_pair_is_the_newest_release_of_the_current_major(repo: Path) -> None:
    """With a patch released after the newest release, the default review starts from it."""
    edit_current(repo, describe, PATCH)
    freeze(repo)
    old, new = default_pair(repo)
    assert (old.name, new.name) == (f"kpis_v7-{PATCH}.schema.json", "kpis_v7.schema.json")


def test_default_pair_for_a_new_major_starts_from_the_newest_release(repo: Path) -> None:
    """A kpis_v8 without releases is reviewed against the newest kpis_v7 release."""
    shutil.copy2(repo / "schemas" / "kpis_v7.schema.json", repo / "schemas" /
                 "kpis_v8.schema.json")
    old, new = default_pair(repo)
    assert (f"schemas/releases/{old.name}", new.name) == (NEWEST_FILE, "kpis_v8.schema.json")


def test_freeze_copies_bytes_and_records_the_hash(repo: Path) -> None:
    """Freezing copies the current file byte for byte and appends its hash to SHA256SUMS."""
    edit_current(repo, describe, PATCH)
    before = len(release_files(repo))
    release = freeze(repo)
    assert release.path.read_bytes() == (repo / "schemas" / "kpis_v7.schema.json").read_bytes()
    manifest = read_manifest(repo)
    assert manifest is not None
    assert manifest[release.path.name] == hashlib.sha256(release.path.read_bytes()).hexdigest()
    assert len(manifest) == before + 1


def test_freeze_refuses_a_released_version(repo: Path) -> None:
    """The current version is already frozen: freezing it again is an error naming the file."""
    with pytest.raises(SchemaFileError, match=re.escape(f"{NEWEST} is already released")):
        freeze(repo)


def _freeze_script(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(root / "scripts" / "freeze_release.py")],
                          cwd=root, capture_output=True, text=True, check=False)


def test_freeze_script_refuses_a_failing_review(repo: Path) -> None:
    """scripts/freeze_release.py will not freeze a breaking change declared as a minor."""
    edit_current(repo, tighten, MINOR)
    result = _freeze_script(repo)
    assert result.returncode == 1
    assert "freeze refused: the declared bump minor" in result.stderr
    assert not (repo / "schemas" / "releases" / f"kpis_v7-{MINOR}.schema.json").exists()


def test_freeze_script_refuses_without_changelog_entry(repo: Path) -> None:
    """A correct patch is still not frozen until CHANGELOG.md has its entry."""
    edit_current(repo, describe, PATCH)
    result = _freeze_script(repo)
    assert (result.returncode, result.stderr) == (
        1, f"freeze refused: CHANGELOG.md has no '## [{PATCH}]' entry\n")


def test_release_files_ignore_other_names(repo: Path) -> None:
    """Only ``kpis_vN-X.Y.Z.schema.json`` files are releases, sorted by version."""
    folder = repo / "schemas" / "releases"
    (folder / "notes.json").write_text("{}", encoding="utf-8")
    schema = json.loads((folder / "kpis_v7-7.0.0.schema.json").read_text(encoding="utf-8"))
    schema["$id"] = "urn:kpi-contract:kpis_v7:7.10.0"
    (folder / "kpis_v7-7.10.0.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    schema["$id"] = "urn:kpi-contract:kpis_v7:7.9.0"
    (folder / "kpis_v7-7.9.0.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    assert [r.version_text for r in release_files(repo)] == ["7.0.0", "7.1.0", "7.9.0", "7.10.0"]

"""The CI gate: this repository passes it, and each failure mode, provoked in a temporary copy
of the repository, fails it with the right message."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kpi_contract.review import run_gate
from kpi_contract.review.releases import freeze, release_files

ROOT = Path(__file__).resolve().parent.parent
CURRENT = Path("schemas") / "kpis_v7.schema.json"
RELEASE = Path("schemas") / "releases" / "kpis_v7-7.0.0.schema.json"
MANIFEST = Path("schemas") / "releases" / "SHA256SUMS"
Schema = dict[str, Any]

# The tests below change the current schema relative to the newest release (7.1.0 today), so
# they keep working after every release: PATCH and MINOR are the next versions of each kind.
_MAJOR, _MINOR, _PATCH = release_files(ROOT)[-1].version
NEWEST = f"{_MAJOR}.{_MINOR}.{_PATCH}"
NEWEST_FILE = f"schemas/releases/kpis_v7-{NEWEST}.schema.json"
PATCH = f"{_MAJOR}.{_MINOR}.{_PATCH + 1}"
MINOR = f"{_MAJOR}.{_MINOR + 1}.0"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the repository's schemas/, kpi_contract/, scripts/, docs/ and top-level files."""
    return copy_repository(tmp_path)


def copy_repository(tmp_path: Path) -> Path:
    """What the ``repo`` fixture gives, for tests elsewhere."""
    root = tmp_path / "repo"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("schemas", "kpi_contract", "scripts", "docs"):
        shutil.copytree(ROOT / name, root / name, ignore=skip)
    for name in ("pyproject.toml", "CHANGELOG.md"):
        shutil.copy2(ROOT / name, root / name)
    return root


def edit_current(root: Path, change: Callable[[Schema], None], version: str | None = None
                 ) -> None:
    """Rewrite the copy's current schema with ``change`` applied (and a new version)."""
    path = root / CURRENT
    schema: Schema = json.loads(path.read_text(encoding="utf-8"))
    change(schema)
    if version is not None:
        schema["$id"] = f"urn:kpi-contract:kpis_v7:{version}"
    path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")


def describe(schema: Schema) -> None:
    """A patch-level change: one description."""
    schema["$defs"]["Router"]["properties"]["reject_rate"]["description"] = "Rejects / orders."


def add_optional(schema: Schema) -> None:
    """A minor-level change: an optional field."""
    schema["$defs"]["Router"]["properties"]["fill_count"] = {"type": ["integer", "null"]}


def tighten(schema: Schema) -> None:
    """A major-level change: a tighter bound."""
    schema["$defs"]["Router"]["properties"]["reject_rate"]["maximum"] = 0.5


def messages(root: Path, *checks: str) -> list[str]:
    """The gate's failure messages for the named checks."""
    return [str(f) for f in run_gate(root, checks)]


def test_this_repository_passes_the_gate() -> None:
    """Every check, git history included, passes on the real repository."""
    assert [str(f) for f in run_gate(ROOT)] == []


def test_an_unmodified_copy_passes_every_check(repo: Path) -> None:
    """The copy used below is a fair baseline: it passes before anything is changed."""
    assert messages(repo, "releases", "current", "chain", "models", "docs", "changelog") == []


def test_declared_bump_smaller_than_required_fails(repo: Path) -> None:
    """An optional field (minor) declared as a patch fails the current-schema review."""
    edit_current(repo, add_optional, PATCH)
    assert messages(repo, "current") == [
        f"current: review {NEWEST_FILE} -> "
        f"schemas/kpis_v7.schema.json: the declared bump patch ({NEWEST} -> {PATCH}) is smaller "
        "than the required bump minor"]


def test_schema_changed_without_version_change_fails(repo: Path) -> None:
    """Editing the schema but keeping its released version fails: it is released with other
    bytes."""
    edit_current(repo, describe)
    (message,) = messages(repo, "current")
    assert message.startswith("current: schemas/kpis_v7.schema.json: the schema changed without "
                              f"a version change: it declares {NEWEST}")


def test_version_going_down_fails(repo: Path) -> None:
    """After a patch is released, putting the current schema back to the release before fails."""
    original = (repo / CURRENT).read_bytes()
    edit_current(repo, describe, PATCH)
    freeze(repo)
    (repo / CURRENT).write_bytes(original)
    assert messages(repo, "current") == [
        f"current: schemas/kpis_v7.schema.json: version {NEWEST} is older than the newest release "
        f"{PATCH} (schemas/releases/kpis_v7-{PATCH}.schema.json)"]


@pytest.mark.parametrize(("version", "expected"), [
    ("8.0.0", ["version 8.0.0 does not belong to kpis_v7", "cannot ship as kpis_v7: it must "
                                                            "become kpis_v8"]),
    (MINOR, [f"the declared bump minor ({NEWEST} -> {MINOR}) is smaller than the required bump "
             "major", "cannot ship as kpis_v7: it must become kpis_v8"]),
])
def test_breaking_change_inside_major_7_fails(repo: Path, version: str, expected: list[str]
                                              ) -> None:
    """A breaking change in kpis_v7 fails whatever version it declares: it must be kpis_v8."""
    edit_current(repo, tighten, version)
    found = messages(repo, "current")
    assert len(found) == len(expected)
    for message, part in zip(found, expected, strict=True):
        assert part in message


def test_breaking_change_as_a_new_kpis_v8_file_passes(repo: Path) -> None:
    """The same break as schemas/kpis_v8.schema.json at 8.0.0 beside kpis_v7 passes."""
    schema: Schema = json.loads((repo / CURRENT).read_text(encoding="utf-8"))
    tighten(schema)
    schema["$id"] = "urn:kpi-contract:kpis_v8:8.0.0"
    (repo / "schemas" / "kpis_v8.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    assert messages(repo, "current") == []


def test_changed_release_file_fails(repo: Path) -> None:
    """One byte added to a released file fails the releases check."""
    with (repo / RELEASE).open("a", encoding="utf-8") as handle:
        handle.write("\n")
    assert messages(repo, "releases") == [
        "releases: schemas/releases/kpis_v7-7.0.0.schema.json: a released file changed (its "
        "SHA-256 differs from schemas/releases/SHA256SUMS); released versions are frozen, "
        "release a new version"]


def test_deleted_release_file_fails(repo: Path) -> None:
    """A release recorded in SHA256SUMS but gone fails."""
    (repo / RELEASE).unlink()
    assert "releases: schemas/releases/kpis_v7-7.0.0.schema.json: a released file was deleted" \
        in messages(repo, "releases")


def test_two_releases_sharing_a_version_fail(repo: Path) -> None:
    """A second file holding 7.0.0 under another name fails, naming both files."""
    twin = repo / "schemas" / "releases" / "kpis_v7-7.0.1.schema.json"
    shutil.copy2(repo / RELEASE, twin)
    found = messages(repo, "releases")
    assert "releases: schemas/releases/kpis_v7-7.0.1.schema.json: its $id declares kpis_v7 " \
           "7.0.0, its name kpis_v7 7.0.1" in found
    assert "releases: two releases share version 7.0.0: schemas/releases/kpis_v7-7.0.0.schema." \
           "json, schemas/releases/kpis_v7-7.0.1.schema.json" in found
    assert any("7.0.1.schema.json: not recorded in" in m for m in found)


def test_stray_file_in_releases_fails(repo: Path) -> None:
    """Only release files, the manifest and the README live in schemas/releases."""
    (repo / "schemas" / "releases" / "draft.json").write_text("{}", encoding="utf-8")
    assert messages(repo, "releases") == [
        "releases: schemas/releases/draft.json: not a release file name "
        "(kpis_vN-X.Y.Z.schema.json)"]


def test_breaking_release_in_the_chain_fails(repo: Path) -> None:
    """A release frozen past the review (a minor with a tighter bound) fails the chain check."""
    edit_current(repo, tighten, MINOR)
    freeze(repo)
    found = messages(repo, "chain")
    assert found[0] == (f"chain: release {NEWEST_FILE} -> "
                        f"schemas/releases/kpis_v7-{MINOR}.schema.json: the declared bump minor "
                        f"({NEWEST} -> {MINOR}) is smaller than the required bump major")


def test_stale_generated_models_fail(repo: Path) -> None:
    """A correct patch release whose models were not regenerated fails the models check."""
    edit_current(repo, describe, PATCH)
    assert messages(repo, "current") == []
    assert messages(repo, "models") == [
        "models: scripts/generate_models.py --check failed: kpi_contract/models.py: stale; run "
        "scripts/generate_models.py"]


def test_stale_reference_docs_fail(repo: Path) -> None:
    """The same change without regenerating docs/kpis_v7_reference.md fails the docs check."""
    edit_current(repo, describe, PATCH)
    assert messages(repo, "docs") == [
        "docs: scripts/generate_docs.py --check failed: docs/kpis_v7_reference.md: stale; run "
        "scripts/generate_docs.py"]


def test_release_without_changelog_entry_fails(repo: Path) -> None:
    """A frozen release with no CHANGELOG.md entry fails the changelog check."""
    edit_current(repo, describe, PATCH)
    freeze(repo)
    assert messages(repo, "changelog") == [
        f"changelog: CHANGELOG.md: no entry for released version {PATCH}"]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=gate", "-c",
                    "user.email=gate@example.invalid", *args], check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_release_rewritten_in_history_fails(repo: Path) -> None:
    """A release changed in a commit (manifest updated to match) fails the history check."""
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    assert messages(repo, "history") == []
    with (repo / RELEASE).open("a", encoding="utf-8") as handle:
        handle.write("\n")
    assert messages(repo, "history") == [
        "history: schemas/releases/kpis_v7-7.0.0.schema.json: a released file was changed in "
        "the working tree"]
    digest = subprocess.run(["sha256sum", RELEASE.name], cwd=repo / RELEASE.parent,
                            capture_output=True, text=True, check=True).stdout
    manifest = (repo / MANIFEST).read_text(encoding="utf-8").splitlines(keepends=True)
    (repo / MANIFEST).write_text("".join(digest if line.endswith(f"  {RELEASE.name}\n") else line
                                         for line in manifest), encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "rewrite a release")
    assert messages(repo, "releases") == []
    found = messages(repo, "history")
    assert any(m.startswith("history: schemas/releases/kpis_v7-7.0.0.schema.json: a released "
                            "file was modified in commit ") for m in found)
    assert any("SHA256SUMS: the entry for kpis_v7-7.0.0.schema.json recorded in commit" in m
               for m in found)


def test_whole_patch_release_workflow_passes(repo: Path) -> None:
    """Edit, bump, regenerate, changelog, freeze: the whole gate passes on the result."""
    edit_current(repo, describe, PATCH)
    for script in ("generate_models.py", "generate_docs.py"):
        subprocess.run([sys.executable, str(repo / "scripts" / script)], cwd=repo, check=True,
                       capture_output=True)
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(changelog.read_text(encoding="utf-8").replace(
        f"## [{NEWEST}]", f"## [{PATCH}] - 2026-12-01\n\nschema_version: `{PATCH}`.\n\n"
        f"### Changed\n\n- `router.reject_rate` description.\n\n## [{NEWEST}]"), encoding="utf-8")
    froze = subprocess.run([sys.executable, str(repo / "scripts" / "freeze_release.py")],
                           cwd=repo, capture_output=True, text=True, check=False)
    assert froze.returncode == 0, froze.stderr
    assert froze.stdout == f"froze schemas/releases/kpis_v7-{PATCH}.schema.json\n"
    assert [str(f) for f in run_gate(repo)] == []


def test_gate_command_reports_each_failure_and_exits_1(repo: Path) -> None:
    """``review --gate --root COPY`` prints one ``gate: check: message`` line per failure."""
    edit_current(repo, add_optional, PATCH)
    result = subprocess.run([sys.executable, "-m", "kpi_contract.review", "--gate", "--root",
                             str(repo)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert all(line.startswith("gate: ") for line in lines)
    assert {line.split(":")[1].strip() for line in lines} == {"current", "models", "docs"}

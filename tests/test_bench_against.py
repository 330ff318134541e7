"""``scripts/bench_against.py``: a faster builder is only accepted with the same payloads.

The script is how the builder's speed work is checked against an earlier commit (issue 10): its
timings are never asserted here, only its verdicts, run as the real command on real git history.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import ROOT

SCRIPT = Path("scripts") / "bench_against.py"


def run_script(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=cwd, capture_output=True,
                          text=True, check=False, timeout=300)


def test_the_same_builder_gives_identical_payloads_and_a_table() -> None:
    result = run_script("HEAD", "--examples", "25", "--rounds", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "identical payloads: fixture 01 and 25 damaged snapshots"
    assert lines[1].startswith("| fixture 01, CPU us per call | at HEAD | now |")
    assert any(line.startswith("| router (+ counts) |") for line in lines)


def test_an_unknown_revision_is_one_line_and_exit_2() -> None:
    result = run_script("no-such-revision", "--examples", "1", "--rounds", "1")
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("bench_against: no-such-revision: no builder to compare:")


BREAKS = {
    # Seen on fixture 01 itself: one order too many in the reject rate.
    "reject rate": ("_router.py", "total_rejects / total_orders",
                    "total_rejects / (total_orders + 1)"),
    # Seen only among the damaged snapshots, and only for one run mode: replay published as
    # dry_run (hypothesis must find and report it in one line, also while it shrinks).
    "replay run mode": ("build.py", "        return run_mode\n",
                        '        return "dry_run" if run_mode == "replay" else run_mode\n'),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_changed_rule_is_caught_and_exits_1(tmp_path: Path, name: str) -> None:
    """A clone whose builder breaks one rule, against the commit before that change: the
    payloads differ, one line says on what, and the timings are never printed."""
    module, old, new = BREAKS[name]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    source = clone / "kpi_contract" / module
    text = source.read_text()
    assert text.count(old) == 1
    source.write_text(text.replace(old, new))
    (clone / SCRIPT).write_bytes((ROOT / SCRIPT).read_bytes())  # the script under test, as is
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit",
                    "--quiet", "-a", "-m", f"break the {name}"], cwd=clone, check=True)
    result = run_script("HEAD~1", "--examples", "300", "--rounds", "1", cwd=clone)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "identical payloads" not in result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith("bench_against: HEAD~1: the payloads differ on ")


@pytest.mark.parametrize(("args", "says"), [
    (("HEAD", "--examples", "0"), "bench_against: error: argument --examples: must be at least 1"),
    (("HEAD", "--rounds", "-1"), "bench_against: error: argument --rounds: must be at least 1"),
    (("--", "--output=x.tar"), "bench_against: --output=x.tar: no builder to compare: a revision "
                               "cannot start with '-'"),
    (("HEAD:kpi_contract",), "bench_against: HEAD:kpi_contract: no builder to compare: not a "
                             "commit"),
])
def test_usage_errors_are_one_line_and_exit_2(args: tuple[str, ...], says: str) -> None:
    result = run_script(*args)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(says)
    assert not (ROOT / "x.tar").exists()

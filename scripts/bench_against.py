"""The builder now against the builder at an earlier commit: same payloads, and the cost of each.

Run ``.venv/bin/python scripts/bench_against.py REV`` (any git revision: a commit, a tag,
``HEAD~3``). The package as it was at REV is extracted from git into a temporary directory under
another name (``kpi_contract_at_rev``), so both builders load in this one process and are timed side
by side, round by round, in CPU time (``time.process_time``), like ``scripts/bench.py``:

1. both builders on fixture 01 and on ``--examples`` damaged snapshots (the property tests'
   ``damaged_inputs`` strategy, each with a run_mode drawn from None and the executor's modes)
   must give byte-identical payloads (``model_dump_json``), or raise the same exception: a faster
   builder that changed a rule is a different builder, and the script exits 1 naming an input
   that differs (hypothesis's smallest);
2. the whole build on fixture 01, then each KPI group function both revisions have (nav, risk,
   router, performance), before and after, with the speed-up.

Exit codes: 0 identical payloads (the table follows), 1 a payload differs, 2 a usage error, or a
revision that cannot be read or has no builder with ``run_mode`` (schema 7.1.0 on) to compare.
Every error is one line on stderr. Tests never assert the timings.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OLD = "kpi_contract_at_rev"
RUN_MODES = (None, "live", "testnet", "dry_run", "replay")
GROUPS = (
    ("nav", "_nav", "nav_kpis", lambda a: (a[1], float(a[0]))),
    ("risk", "_risk", "risk_kpis", lambda a: (a[2],)),
    ("router (+ counts)", "_router", "router_kpis", lambda a: (a[3], a[2])),
    ("performance (+ count)", "_performance", "performance_kpis", lambda a: (a[4], a[2])),
)


def extract_package(rev: str, into: Path) -> None:
    """``kpi_contract`` as it was at ``rev``, as package ``OLD`` inside ``into`` (its own imports
    renamed). ``ValueError`` with git's message when the revision names no commit or the commit
    has no such package."""
    if rev.startswith("-"):  # never handed to git as an option
        raise ValueError("a revision cannot start with '-'")
    commit = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    if commit.returncode != 0:
        raise ValueError("not a commit in this repository")
    archive = subprocess.run(["git", "archive", "--format=tar", commit.stdout.strip(),
                              "kpi_contract"], cwd=ROOT, capture_output=True, check=False)
    if archive.returncode != 0:
        raise ValueError(archive.stderr.decode(errors="replace").strip().splitlines()[-1])
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    package = into / OLD
    (into / "kpi_contract").rename(package)
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("kpi_contract", OLD), encoding="utf-8")


def differing_input(old: Callable[..., Any], new: Callable[..., Any], fixture: tuple[Any, ...],
                    examples: int) -> str | None:
    """An input on which the two builders' payloads (or exceptions) differ, described; else
    None."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.test_build_properties import damaged_inputs

    def outcome(build: Callable[..., Any], args: tuple[Any, ...], mode: str | None) -> str:
        """The payload's JSON, or the exception the builder raised (compared like a payload)."""
        try:
            return str(build(*args, run_mode=mode).model_dump_json())
        except Exception as exc:  # any exception is an outcome to compare
            return f"raised {type(exc).__name__}: {exc}"

    def payloads(args: tuple[Any, ...], mode: str | None) -> tuple[str, str]:
        return outcome(old, args, mode), outcome(new, args, mode)

    before, after = payloads(fixture, "live")
    if before != after:
        return f"fixture 01: {before} != {after}"
    found: list[str] = []

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(damaged_inputs(), st.sampled_from(RUN_MODES))
    def same(args: tuple[Any, ...], mode: str | None) -> None:
        before, after = payloads(args, mode)
        if before != after:
            found.append(f"{args!r} (run_mode {mode!r}): {before} != {after}")
            raise AssertionError(found[-1])

    try:
        same()
    except Exception:  # the difference, or hypothesis's report of it (a group when it is flaky)
        if not found:
            raise
        return found[-1]  # the last one found: the smallest, once hypothesis has shrunk it
    return None


def cost_table(old: ModuleType, new: ModuleType, args: tuple[Any, ...], rounds: int,
               rev: str) -> list[str]:
    """Median CPU microseconds per call, before and after, subjects timed in turn per round."""
    subjects: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "whole build": (lambda: old.build_kpis_v7(*args, run_mode="live"),
                        lambda: new.build_kpis_v7(*args, run_mode="live")),
    }
    for label, module, function, pick in GROUPS:
        try:
            before = getattr(__import__(f"{OLD}.{module}", fromlist=[function]), function)
        except (ImportError, AttributeError):
            continue  # the revision had no such group function
        after = getattr(__import__(f"kpi_contract.{module}", fromlist=[function]), function)
        subjects[label] = (functools.partial(before, *pick(args)),
                           functools.partial(after, *pick(args)))
    times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in subjects}
    for _ in range(rounds):
        for name, pair in subjects.items():
            for side, fn in enumerate(pair):
                start = time.process_time()
                for _ in range(1000):
                    fn()
                times[name][side].append((time.process_time() - start) * 1e3)
    lines = [f"| fixture 01, CPU us per call | at {rev} | now | speed-up |", "|---|---:|---:|---:|"]
    for name, (before_us, after_us) in times.items():
        b, a = statistics.median(before_us), statistics.median(after_us)
        lines.append(f"| {name} | {b:.1f} | {a:.1f} | {b / a:.2f}x |")
    return lines


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(1, str(ROOT / "scripts"))
    from bench import fixture_args

    from kpi_contract.console import OneLineArgumentParser

    parser = OneLineArgumentParser(prog="bench_against", description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the git revision to compare with (commit, tag, HEAD~N)")
    parser.add_argument("--examples", type=positive, default=2000,
                        help="damaged snapshots both builders must agree on (default: 2000)")
    parser.add_argument("--rounds", type=positive, default=15,
                        help="alternating timing rounds (default: 15)")
    args = parser.parse_args(argv)

    import kpi_contract.build as new
    with tempfile.TemporaryDirectory(prefix="bench-against-") as scratch:
        try:
            extract_package(args.rev, Path(scratch))
            sys.path.insert(0, scratch)
            old = __import__(f"{OLD}.build", fromlist=["build_kpis_v7"])
        except (ValueError, ImportError) as exc:
            print(f"bench_against: {args.rev}: no builder to compare: {exc}", file=sys.stderr)
            return 2
        if "run_mode" not in inspect.signature(old.build_kpis_v7).parameters:
            print(f"bench_against: {args.rev}: no builder to compare: its build_kpis_v7 takes no "
                  f"run_mode (a builder from before schema 7.1.0)", file=sys.stderr)
            return 2
        fixture = fixture_args()
        differs = differing_input(old.build_kpis_v7, new.build_kpis_v7, fixture, args.examples)
        if differs is not None:
            print(f"bench_against: {args.rev}: the payloads differ on {differs}"[:2000],
                  file=sys.stderr)
            return 1
        print(f"identical payloads: fixture 01 and {args.examples} damaged snapshots")
        for line in cost_table(old, new, fixture, args.rounds, args.rev):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

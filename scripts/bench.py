"""Benchmark: the contract's costs measured side by side, printed as ratios.

Run ``.venv/bin/python scripts/bench.py`` (after ``scripts/setup_env.sh``). Every ratio compares two
things measured in the same run, in alternating rounds, on the same payload and the same disk, so
machine speed (and another process's load, round by round) cancels out; figures are medians over
the rounds. Targets (issues 2 and 10):

(a) build + validate + serialise <= 5% of one durable atomic write of the same bytes, each share
    printed (wall time: the write is I/O). The pipeline is what the executor runs:
    ``build_kpis_v7`` then ``publish.encode_kpis`` (the bytes ``publish_kpis`` writes).
(a-floor) What (a) costs without the rules: the builder's document made into the validated
    model (as ``build_kpis_v7`` does), then validate + serialise as in (a). Five percent of the
    write minus this floor is the time the rules of all KPI groups and the document's layout would
    have to fit in; the line prints both.
(a-groups) The same payload's cost per KPI group of the builder (nav, risk, router with its
    counts, performance with its count, run_mode and ts, assembly and model construction), then
    serialise and validate, in CPU time: where the time goes (docs/builder-performance.md);
    serialise + validate <= 10 us (issue 10).
(a-scale) The builder at 1, 10, 100 and 1,000 router symbols (with matching ``symbol_stats`` and
    expectancy symbols), in CPU time: the per-symbol slope, target <= 2.5 us per symbol (4x below
    the 10 us per symbol before issue 10), also shown as a fraction of the single-symbol build.
(b) the package's validation >= 20x faster than ``jsonschema.validate(instance, schema)``;
(c) ``import kpi_contract`` <= 2x ``import pydantic``. The package loads its names lazily, so
    (c') also compares importing what a publisher uses (the builder and the validating writer,
    i.e. pydantic's model machinery) with ``from pydantic import BaseModel``.

(d) The bump review of the current kpis_v7 schema against its newest frozen release (issue 13):
    under one second, in process and as the ``python -m kpi_contract.review`` command.

The executor-side figures (issue 3) come from ``scripts/bench_execution.py`` and are appended.
The machine's load average is printed first and last. Tests never assert timings.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "snapshots" / "01_healthy_full.json"


def per_call_us(fn: Callable[[], object], number: int, repeat: int = 7) -> float:
    """Median over ``repeat`` rounds of the mean cost of one call, in microseconds."""
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number * 1e6)
    return statistics.median(rounds)


def side_by_side(
    subjects: dict[str, tuple[Callable[[], object], int]], rounds: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Per-call cost in us of each subject (function, calls per round), round by round: every
    round times each subject in turn, so a load that comes and goes hits them alike. ``clock``:
    wall time by default; ``time.process_time`` counts this process's CPU time only, which
    other processes' load on a shared machine does not inflate (for CPU-bound figures)."""
    times: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(rounds):
        for name, (fn, number) in subjects.items():
            start = clock()
            for _ in range(number):
                fn()
            times[name].append((clock() - start) / number * 1e6)
    return times


def median_ratio(top: list[float], bottom: list[float]) -> float:
    """The median over rounds of ``top / bottom`` (each round's own ratio)."""
    return statistics.median(t / b for t, b in zip(top, bottom, strict=True))


def import_ms(codes: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Median wall time in ms of ``python -c code`` for each of ``codes``, run in turn."""

    def run(source: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", source], check=True, cwd=ROOT, env=env)
        return (time.perf_counter() - start) * 1e3

    for code in codes:  # a warm-up: writes the bytecode cache where the environment allows it
        run(code)
    times: list[list[float]] = [[] for _ in codes]
    for _ in range(runs):
        for index, code in enumerate(codes):
            times[index].append(run(code))
    return [statistics.median(t) for t in times]


def import_line(label: str, ours: str, theirs: str, runs: int = 15) -> str:
    """One import-cost comparison, interpreter start-up subtracted from both sides.

    Measured as installed code runs, with Python's bytecode cache (``__pycache__``; a wheel's
    installer compiles it, an editable install writes it on first import), and, for comparison,
    with every module compiled from source on each import (``PYTHONDONTWRITEBYTECODE=1``, which
    this machine's environment sets): pydantic's bytecode is cached by its installer either way.
    """
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    ratios = []
    for env in (cached, {**cached, "PYTHONDONTWRITEBYTECODE": "1"}):
        ours_ms, theirs_ms, bare_ms = import_ms([ours, theirs, "pass"], runs, env)
        ratios.append(((ours_ms - bare_ms) / (theirs_ms - bare_ms), ours_ms, theirs_ms, bare_ms))
    ratio, ours_ms, theirs_ms, bare_ms = ratios[0]
    return (
        f"{label} `{ours}` {ours_ms - bare_ms:6.1f} ms vs `{theirs}` {theirs_ms - bare_ms:6.1f} ms"
        f" (start-up {bare_ms:.1f} ms subtracted) -> {ratio:.2f}x (target <= 2x: "
        f"{verdict(ratio <= 2)}); whole processes {ours_ms / theirs_ms:.2f}x; compiling the"
        f" package from source on every import: {ratios[1][0]:.2f}x"
    )


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def fixture_args() -> tuple[Any, ...]:
    """``build_kpis_v7``'s arguments from fixture 01 (as the executor calls it, with run_mode)."""
    fixture = json.loads(FIXTURE.read_text())
    return (fixture["now_ts"], fixture["nav"], fixture["risk"], fixture["router"],
            fixture["expectancy"])


def contract_lines(state_dir: Path, rounds: int) -> list[str]:
    """Figures (a), (b) and (c)."""
    import jsonschema

    from kpi_contract.build import build_kpis_v7
    from kpi_contract.models import KpisV7
    from kpi_contract.publish import encode_kpis
    from kpi_contract.schema import load_schema
    from kpi_contract.validation import validate_document
    from kpi_contract.writer import write_atomic

    args = fixture_args()

    def build() -> object:
        return build_kpis_v7(*args, run_mode="live")

    model = build()
    data, violations = encode_kpis(model)
    if data is None:
        raise AssertionError(f"benchmark payload is invalid: {violations}")

    def pipeline() -> bytes | None:
        return encode_kpis(build_kpis_v7(*args, run_mode="live"))[0]

    # The document build_kpis_v7 hands to the model (ts a datetime).
    built = build_kpis_v7(*args, run_mode="live").model_dump()

    def floor() -> bytes | None:
        """The pipeline without the rules: the validated model, then validate + serialise."""
        return encode_kpis(KpisV7.__pydantic_validator__.validate_python(built))[0]

    document = json.loads(data)
    schema = load_schema()
    target = state_dir / "kpis_v7.json"

    def durable_write() -> None:
        if not write_atomic(target, data).ok:
            raise AssertionError(f"benchmark write to {target} failed")

    times = side_by_side({
        "pipeline": (pipeline, 300),
        "build": (build, 300),
        "encode": (lambda: encode_kpis(model), 1000),
        "floor": (floor, 300),
        "write": (durable_write, 30),
    }, rounds)
    pipeline_us, build_us, encode_us, write_us = (
        statistics.median(times[name]) for name in ("pipeline", "build", "encode", "write"))
    share = median_ratio(times["pipeline"], times["write"])
    floor_us = statistics.median(times["floor"])
    floor_share = median_ratio(times["floor"], times["write"])
    rules_us = statistics.median(p - f for p, f in zip(times["pipeline"], times["floor"],
                                                       strict=True))
    budget_us = statistics.median(0.05 * w - f for w, f in zip(times["write"], times["floor"],
                                                               strict=True))
    ours_us = per_call_us(lambda: validate_document(document), 2000)
    reference_us = per_call_us(lambda: jsonschema.validate(document, schema), 20)
    speedup = reference_us / ours_us
    return [
        f"payload: {len(data)} bytes from {FIXTURE.name}; state dir {state_dir}; "
        f"medians of {rounds} alternating rounds",
        f"(a) build+validate+serialise {pipeline_us:8.1f} us vs durable write {write_us:8.1f} us"
        f" -> {share:.1%} of the write (target <= 5%: {verdict(share <= 0.05)});"
        f" of which build {build_us:.1f} us"
        f" ({median_ratio(times['build'], times['write']):.1%}),"
        f" validate+serialise {encode_us:.1f} us"
        f" ({median_ratio(times['encode'], times['write']):.1%}; wall time)",
        f"(a-floor) the same pipeline without the rules (the validated model, then validate +"
        f" serialise) {floor_us:.1f} us = {floor_share:.1%} of the write: at 5% the rules of all"
        f" KPI groups and the document's layout would have {budget_us:.1f} us; they take"
        f" {rules_us:.1f} us (wall time)",
        f"(b) package validation {ours_us:8.2f} us vs jsonschema.validate {reference_us:8.1f} us"
        f" -> {speedup:.0f}x faster (target >= 20x: {verdict(speedup >= 20)})",
        import_line("(c)", "import kpi_contract", "import pydantic"),
        import_line("(c')", "from kpi_contract import build_kpis_v7, publish_kpis",
                    "from pydantic import BaseModel"),
    ]


def group_lines(rounds: int) -> list[str]:
    """Figure (a-groups): fixture 01's cost per KPI group, serialise and validate, in us."""
    from kpi_contract import build
    from kpi_contract._nav import nav_kpis
    from kpi_contract._performance import performance_kpis
    from kpi_contract._risk import risk_kpis
    from kpi_contract._router import router_kpis
    from kpi_contract.publish import encode_kpis

    now_ts, nav, risk, router, expectancy = args = fixture_args()
    model = build.build_kpis_v7(*args, run_mode="live")
    times = side_by_side({
        "nav": (lambda: nav_kpis(nav, now_ts), 2000),
        "risk": (lambda: risk_kpis(risk), 2000),
        "router (+ counts)": (lambda: router_kpis(router, risk), 1000),
        "performance (+ count)": (lambda: performance_kpis(expectancy, risk), 1000),
        "run_mode + ts": (lambda: (build._run_mode("live"), build._timestamp(now_ts)), 2000),
        "whole build": (lambda: build.build_kpis_v7(*args, run_mode="live"), 500),
        "serialise": (lambda: model.__pydantic_serializer__.to_json(model), 2000),
        "serialise + validate": (lambda: encode_kpis(model), 1000),
    }, rounds, time.process_time)
    us = {name: statistics.median(values) for name, values in times.items()}
    parts = ("nav", "risk", "router (+ counts)", "performance (+ count)", "run_mode + ts")
    us["assembly + model"] = us["whole build"] - sum(us[name] for name in parts)
    encode = us.pop("serialise + validate")
    us["validate"] = encode - us["serialise"]
    whole = us.pop("whole build")
    cells = ", ".join(f"{name} {value:.1f}" for name, value in us.items())
    return [
        f"(a-groups) fixture 01, CPU us: {cells} (build {whole:.1f}); serialise + validate "
        f"{encode:.1f} us (target <= 10 us: {verdict(encode <= 10)})"
    ]


def scale_lines(rounds: int) -> list[str]:
    """Figure (a-scale): the builder at 1, 10, 100 and 1,000 router symbols."""
    from kpi_contract.build import build_kpis_v7

    sizes = (1, 10, 100, 1000)
    inputs = {n: scaled_inputs(n) for n in sizes}
    def builder(args: tuple[Any, ...]) -> Callable[[], object]:
        return lambda: build_kpis_v7(*args, run_mode="live")

    times = side_by_side({str(n): (builder(inputs[n]), max(3, 2000 // n)) for n in sizes},
                         rounds, time.process_time)
    us = {n: statistics.median(times[str(n)]) for n in sizes}
    slope = (us[1000] - us[1]) / 999
    cells = ", ".join(f"{n}: {us[n]:.1f}" for n in sizes)
    return [
        f"(a-scale) build at N router symbols (CPU us) {cells} -> {slope:.2f} us per symbol, "
        f"{slope / us[1]:.3f} of the 1-symbol build (target <= 2.5 us per symbol, 4x below "
        f"the 10 us before issue 10: {verdict(slope <= 2.5)})"
    ]


def scaled_inputs(n: int) -> tuple[Any, ...]:
    """Fixture 01 with ``n`` router symbols: variant B entries (``per_symbol`` and its ``symbols``
    twin), a ``symbol_stats`` entry and a mature expectancy symbol for each, summary counts to
    match (all like the fixture's BTCUSDT)."""
    fixture = json.loads(FIXTURE.read_text())
    router, expectancy = fixture["router"], fixture["expectancy"]
    entry, stats = router["per_symbol"][0], router["symbol_stats"]["BTCUSDT"]
    mature = expectancy["symbols"]["BTCUSDT"]
    symbols = [f"S{i:04d}USDT" for i in range(n)]
    router["per_symbol"] = [{**copy.deepcopy(entry), "symbol": s} for s in symbols]
    router["symbols"] = copy.deepcopy(router["per_symbol"])
    router["symbol_stats"] = {s: copy.deepcopy(stats) for s in symbols}
    router["summary"].update(count=n, maker_first_enabled=n,
                             quality_counts={"good": n, "ok": 0, "degraded": 0, "broken": 0})
    expectancy["symbols"] = {s: copy.deepcopy(mature) for s in symbols}
    return (fixture["now_ts"], fixture["nav"], fixture["risk"], router, expectancy)


def review_line(runs: int = 5) -> str:
    """Figure (d): the review of the kpis_v7 schema against its release, in ms."""
    from kpi_contract.review import load_schema_file, review_pair
    from kpi_contract.review.releases import default_pair

    old_path, new_path = default_pair(ROOT)

    def review() -> None:
        review_pair(load_schema_file(old_path), load_schema_file(new_path))

    review()
    in_process_ms = statistics.median(
        _timed(review) for _ in range(runs)) * 1e3
    command_ms = statistics.median(_timed(lambda: subprocess.run(
        [sys.executable, "-m", "kpi_contract.review", "--format", "json"], cwd=ROOT,
        check=False, capture_output=True)) for _ in range(3)) * 1e3
    worst = max(in_process_ms, command_ms)
    return (
        f"(d) review {old_path.name} -> {new_path.name}: {in_process_ms:6.1f} ms in process, "
        f"{command_ms:6.1f} ms as a command with start-up (target < 1000 ms: "
        f"{verdict(worst < 1000)})"
    )


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="kpi-contract benchmark (prints ratios)")
    parser.add_argument("--state-dir", type=Path, default=ROOT / "logs" / "state",
                        help="a directory on the state directory's disk (default: logs/state)")
    parser.add_argument("--rounds", type=int, default=15,
                        help="alternating rounds per side-by-side figure (default: 15)")
    parser.add_argument("--skip-execution", action="store_true",
                        help="only the contract figures (a)-(d)")
    args = parser.parse_args(argv)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {_load()}", flush=True)
    with tempfile.TemporaryDirectory(dir=args.state_dir, prefix="bench-") as scratch:
        for line in contract_lines(Path(scratch), args.rounds):
            print(line, flush=True)
    for line in (*group_lines(args.rounds), *scale_lines(args.rounds)):
        print(line, flush=True)
    print(review_line(), flush=True)
    if not args.skip_execution:
        sys.path.insert(0, str(Path(__file__).parent))
        import bench_execution

        for line in bench_execution.run():
            print(line, flush=True)
    print(f"load average at end: {_load()}", flush=True)
    return 0


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} CPUs"


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: the contract's costs measured side by side, printed as ratios.

Run ``.venv/bin/python scripts/bench.py`` (after ``scripts/setup_env.sh``). Every ratio compares two
things measured in the same run, alternately, on the same payload and the same disk, so machine
speed cancels out. Targets (issue 2):

(a) build + validate + serialise <= 5% of one durable atomic write of the same bytes;
(b) the package's validation >= 20x faster than ``jsonschema.validate(instance, schema)``;
(c) ``import kpi_contract`` <= 2x ``import pydantic``. The package loads its names lazily, so
    (c') also compares importing what a publisher uses (the builder and the validating writer,
    i.e. pydantic's model machinery and jsonschema-rs) with ``from pydantic import BaseModel``.

(d) The bump review of the current kpis_v7 schema against its newest frozen release (issue 13):
    under one second, in process and as the ``python -m kpi_contract.review`` command.

The executor-side figures (issue 3) come from ``scripts/bench_execution.py`` and are appended.
Timings are medians; tests never assert them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

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


def import_ms(code: str, runs: int) -> tuple[float, float]:
    """Median wall time of ``python -c code`` and of ``python -c pass``, in ms."""

    def run(source: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", source], check=True, cwd=ROOT)
        return (time.perf_counter() - start) * 1e3

    code_times, bare_times = [], []
    for _ in range(runs):
        code_times.append(run(code))
        bare_times.append(run("pass"))
    return statistics.median(code_times), statistics.median(bare_times)


def import_line(label: str, ours: str, theirs: str, runs: int = 15) -> str:
    """One import-cost comparison, interpreter start-up subtracted from both sides."""
    ours_ms, bare_ms = import_ms(ours, runs)
    theirs_ms, _ = import_ms(theirs, runs)
    ratio = (ours_ms - bare_ms) / (theirs_ms - bare_ms)
    return (
        f"{label} `{ours}` {ours_ms - bare_ms:6.1f} ms vs `{theirs}` {theirs_ms - bare_ms:6.1f} ms"
        f" (start-up {bare_ms:.1f} ms subtracted) -> {ratio:.2f}x (target <= 2x: "
        f"{verdict(ratio <= 2)}); whole processes {ours_ms / theirs_ms:.2f}x"
    )


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def contract_lines(state_dir: Path) -> list[str]:
    """Figures (a), (b) and (c)."""
    import jsonschema

    from kpi_contract.build import build_kpis_v7
    from kpi_contract.schema import load_schema
    from kpi_contract.serialize import dump_document, model_document
    from kpi_contract.validation import validate_bytes, validate_document
    from kpi_contract.writer import write_atomic

    fixture = json.loads(FIXTURE.read_text())
    args = (fixture["now_ts"], fixture["nav"], fixture["risk"], fixture["router"],
            fixture["expectancy"])

    def pipeline() -> bytes:
        data = dump_document(model_document(build_kpis_v7(*args)))
        if validate_bytes(data):
            raise AssertionError("benchmark payload is invalid")
        return data

    data = pipeline()
    document = json.loads(data)
    schema = load_schema()
    target = state_dir / "kpis_v7.json"

    def durable_write() -> None:
        if not write_atomic(target, data).ok:
            raise AssertionError(f"benchmark write to {target} failed")

    pipeline_us = per_call_us(pipeline, 500)
    build_us = per_call_us(lambda: build_kpis_v7(*args), 500)
    write_us = per_call_us(durable_write, 50)
    ours_us = per_call_us(lambda: validate_document(document), 2000)
    reference_us = per_call_us(lambda: jsonschema.validate(document, schema), 20)
    share = pipeline_us / write_us
    speedup = reference_us / ours_us
    return [
        f"payload: {len(data)} bytes from {FIXTURE.name}; state dir {state_dir}",
        f"(a) build+validate+serialise {pipeline_us:8.1f} us vs durable write {write_us:8.1f} us"
        f" -> {share:.1%} of the write (target <= 5%: {verdict(share <= 0.05)});"
        f" of which build {build_us:.1f} us, validate+serialise {pipeline_us - build_us:.1f} us"
        f" ({(pipeline_us - build_us) / write_us:.1%})",
        f"(b) package validation {ours_us:8.2f} us vs jsonschema.validate {reference_us:8.1f} us"
        f" -> {speedup:.0f}x faster (target >= 20x: {verdict(speedup >= 20)})",
        import_line("(c)", "import kpi_contract", "import pydantic"),
        import_line("(c')", "from kpi_contract import build_kpis_v7, publish_kpis",
                    "from pydantic import BaseModel"),
    ]


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
    parser.add_argument("--skip-execution", action="store_true",
                        help="only the contract figures (a)-(c)")
    args = parser.parse_args(argv)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.state_dir, prefix="bench-") as scratch:
        for line in contract_lines(Path(scratch)):
            print(line, flush=True)
    print(review_line(), flush=True)
    if not args.skip_execution:
        sys.path.insert(0, str(Path(__file__).parent))
        import bench_execution

        for line in bench_execution.run():
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

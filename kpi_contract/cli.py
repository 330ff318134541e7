"""The ``kpi-contract`` command line: validate, build, schema, review, dashboard, fleet.

This is the one place where errors become messages and exit codes:

- 0: success;
- 1: a document is invalid (``validate``); the declared schema bump is too small, or the review's
  rules and its sampled witnesses disagree (a tool error) (``review``);
- 2: usage or I/O error (unknown option, missing file, unreadable or non-JSON input).

Every error is one line, ``FILE::$.json.path: message``, on stderr; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from typing import Any

from kpi_contract import jsonio
from kpi_contract.build import RUN_MODES, build_kpis_v7
from kpi_contract.console import (
    OneLineArgumentParser,
    say,
    say_line,
    setup,
    silence_stdout,
    warn,
)
from kpi_contract.dashboard.command import register as register_dashboard
from kpi_contract.errors import KpiContractError, Violation
from kpi_contract.fleet_command import register as register_fleet
from kpi_contract.publish import publish_kpis
from kpi_contract.review.command import register as register_review
from kpi_contract.schema import SCHEMA_VERSION, schema_path
from kpi_contract.serialize import dump_document, model_document
from kpi_contract.snapshot_fixture import load_fixture
from kpi_contract.validation import validate_bytes

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


_Parser = OneLineArgumentParser


# --- validate ----------------------------------------------------------------------------------

def _cmd_validate(args: argparse.Namespace) -> int:
    results: list[dict[str, Any]] = []
    valid_lines: list[str] = []  # each valid file with the version it declared when read
    worst = EXIT_OK
    for name in args.files:
        try:
            data = jsonio.read_bytes(name)
            violations = validate_bytes(data)
        except jsonio.JsonInputError as exc:
            if exc.kind != "too_large":  # the file cannot be read: an I/O error
                results.append({"filename": name, "status": "error",
                                "errors": [{"path": "$", "message": exc.reason}]})
                warn(str(exc))
                worst = EXIT_USAGE
                continue
            violations = [Violation("$", exc.reason)]  # too large to be a kpis_v7 document
        results.append(_validation_result(name, violations))
        if not violations:  # valid, so strict JSON with a schema_version string
            valid_lines.append(f"{name}: {_valid_line(json.loads(data)['schema_version'])}")
        for violation in violations:
            warn(violation.render(name))
        if violations and worst == EXIT_OK:
            worst = EXIT_INVALID
    if args.format == "json":
        status = {EXIT_OK: "ok", EXIT_INVALID: "invalid", EXIT_USAGE: "error"}[worst]
        say(json.dumps({"status": status, "files": results}, indent=2))
    else:
        for line in valid_lines:
            say_line(line)
    return worst


def _valid_line(version: str) -> str:
    """``valid kpis_v7 X.Y.Z`` with the payload's own version; a payload of another 7.x
    version (an older one this schema accepts, or a newer one whose fields it knows) also names
    the schema it was checked against."""
    if version == SCHEMA_VERSION:
        return f"valid kpis_v7 {version}"
    return f"valid kpis_v7 {version} (checked against schema {SCHEMA_VERSION})"


def _validation_result(name: str, violations: list[Violation]) -> dict[str, Any]:
    return {
        "filename": name,
        "status": "invalid" if violations else "ok",
        "errors": [{"path": v.json_path, "message": v.message} for v in violations],
    }


# --- build -------------------------------------------------------------------------------------

def _cmd_build(args: argparse.Namespace) -> int:
    if args.fixture is not None:
        fixture = load_fixture(args.fixture)
        now_ts = fixture["now_ts"] if args.now is None else args.now
        inputs = [fixture.get(key) for key in ("nav", "risk", "router", "expectancy")]
        run_mode = fixture.get("run_mode") if args.run_mode is None else args.run_mode
        if run_mode is not None and run_mode not in RUN_MODES:
            warn(f"{args.fixture}::$.run_mode: must be one of {', '.join(RUN_MODES)} or null, "
                 f"got {json.dumps(run_mode)[:40]}")
            return EXIT_USAGE
    else:
        now_ts = time.time() if args.now is None else args.now
        inputs = [None if f is None else jsonio.load(f)
                  for f in (args.nav, args.risk, args.router, args.expectancy)]
        run_mode = args.run_mode
    try:
        kpis = build_kpis_v7(now_ts, *inputs, run_mode=run_mode)
    except (TypeError, ValueError) as exc:
        where = f"{args.fixture}::$.now_ts" if args.now is None else "kpi-contract build: --now"
        warn(f"{where}: {exc}")
        return EXIT_USAGE
    if args.out is None:
        say(dump_document(model_document(kpis)).decode(), end="")
        return EXIT_OK
    result = publish_kpis(args.out, kpis)  # a str: an empty one is refused, not "."
    if not result.ok:
        warn(result.describe())
        return EXIT_INVALID if result.violations else EXIT_USAGE
    say_line(f"{args.out}: wrote {result.bytes_written} bytes (kpis_v7 {SCHEMA_VERSION})")
    return EXIT_OK


SNAPSHOT_OPTIONS = ("--nav", "--risk", "--router", "--expectancy")
_INDENT = "\n" + " " * len("usage: kpi-contract build ")
BUILD_USAGE = (
    "%(prog)s [-h] [--fixture FILE | [--nav FILE] [--risk FILE] [--router FILE]" + _INDENT
    + "[--expectancy FILE]] [--now EPOCH_S]" + _INDENT
    + "[--run-mode {" + ",".join(RUN_MODES) + "}] [--out FILE]"
)
"""``build``'s usage line: ``--fixture`` or any of the four snapshot files, not both."""


# --- schema ------------------------------------------------------------------------------------

def _cmd_schema(args: argparse.Namespace) -> int:
    path = schema_path()
    if args.path:
        say(str(path))
    else:
        say(jsonio.read_bytes(path).decode(), end="")
    return EXIT_OK


# --- entry point -------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(prog="kpi-contract", description="The kpis_v7 KPI contract.")
    parser.add_argument("--version", action="version", version=f"kpis_v7 schema {SCHEMA_VERSION}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    validate = commands.add_parser("validate", help="validate kpis_v7 files against the schema")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.set_defaults(func=_cmd_validate)

    # argparse's mutually exclusive groups cannot say "--fixture, or any of the four snapshot
    # files": the usage line says it, and main() refuses the mix in one line (exit 2).
    build = commands.add_parser(
        "build", help="build a kpis_v7 payload from snapshot files", usage=BUILD_USAGE,
        description="Build a kpis_v7 payload from one snapshot fixture, or from snapshot files "
        "(any of them; one not given is None: its KPIs are null, missing). Not both.")
    fixture = build.add_argument_group("either one fixture")
    fixture.add_argument("--fixture", metavar="FILE", help="a snapshot fixture file (now_ts, "
                         "the four snapshots, run_mode); not with " + ", ".join(SNAPSHOT_OPTIONS))
    snapshots = build.add_argument_group("or snapshot files (not with --fixture)")
    snapshots.add_argument("--nav", metavar="FILE", help="nav.json or a nav_health snapshot")
    snapshots.add_argument("--risk", metavar="FILE", help="risk_snapshot.json")
    snapshots.add_argument("--router", metavar="FILE", help="router_health.json")
    snapshots.add_argument("--expectancy", metavar="FILE", help="expectancy_v6.json")
    build.add_argument("--now", type=float, metavar="EPOCH_S",
                       help="build time (default: the fixture's now_ts, else the current time)")
    build.add_argument("--run-mode", choices=RUN_MODES,
                       help="what produced the snapshots (default: the fixture's run_mode, else "
                       "none: run_mode is null, reason missing)")
    build.add_argument("--out", metavar="FILE", help="publish to FILE (validated atomic write) "
                       "instead of printing to stdout")
    build.set_defaults(func=_cmd_build)

    schema = commands.add_parser("schema", help="print the kpis_v7 schema (or its path)")
    schema.add_argument("--path", action="store_true", help="print the file's path instead")
    schema.set_defaults(func=_cmd_schema)

    register_review(commands)
    register_dashboard(commands)
    register_fleet(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    setup()
    args = build_parser().parse_args(argv)
    if args.command == "build" and args.fixture is not None:
        mixed = [o for o in SNAPSHOT_OPTIONS if getattr(args, o.removeprefix("--")) is not None]
        if mixed:
            warn(f"kpi-contract build: error: --fixture cannot be combined with "
                 f"{', '.join(mixed)} (see --help)")
            return EXIT_USAGE
    try:
        code: int = args.func(args)
    except KpiContractError as exc:
        warn(str(exc))
        return EXIT_USAGE
    except BrokenPipeError:  # a subcommand printing to a reader that went away (review)
        silence_stdout()
        return EXIT_OK
    return code


if __name__ == "__main__":
    raise SystemExit(main())

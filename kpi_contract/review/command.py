"""The ``review`` subcommand: ``kpi-contract review [OLD NEW] [--format markdown|json]``.

Without files it reviews the newest frozen release against the current schema of ``--root``.
``--gate`` runs the whole CI gate on ``--root`` instead. Exit codes: 0 the declared version
satisfies the changes (or the gate passes), 1 it does not (or the tool contradicted itself, or
ran out of stack), 2 usage errors and schema files the review cannot use (unreadable, not a
2020-12 schema, a ``$ref`` pointing nowhere or in a cycle that never goes down into the payload),
each as one ``FILE::$.json.path: message`` line on stderr.

Output goes through :mod:`kpi_contract.console`: a closed stdout (``>&-``), a reader that went
away (``| head -1``) or a full disk (``> /dev/full``) drops the report but never the verdict:
the exit code is the same as with the report printed, and there is no traceback.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from kpi_contract.console import say, say_line, warn
from kpi_contract.errors import KpiContractError
from kpi_contract.review.gate import run_gate
from kpi_contract.review.loading import load_schema_file
from kpi_contract.review.releases import default_pair, display
from kpi_contract.review.render_json import render_json
from kpi_contract.review.render_markdown import render_markdown
from kpi_contract.review.review import review_pair

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
HELP = "review a schema change: findings, witnesses, required against declared bump"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the review's arguments to a parser and make :func:`run` its handler."""
    parser.add_argument(
        "schemas", nargs="*", metavar="SCHEMA",
        help="OLD NEW schema files (default: the newest release in schemas/releases against "
             "the current schemas/kpis_vN.schema.json)",
    )
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown",
                        help="markdown for reviewers (default), json for CI")
    parser.add_argument("--root", default=".", metavar="DIR",
                        help="repository root for the default pair and --gate (default: .)")
    parser.add_argument("--gate", action="store_true",
                        help="run the whole CI gate on --root instead of one review")
    parser.set_defaults(func=run)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``review`` subcommand to a ``kpi-contract`` subparsers object."""
    parser = subparsers.add_parser("review", help=HELP, description=HELP)
    configure(parser)


def run(args: argparse.Namespace) -> int:
    """Run the review (or the gate); print the report; return the exit code."""
    try:
        if args.gate:
            return _gate(Path(args.root), args.format)
        return _review(args)
    except KpiContractError as exc:
        warn(str(exc))
        return EXIT_USAGE
    except RecursionError:
        # The last guard, not the rule. Loading refuses what made Python's stack run out (a
        # $ref cycle that never goes down into the payload, nesting beyond
        # normalize.MAX_NESTING), each as a one-line schema file error (exit 2). The review then
        # hands both schemas to python-jsonschema, referencing and its own samplers, whose
        # recursion no bound checked here proves finite for every input; should one still run
        # out of stack, that is the tool failing on an input it accepted: the README's one line
        # and exit 1 (a review tool error), never a 2,000-line traceback.
        warn(f"kpi-contract review: error: {_inputs(args)}: Python's recursion limit was "
             "reached while reviewing (a review tool error: please report these schemas)")
        return EXIT_FAIL


def _inputs(args: argparse.Namespace) -> str:
    """What the failed run was reviewing: the two files, or the repository root."""
    if args.gate or len(args.schemas) != 2:
        return f"--root {args.root}"
    return " -> ".join(args.schemas)


def _review(args: argparse.Namespace) -> int:
    root = Path(args.root)
    if len(args.schemas) == 2:
        old_path, new_path = (Path(p) for p in args.schemas)
        old = load_schema_file(old_path, args.schemas[0])
        new = load_schema_file(new_path, args.schemas[1])
    elif not args.schemas:
        old_path, new_path = default_pair(root)
        old = load_schema_file(old_path, display(old_path, root))
        new = load_schema_file(new_path, display(new_path, root))
    else:
        warn("kpi-contract review: error: give both OLD and NEW schema files, or neither")
        return EXIT_USAGE
    result = review_pair(old, new)
    text = render_json(result) if args.format == "json" else render_markdown(result)
    say(text, end="")
    return result.exit_code


def _gate(root: Path, output: str) -> int:
    if not root.is_dir():
        warn(f"{root}::$: not a directory")
        return EXIT_USAGE
    failures = run_gate(root)
    if output == "json":
        document = {
            "status": "fail" if failures else "ok",
            "failures": [{"check": f.check, "message": f.message} for f in failures],
        }
        say(json.dumps(document, indent=2))
    elif failures:
        for failure in failures:
            say_line(f"gate: {failure}")
    else:
        say_line(f"gate: passed ({root})")
    return EXIT_FAIL if failures else EXIT_OK

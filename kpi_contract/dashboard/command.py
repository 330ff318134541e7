"""The ``dashboard`` subcommand: serve the packaged KPI page with ``streamlit run``.

    kpi-contract dashboard [--state-dir DIR | --fleet-url s3://BUCKET/PREFIX] [--port N]
                           [--refresh-s S] [--max-age-s S]

It checks its arguments and that the ``dashboard`` extra is installed, prints one line saying what
it serves where, then replaces itself with the Streamlit server (``os.execve``: Ctrl-C and SIGTERM
reach Streamlit directly, and its exit code is the command's). Exit 2 with one line on stderr for
a usage problem, a missing extra or a port already in use. The state directory need not exist
yet: the page then says the file is missing until the executor's mirror creates it.

``--fleet-url`` (issue 11) serves the fleet table of an S3 prefix instead (one row per executor
that ``execution.sync_state --mirror-url`` mirrors there), which also needs the ``s3`` extra.
The store is not contacted before the page asks: a bucket that does not exist or refused
credentials are shown on the page (and fixed without a restart), like a missing state file.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import os
import socket
from pathlib import Path
from typing import Any

from kpi_contract.console import say_line, warn
from kpi_contract.dashboard.launch import (
    DEFAULT_PORT,
    DEFAULT_REFRESH_S,
    DEFAULT_STATE_DIR,
    LOOPBACK,
    PageSettings,
    streamlit_command,
)
from kpi_contract.s3 import parse_s3_url
from kpi_contract.staleness import (
    DEFAULT_MAX_AGE_S,
    MAX_REFRESH_S,
    seconds_argument,
    seconds_up_to,
)

EXIT_USAGE = 2
HELP = ("serve the KPI panel (Streamlit) for a mirrored state directory, or the fleet table of an "
        "s3:// prefix, on 127.0.0.1")
MISSING_EXTRA = ("kpi-contract dashboard: error: Streamlit is not installed; install the "
                 "extra: pip install 'kpi-contract[dashboard]'")
MISSING_S3_EXTRA = ("kpi-contract dashboard: error: --fleet-url needs boto3; install the extra: "
                    "pip install 'kpi-contract[s3]'")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``dashboard`` subcommand to a ``kpi-contract`` subparsers object."""
    parser = subparsers.add_parser("dashboard", help=HELP, description=HELP)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--state-dir", default=DEFAULT_STATE_DIR, metavar="DIR",
                        help=f"the mirrored state directory (default: {DEFAULT_STATE_DIR})")
    source.add_argument("--fleet-url", type=_fleet_url, default=None, metavar="URL",
                        help="s3://BUCKET/PREFIX: show one row per executor mirrored under it "
                             "(needs kpi-contract[s3]) instead of one state directory")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="N",
                        help=f"loopback port to serve on (default: {DEFAULT_PORT})")
    parser.add_argument("--refresh-s", type=seconds_up_to(MAX_REFRESH_S),
                        default=DEFAULT_REFRESH_S, metavar="S",
                        help=f"seconds between re-reads of the file, at most {MAX_REFRESH_S:g} "
                             f"(default: {DEFAULT_REFRESH_S:g})")
    parser.add_argument("--max-age-s", type=seconds_argument, default=DEFAULT_MAX_AGE_S,
                        metavar="S",
                        help=f"a file older than this is shown as stale (default: "
                             f"{DEFAULT_MAX_AGE_S:g})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:  # noqa: RET503 (ends in os.execve: never returns)
    """Check, announce, and exec the Streamlit server (returns only on an error)."""
    if importlib.util.find_spec("streamlit") is None:
        warn(MISSING_EXTRA)
        return EXIT_USAGE
    if args.fleet_url is not None and importlib.util.find_spec("boto3") is None:
        warn(MISSING_S3_EXTRA)
        return EXIT_USAGE
    state_dir = Path(args.state_dir).absolute()
    if args.fleet_url is None and state_dir.exists() and not state_dir.is_dir():
        warn(f"{args.state_dir}::$: --state-dir is not a directory")
        return EXIT_USAGE
    settings = PageSettings(state_dir, args.refresh_s, args.max_age_s, args.fleet_url)
    problem = _port_problem(args.port)
    if problem is not None:
        warn(f"kpi-contract dashboard: error: {LOOPBACK}:{args.port}: {problem}")
        return EXIT_USAGE
    what = f"fleet {settings.fleet_url}" if settings.fleet_url else str(settings.kpi_path)
    say_line(f"kpi-contract dashboard: {what} on http://{LOOPBACK}:{args.port}/ "
             f"(re-read every {settings.refresh_s:g} s; Ctrl-C stops)")
    command = streamlit_command(args.port)
    os.execve(command[0], command, {**os.environ, **settings.environ()})


def _port_problem(port: int) -> str | None:
    """Why the server could not listen on the loopback ``port``, or None when it can (checked
    the way the server binds: SO_REUSEADDR, so a port in TIME_WAIT counts as free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError as exc:
            return "port already in use" if exc.errno == errno.EADDRINUSE else (
                exc.strerror or str(exc))
    return None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port (1-65535): {text!r}")
    return port


def _fleet_url(text: str) -> str:
    try:
        parse_s3_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text

"""``python -m kpi_contract.review``: the review subcommand on its own."""

from __future__ import annotations

import argparse

from kpi_contract.review.command import HELP, configure

parser = argparse.ArgumentParser(prog="python -m kpi_contract.review", description=HELP)
configure(parser)
arguments = parser.parse_args()
raise SystemExit(arguments.func(arguments))

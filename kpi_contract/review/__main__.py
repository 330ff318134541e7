"""``python -m kpi_contract.review``: the review subcommand on its own.

Like ``kpi-contract review``: one-line usage errors, and a closed or broken stdout never gives a
traceback (:mod:`kpi_contract.console`).
"""

from __future__ import annotations

from kpi_contract.console import OneLineArgumentParser, setup
from kpi_contract.review.command import HELP, configure

setup()
parser = OneLineArgumentParser(prog="python -m kpi_contract.review", description=HELP)
configure(parser)
arguments = parser.parse_args()
raise SystemExit(arguments.func(arguments))

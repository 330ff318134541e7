"""``python -m kpi_contract``: the same command line as the ``kpi-contract`` script."""

from kpi_contract.cli import main

raise SystemExit(main())

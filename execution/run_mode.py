"""What produced this run's payloads: ``run_mode`` for ``kpis_v7.json`` (schema 7.1.0, issue 9).

The builder never guesses a run mode; its caller declares it. The executor knows it from how it
was started, and this is the one place that reads those signals:

==========================  ===========  =====================================================
started with                run mode     why
==========================  ===========  =====================================================
``--replay DIR``            ``replay``   recorded snapshots published again, whatever the flags
``DRY_RUN=1``               ``dry_run``  simulated orders; ``BINANCE_TESTNET=1`` beside it changes
                                         nothing, since no order reaches the testnet either
``BINANCE_TESTNET=1`` only  ``testnet``  a real executor trading on the testnet (not this package:
                                         the dry-run executor refuses to run without ``DRY_RUN=1``)
neither                     None         never ``live`` by default: a live executor must pass
                                         ``run_mode="live"`` itself
==========================  ===========  =====================================================

A flag counts only when it is exactly ``"1"``, as ``DRY_RUN`` does for the refusal.
"""

from __future__ import annotations

from collections.abc import Mapping

from kpi_contract.build import RunMode


def run_mode_for(environ: Mapping[str, str], *, replay: bool) -> RunMode | None:
    """The run mode the environment and the ``--replay`` option declare (table above)."""
    if replay:
        return "replay"
    if environ.get("DRY_RUN") == "1":
        return "dry_run"
    if environ.get("BINANCE_TESTNET") == "1":
        return "testnet"
    return None

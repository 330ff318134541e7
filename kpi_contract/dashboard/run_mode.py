"""What produced the payload, as the panel's header says it: ``run_mode`` (kpis_v7 7.1.0, issue 9).

An investor must never read simulated results as real trading. The header therefore names the
run mode in words before any KPI: ``LIVE`` (real orders, real money) or one of the modes that are
not live trading (``TESTNET``, ``DRY RUN``, ``REPLAY``), each with what it means. A payload that
does not say (``run_mode`` null, with its reason, or a 7.0.0 payload, which predates the field)
is ``RUN MODE UNKNOWN``: it is never presented as live. A mode a later 7.x adds to the
vocabulary is shown by its name and is not live (only ``live`` is).

The meanings restate the schema's description of ``run_mode``; which mode is which is the
schema's closed vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

RUN_MODE_PATH = "run_mode"
LIVE = "live"

# value -> (title, what it means for someone reading the KPIs)
MODES: dict[str, tuple[str, str]] = {
    LIVE: ("LIVE", "real orders with real money on the production exchange"),
    "testnet": ("TESTNET", "real orders on the exchange's test network: no real money, "
                           "not live results"),
    "dry_run": ("DRY RUN", "simulated orders, nothing sent to an exchange: not live results"),
    "replay": ("REPLAY", "recorded snapshots published again: not live results"),
}
UNKNOWN_TITLE = "RUN MODE UNKNOWN"


@dataclass(frozen=True)
class RunModeView:
    """The run mode as the header shows it.

    ``value``: the payload's ``run_mode`` (None when null or absent); ``live``: True only for
    ``live``, False for any other mode, None when the payload does not say; ``title``: the
    header word (``LIVE``, ``DRY RUN``, ..., ``RUN MODE UNKNOWN``); ``meaning``: one sentence;
    ``reason``: why there is no value (``missing``, ``not in 7.0.0``), else None.
    """

    value: str | None
    live: bool | None
    title: str
    meaning: str
    reason: str | None = None

    @property
    def text(self) -> str:
        """``LIVE: real orders with real money on the production exchange``."""
        return f"{self.title}: {self.meaning}"


def run_mode_view(value: object, reason: str | None) -> RunModeView:
    """The header item for a ``run_mode`` ``value`` (None when null) and its null ``reason``."""
    if isinstance(value, str) and value:
        if value in MODES:
            title, meaning = MODES[value]
        else:
            title = value.replace("_", " ").upper()
            meaning = "a run mode this panel does not know: not shown as live results"
        return RunModeView(value, value == LIVE, title, meaning)
    why = reason or "not published"
    return RunModeView(
        None, None, UNKNOWN_TITLE,
        f"the payload does not say whether it is live or simulated (no data: {why})", why)

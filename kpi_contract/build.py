"""``build_kpis_v7``: the executor's snapshots in, a validated kpis_v7 model out.

The builder is pure: it reads only its arguments (never the clock, the environment, files or the
network), never mutates them, and never raises on snapshot content. Anything it cannot read
cleanly becomes a null KPI with its reason in ``nulls``. The inputs it may reject are the caller's
own arguments, not snapshot content: a ``now_ts`` that is not a finite number, and a ``run_mode``
outside the schema's vocabulary.

Schema 7.1.0 (issue 9) adds ``run_mode`` and a sample count beside each ratio or mean; the 7.1.0
builder always writes them (null with a reason when there is no clean source). ``run_mode`` is
whatever the caller passes: it is never read from the snapshots or guessed, so without the
argument it is null (``missing``), and only an explicit ``run_mode="live"`` makes a payload live.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Literal

from kpi_contract import schema
from kpi_contract._nav import nav_kpis
from kpi_contract._performance import performance_kpis
from kpi_contract._risk import risk_kpis
from kpi_contract._router import router_kpis
from kpi_contract._values import MISSING, Reading, Reason
from kpi_contract.models import KpisV7

RunMode = Literal["live", "testnet", "dry_run", "replay"]
"""What produced a payload (``run_mode``, schema 7.1.0): the caller says it, the builder never
guesses it."""

RUN_MODES: tuple[RunMode, ...] = ("live", "testnet", "dry_run", "replay")

#: Each ratio or mean -> the sample count published beside it (schema 7.1.0). A count's name is
#: its KPI's name plus the sources' term for what it counts (fills, orders, trades).
SAMPLE_COUNTS = {
    "router.maker_fill_share": "router.maker_fill_share_fill_count",
    "router.avg_slippage_bps": "router.avg_slippage_bps_fill_count",
    "router.reject_rate": "router.reject_rate_order_count",
    "performance.expectancy": "performance.expectancy_trade_count",
}


def build_kpis_v7(
    now_ts: float,
    nav_snapshot: object,
    risk_snapshot: object,
    router_state: object,
    expectancy_state: object = None,
    *,
    run_mode: RunMode | None = None,
) -> KpisV7:
    """Build the kpis_v7 payload for ``now_ts`` (epoch seconds, UTC) from the four snapshots.

    Each snapshot may be None, a dict of one of the executor's live shapes, or anything else
    (treated as missing). ``run_mode`` (keyword only) is what produced the snapshots, one of
    ``RUN_MODES``; None (the default) publishes ``run_mode: null`` with reason ``missing``.
    TypeError / ValueError for a ``now_ts`` that is not a finite epoch time and for a
    ``run_mode`` that is not one of ``RUN_MODES`` or None (the caller's bugs, like ``now_ts``).
    """
    built_at = _timestamp(now_ts)
    leaves: dict[str, Reading] = {
        "run_mode": _run_mode(run_mode),
        **nav_kpis(nav_snapshot, float(now_ts)),
        **risk_kpis(risk_snapshot),
        **router_kpis(router_state, risk_snapshot),
        **performance_kpis(expectancy_state, risk_snapshot),
    }
    # Each group lists its leaves in schema order, so ``nulls`` comes out in that order too.
    nulls = {path: reading.value for path, reading in leaves.items() if type(reading) is Reason}
    # A null leaf is None in the document; a float leaf leaves as ``x + 0.0`` (SPEC 5a: -0.0 as
    # 0.0: a source's -0.0, or a mean or product that rounds to it, would show as "-0.00%").
    value = {
        path: None if type(reading) is Reason else reading + 0.0 if type(reading) is float
        else reading
        for path, reading in leaves.items()
    }
    dd_state = None if "risk.dd_state" in leaves else {
        "state": value["risk.dd_state.state"],
        "drawdown_frac": value["risk.dd_state.drawdown_frac"],
    }
    document = {
        "schema_version": schema.SCHEMA_VERSION,
        "ts": built_at,
        "run_mode": value["run_mode"],
        "nav": {
            "nav_total": value["nav.nav_total"],
            "nav_age_s": value["nav.nav_age_s"],
            "sources_ok": value["nav.sources_ok"],
        },
        "risk": {
            "dd_state": dd_state,
            "atr_regime": value["risk.atr_regime"],
            "fee_pnl_ratio": value["risk.fee_pnl_ratio"],
        },
        "router": {
            "policy_quality": value["router.policy_quality"],
            "maker_first": value["router.maker_first"],
            "maker_fill_share": value["router.maker_fill_share"],
            "maker_fill_share_fill_count": value["router.maker_fill_share_fill_count"],
            "avg_slippage_bps": value["router.avg_slippage_bps"],
            "avg_slippage_bps_fill_count": value["router.avg_slippage_bps_fill_count"],
            "reject_rate": value["router.reject_rate"],
            "reject_rate_order_count": value["router.reject_rate_order_count"],
        },
        "performance": {
            "expectancy": value["performance.expectancy"],
            "expectancy_trade_count": value["performance.expectancy_trade_count"],
            "sharpe_state": value["performance.sharpe_state"],
        },
        "nulls": nulls,
    }
    return KpisV7.model_validate(document)


def _run_mode(run_mode: object) -> Reading:
    """The caller's ``run_mode``: None is ``missing`` (never guessed); anything outside
    ``RUN_MODES`` is the caller's bug: TypeError for a non-string, ValueError for another string
    (exact spelling, no case folding: the executor passes a constant)."""
    if run_mode is None:
        return MISSING
    if type(run_mode) is str and run_mode in RUN_MODES:  # the common case
        return run_mode
    allowed = ", ".join(repr(m) for m in RUN_MODES)
    if not isinstance(run_mode, str):
        raise TypeError(f"run_mode must be one of {allowed} or None, got "
                        f"{type(run_mode).__name__}")
    if run_mode not in RUN_MODES:
        raise ValueError(f"run_mode must be one of {allowed} or None, got {run_mode!r}")
    return str(run_mode)


def _timestamp(now_ts: float) -> datetime:
    """``now_ts`` as an aware UTC datetime; TypeError / ValueError for a caller bug."""
    if isinstance(now_ts, bool) or not isinstance(now_ts, int | float):
        raise TypeError(f"now_ts must be epoch seconds (int or float), got {type(now_ts).__name__}")
    if not math.isfinite(now_ts):
        raise ValueError(f"now_ts must be finite, got {now_ts!r}")
    try:
        return datetime.fromtimestamp(now_ts, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"now_ts {now_ts!r} is outside the representable date range") from exc


NULL_PATH_ORDER = (
    "run_mode",
    "nav.nav_total",
    "nav.nav_age_s",
    "nav.sources_ok",
    "risk.dd_state",
    "risk.dd_state.state",
    "risk.dd_state.drawdown_frac",
    "risk.atr_regime",
    "risk.fee_pnl_ratio",
    "router.policy_quality",
    "router.maker_first",
    "router.maker_fill_share",
    "router.maker_fill_share_fill_count",
    "router.avg_slippage_bps",
    "router.avg_slippage_bps_fill_count",
    "router.reject_rate",
    "router.reject_rate_order_count",
    "performance.expectancy",
    "performance.expectancy_trade_count",
    "performance.sharpe_state",
)

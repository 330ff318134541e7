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

#: A reason as the plain string ``nulls`` holds (a dict lookup: ``.value`` on an enum costs more).
_REASON_TEXT = {reason: reason.value for reason in Reason}

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
    mode = _run_mode(run_mode)
    # ``nulls`` fills up as the groups are laid out, in schema order (each group lists its KPIs
    # in schema order), so its keys come out in that order too.
    nulls: dict[str, str] = {}
    if type(mode) is Reason:
        nulls["run_mode"] = _REASON_TEXT[mode]
        mode = None
    document = {
        "schema_version": schema.SCHEMA_VERSION,
        "ts": built_at,
        "run_mode": mode,
        "nav": _group("nav", nav_kpis(nav_snapshot, float(now_ts)), nulls),
        "risk": _group("risk", risk_kpis(risk_snapshot), nulls),
        "router": _group("router", router_kpis(router_state, risk_snapshot), nulls),
        "performance": _group("performance",
                              performance_kpis(expectancy_state, risk_snapshot), nulls),
        "nulls": nulls,
    }
    # ``KpisV7.model_validate`` without its Python wrapper (the same pydantic-core validator).
    model: KpisV7 = KpisV7.__pydantic_validator__.validate_python(document)
    return model


def _group(path: str, readings: dict[str, Reading], nulls: dict[str, str]) -> dict[str, object]:
    """The document's object at ``path`` from its readings by key (a nested dict of readings is
    an object of leaves, such as ``risk.dd_state``): a null leaf is None and its reason goes to
    ``nulls`` under its dotted path; a float leaf leaves as ``x + 0.0`` (SPEC 5a: -0.0 as 0.0: a
    source's -0.0, or a mean or product that rounds to it, would show as "-0.00%")."""
    group: dict[str, object] = {}
    for key, reading in readings.items():
        kind = type(reading)
        if kind is Reason:
            nulls[f"{path}.{key}"] = _REASON_TEXT[reading]
            group[key] = None
        elif kind is float:
            group[key] = reading + 0.0
        elif kind is dict:
            group[key] = _group(f"{path}.{key}", reading, nulls)
        else:
            group[key] = reading
    return group


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
    try:
        finite = math.isfinite(now_ts)
    except OverflowError:  # an int beyond float range
        finite = False
    if not finite:
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

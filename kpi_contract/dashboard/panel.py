"""The KPI panel in Streamlit, for the dashboard team's app: ``render_kpi_panel(path_or_reading)``.

It only draws what the view model decided (``kpi_contract.dashboard.view``): a banner when the
file is stale or cannot be shown; the run mode as the header (``LIVE``, or ``DRY RUN`` /
``TESTNET`` / ``REPLAY`` / ``RUN MODE UNKNOWN`` saying these are not live results); one card per
KPI with its text, status badge, null reason and, under a ratio, the number of observations
behind it ("over 1,250 fills"); the payload's other context fields; and the raw document in an
expander. Needs the optional extra
``pip install 'kpi-contract[dashboard]'`` (Streamlit is imported here and nowhere else in the
package).

Drop-in use, re-reading the mirrored file every 5 s without reloading the page::

    import streamlit as st
    from kpi_contract.dashboard import render_kpi_panel

    @st.fragment(run_every=5)
    def kpis() -> None:
        render_kpi_panel("dashboard/state/kpis_v7.json")

    kpis()
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import streamlit as st

from kpi_contract.dashboard.fields import humanise
from kpi_contract.dashboard.fleet_view import COLUMNS, FleetState, fleet_state
from kpi_contract.dashboard.run_mode import RUN_MODE_PATH, RunModeView
from kpi_contract.dashboard.status_rules import Status
from kpi_contract.dashboard.view import KpiCard, PanelState, panel_state
from kpi_contract.reader import DEFAULT_MAX_AGE_S, KpiReading

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BADGES: dict[Status, tuple[str, str]] = {
    "ok": ("OK", "green"),
    "warn": ("WARN", "orange"),
    "critical": ("CRITICAL", "red"),
    "no_data": ("NO DATA", "gray"),
}
# Let a card's value wrap instead of being cut ("no data: out of ra..."); ``st-key-<key>`` is the
# class Streamlit gives a keyed container, ``stMetricValue`` its metric value.
CARD_CSS = """<style>
[class*="st-key-%s-"] [data-testid="stMetricValue"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
</style>"""
STATUS_WORDS: dict[Status, str] = {
    "critical": "critical", "warn": "warn", "no_data": "no data", "ok": "ok",
}
# The run mode's badge: live trading in blue; anything that is not (or may not be) live in orange.
RUN_MODE_COLORS = {True: "blue", False: "orange", None: "orange"}
# Characters Streamlit's Markdown would read as syntax inside a line: emphasis, code, links
# (``[``), HTML, tables, math, and ``:`` for its colour and emoji directives. A value is shown,
# never interpreted.
_MARKDOWN = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|$~:"})


def render_kpi_panel(
    source: str | os.PathLike[str] | KpiReading,
    *,
    now_ts: float | None = None,
    max_age_s: float = DEFAULT_MAX_AGE_S,
    columns: int = 5,
    show_raw: bool = True,
    key_prefix: str = "kpi",
    name: str | None = None,
) -> PanelState:
    """Draw the KPI panel for ``source`` (a kpis_v7.json path, its directory, or a reading).

    ``now_ts`` defaults to the current time (the panel is a live view; the view model itself never
    reads the clock); ``max_age_s`` is the staleness limit; ``columns`` the cards per row;
    ``key_prefix`` names the cards' containers (``<prefix>-risk-dd_state-state``): give each
    panel its own when one page shows several; ``name`` labels a reading in the messages (its
    URL, say). Returns the ``PanelState`` it drew. Never raises for a bad file: the banner says
    what is wrong; ValueError for a ``now_ts`` or ``max_age_s`` that ``panel_state`` refuses.
    """
    state = panel_state(source, now_ts=time.time() if now_ts is None else now_ts,
                        max_age_s=max_age_s, name=name)
    _banner(state)
    if state.readable:
        st.html(CARD_CSS % key_prefix)
        if state.run_mode is not None:
            _run_mode(state.run_mode, key_prefix)
        _summary(state)
        _cards(state.cards, max(1, columns), key_prefix)
    if show_raw:
        _raw(state)
    return state


def _banner(state: PanelState) -> None:
    if state.condition == "ok":
        st.success(state.message)
    elif state.condition == "stale":
        st.warning(state.message)
    else:
        st.error(state.message)
        for line in state.errors:
            st.text(line)


def _run_mode(mode: RunModeView, key_prefix: str) -> None:
    """The header item: ``LIVE``, ``DRY RUN``, ... as a badge, and what it means."""
    with st.container(key=f"{key_prefix}-{RUN_MODE_PATH}"):
        st.markdown(f"### :{RUN_MODE_COLORS[mode.live]}-badge[{markdown_text(mode.title)}] "
                    f"{markdown_text(mode.meaning)}")


def markdown_text(text: str) -> str:
    """``text`` escaped for Streamlit Markdown: shown as written, never read as syntax."""
    return text.translate(_MARKDOWN)


def _summary(state: PanelState) -> None:
    counts = " · ".join(f"{state.status_counts.get(status, 0)} {word}"
                        for status, word in STATUS_WORDS.items())
    context = "".join(f" · {markdown_text(field.label)}: **{markdown_text(field.text)}**"
                      for field in state.context if field.path != RUN_MODE_PATH)
    st.markdown(f"**{counts}**{context}")


def _cards(cards: Sequence[KpiCard], per_row: int, key_prefix: str) -> None:
    sections: dict[str, list[KpiCard]] = {}
    for card in cards:
        sections.setdefault(card.section, []).append(card)
    for section, members in sections.items():
        st.subheader(humanise(section))
        for start in range(0, len(members), per_row):
            row = members[start:start + per_row]
            for column, card in zip(st.columns(per_row), row, strict=False):
                with column:
                    _card(card, key_prefix)


def _card(card: KpiCard, key_prefix: str) -> None:
    with st.container(border=True, key=f"{key_prefix}-{card.path.replace('.', '-')}"):
        st.metric(card.label, card.text, help=f"{card.help} (`{card.path}`)")
        word, color = BADGES[card.status]
        st.badge(word, color=color)  # type: ignore[arg-type]
        if card.sample is not None:
            st.caption(card.sample.caption, help=f"{card.sample.help} (`{card.sample.path}`)")
        if card.reason is not None:
            st.caption(f"null reason: `{card.reason}`")


def _raw(state: PanelState) -> None:
    with st.expander(f"Raw document: {state.path}"):
        if state.raw_text is None:
            st.text("no file")
        else:
            st.code(state.raw_text, language="json")


FLEET_STATUS_COLORS = {"ok": "green", "stale": "orange", "error": "red"}


def render_fleet_panel(
    url: str,
    *,
    now_ts: float | None = None,
    max_age_s: float = DEFAULT_MAX_AGE_S,
    key_prefix: str = "fleet",
    show_details: bool = True,
    client: S3Client | None = None,
) -> FleetState:
    """Draw the fleet table for ``url`` (``s3://BUCKET/PREFIX``, one sub-prefix per executor,
    as ``execution.sync_state --mirror-url`` writes it; needs ``kpi-contract[s3]``).

    A banner with the summary (or why the prefix could not be read), then one table row per
    executor: id, run mode, status, age, NAV, drawdown state and fraction, router quality, its
    KPI statuses, or the reason it could not be read. With ``show_details``, a select box opens
    one executor's full KPI panel below the table. ``now_ts`` defaults to the current time;
    ``client`` is an S3 client to use instead of one from the standard AWS environment. Returns
    the ``FleetState`` it drew. Never raises for the store; ValueError for a ``now_ts`` or
    ``max_age_s`` that ``fleet_state`` refuses.
    """
    now = time.time() if now_ts is None else now_ts
    state = fleet_state(url, now_ts=now, max_age_s=max_age_s, client=client)
    counts = state.status_counts
    if state.condition == "error":
        st.error(state.message)
    elif state.condition == "empty" or counts["stale"] or counts["error"]:
        st.warning(state.message)
    else:
        st.success(state.message)
    if not state.rows:
        return state
    with st.container(key=f"{key_prefix}-table"):
        # Columns of cells indexed by executor id: the id is the row's header, not a number.
        st.table({column: {row.executor_id: row.cells[column] for row in state.rows}
                  for column in COLUMNS if column != "Executor"})
    if show_details:
        _fleet_details(state, now, key_prefix)
    return state


def _fleet_details(state: FleetState, now_ts: float, key_prefix: str) -> None:
    """A select box of the readable executors and the chosen one's full panel (same clock)."""
    readable = {row.executor_id: row for row in state.rows if row.reading is not None}
    if not readable:
        return
    chosen = st.selectbox("Executor details", list(readable), key=f"{key_prefix}-executor")
    row = readable.get(chosen) if isinstance(chosen, str) else None
    if row is not None and row.reading is not None:
        render_kpi_panel(row.reading, now_ts=now_ts, max_age_s=state.max_age_s, show_raw=False,
                         key_prefix=f"{key_prefix}-detail", name=row.url)

"""A staleness limit or a clock that is not a number a limit can be is refused, everywhere.

The fresh-user attack: ``kpi-contract fleet URL --max-age nan`` showed a year-old executor as
``ok`` (exit 0) and ``--format json`` printed ``"max_age_s": NaN``; ``read_kpis(...,
max_age_s=nan)`` said ``stale=False``. Every comparison with NaN is false, so NaN meant "never
stale". One rule (``kpi_contract.staleness``) now holds for every limit in seconds: the command
line refuses it in one line with exit 2, the library with ValueError, and nothing reads as fresh.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_contract import read_kpis
from kpi_contract._nav import CLOCK_SKEW_TOLERANCE_S
from kpi_contract.dashboard.fleet_view import fleet_state
from kpi_contract.dashboard.launch import PageSettings
from kpi_contract.dashboard.view import panel_state
from kpi_contract.fleet import read_fleet
from kpi_contract.reader import is_stale, reading_from_bytes
from kpi_contract.s3 import ClientSettings
from kpi_contract.staleness import check_clock, check_positive_seconds, seconds_argument
from tests.cli_helpers import run_cli
from tests.s3_server import S3Env, client_env, free_port
from tests.test_execution_support import clean_env, run_module
from tests.test_remote_mirror import T0, kpi_doc
from tests.test_remote_mirror_cli import state_dir

YEAR_S = 365 * 86400.0
DOC = kpi_doc(T0)
# What a limit cannot be: NaN (every comparison false: never stale), infinite, zero or less,
# beyond double range (read as infinity), not a number.
BAD_LIMIT_TEXTS = ["nan", "NaN", "-nan", "inf", "Infinity", "-inf", "1e400", "0", "-0", "-5",
                   "abc", ""]
BAD_LIMITS: list[Any] = [math.nan, math.inf, -math.inf, 0, 0.0, -0.0, -1, -1e-9, 10**400, True,
                         False, "120", None, [120]]
BAD_CLOCKS: list[Any] = [math.nan, math.inf, -math.inf, 10**400, True, "1767225600", [1.0]]


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses the NaN / Infinity tokens Python's parser lets through."""
    def refuse(token: str) -> Any:
        raise ValueError(f"not JSON: {token}")
    return json.loads(text, parse_constant=refuse)


# --- kpi-contract fleet ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["nan", "inf", "0", "-5", "1e400"])
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_fleet_refuses_a_max_age_that_is_not_a_limit(s3: S3Env, text: str, fmt: str) -> None:
    """``fleet --max-age nan`` (inf, 0, -5, 1e400) on a year-old executor: exit 2, one line
    naming the option, nothing on stdout (it used to show the executor ``ok``, exit 0)."""
    s3.client.put_object(Bucket=s3.bucket, Key="desk/old/kpis_v7.json",
                         Body=kpi_doc(time.time() - YEAR_S))
    result = run_cli("fleet", s3.url("desk"), "--format", fmt, "--max-age", text)
    assert result.returncode == 2, result.stdout
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"kpi-contract fleet: error: argument --max-age: not a positive number of seconds: "
        f"{text!r} (see --help)"
    ]


def test_fleet_still_shows_a_year_old_executor_stale_with_a_real_limit(s3: S3Env) -> None:
    """The control: with the default limit and with a large finite one the same executor is
    ``stale``, and the JSON report is strict JSON with the limit as given."""
    s3.client.put_object(Bucket=s3.bucket, Key="desk/old/kpis_v7.json",
                         Body=kpi_doc(time.time() - YEAR_S))
    table = run_cli("fleet", s3.url("desk"))
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[1].split()[:2] == ["old", "stale"]
    for limit, status in (("1e6", "stale"), ("1e12", "ok")):
        result = run_cli("fleet", s3.url("desk"), "--format", "json", "--max-age", limit)
        assert result.returncode == 0, result.stderr
        report = strict_json(result.stdout)
        assert report["max_age_s"] == float(limit)
        assert [e["status"] for e in report["executors"]] == [status]


def test_fleet_refuses_the_limit_before_contacting_the_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bad limit is a usage error even when the store is unreachable: the operator learns
    about the typo first, in one line."""
    for name, value in client_env(f"http://127.0.0.1:{free_port()}").items():
        monkeypatch.setenv(name, value)
    result = run_cli("fleet", "s3://kpi-fleet/desk", "--max-age", "nan")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "--max-age: not a positive number of seconds" in line


# --- the other commands: the dashboard and the mirror's timeout (variants) ------------------------


@pytest.mark.parametrize(("option", "text"), [("--max-age-s", "inf"), ("--max-age-s", "1e400"),
                                              ("--refresh-s", "-inf"), ("--max-age-s", "-0")])
def test_dashboard_refuses_the_same_values_in_one_line(option: str, text: str) -> None:
    """``kpi-contract dashboard`` applies the same rule to both of its limits (exit 2, one line
    naming the option), before it looks for Streamlit or a port."""
    result = run_cli("dashboard", f"{option}={text}", "--port", str(free_port()))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"kpi-contract dashboard: error: argument {option}: not a positive number of seconds: "
        f"{text!r} (see --help)"
    ]


@pytest.mark.parametrize("text", ["inf", "nan", "1e400"])
def test_sync_state_refuses_an_unbounded_mirror_timeout(tmp_path: Path, text: str) -> None:
    """``--mirror-timeout inf`` would let a store request hang forever (the mirror promises
    every request is bounded): exit 2, one line, nothing contacted."""
    state_dir(tmp_path)
    env = clean_env(**client_env("http://127.0.0.1:9"))
    result = run_module(tmp_path, "execution.sync_state", "--once", "--mirror-url",
                        "s3://kpi-fleet/x", "--mirror-timeout", text, env=env)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert f"argument --mirror-timeout: not a positive number of seconds: {text!r}" in line


@pytest.mark.parametrize(("command", "option", "most", "text"), [
    (("kpi_contract", "dashboard"), "--refresh-s", "86400", "3000000"),
    (("execution.sync_state", "--once", "--mirror-url", "s3://kpi-fleet/x"), "--mirror-timeout",
     "3600", "1e10"),
])
def test_an_interval_or_timeout_too_long_to_work_is_refused(
    tmp_path: Path, command: tuple[str, ...], option: str, most: str, text: str
) -> None:
    """A finite value past what the machinery can honour (a browser's setInterval takes more
    than 2**31 - 1 ms as about 1 ms, the socket layer overflows near 9.2e9 s) would do the
    opposite of what was asked: exit 2, one line naming the bound."""
    state_dir(tmp_path)
    env = clean_env(**client_env("http://127.0.0.1:9"))
    result = run_module(tmp_path, *command, f"{option}={text}", env=env)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert f"argument {option}: more than {most} seconds: {text!r}" in line


# --- the library -------------------------------------------------------------------------------


@pytest.fixture
def year_old(tmp_path: Path) -> Path:
    """A valid kpis_v7.json published a year before T0 + YEAR_S (the clock the tests pass)."""
    path = tmp_path / "kpis_v7.json"
    path.write_bytes(kpi_doc(T0))
    return path


@pytest.mark.parametrize("limit", BAD_LIMITS, ids=repr)
def test_read_kpis_refuses_a_limit_that_is_not_one(year_old: Path, limit: Any) -> None:
    """``read_kpis(..., max_age_s=nan)`` used to return ``stale=False`` for a year-old file."""
    with pytest.raises(ValueError, match="max_age_s must be a positive number of seconds"):
        read_kpis(year_old, now_ts=T0 + YEAR_S, max_age_s=limit)
    with pytest.raises(ValueError, match="max_age_s must be a positive number of seconds"):
        reading_from_bytes(year_old.read_bytes(), name="x", max_age_s=limit)  # no clock either
    with pytest.raises(ValueError, match="max_age_s must be a positive number of seconds"):
        is_stale(YEAR_S, limit)


@pytest.mark.parametrize("clock", BAD_CLOCKS, ids=lambda c: repr(c)[:20])
def test_read_kpis_refuses_a_clock_that_is_not_one(year_old: Path, clock: Any) -> None:
    """A NaN clock gives a NaN age, never stale; an int beyond double range, a bool or a string
    is no clock either: ValueError, in one short line."""
    with pytest.raises(ValueError, match="now_ts must be a finite number of seconds") as error:
        read_kpis(year_old, now_ts=clock)
    assert len(str(error.value)) < 200
    with pytest.raises(ValueError, match="age_s must be a finite number of seconds"):
        is_stale(clock, 120.0)


def test_read_fleet_refuses_before_listing(s3: S3Env) -> None:
    """``read_fleet`` (an S3 prefix) refuses a bad limit or clock with ValueError; the store
    is not asked (a missing bucket would otherwise be the error)."""
    s3.client.put_object(Bucket=s3.bucket, Key="desk/old/kpis_v7.json", Body=kpi_doc(T0))
    for kwargs in ({"max_age_s": math.nan}, {"max_age_s": math.inf}, {"max_age_s": 0},
                   {"now_ts": math.nan}):
        with pytest.raises(ValueError, match="must be a"):
            read_fleet("s3://no-such-bucket/desk", **kwargs)
        with pytest.raises(ValueError, match="must be a"):
            read_fleet(s3.url("desk"), **kwargs)
    [entry] = read_fleet(s3.url("desk"), now_ts=T0 + YEAR_S, max_age_s=120)
    assert entry.status == "stale"
    assert read_kpis(s3.url("desk/old/kpis_v7.json"), now_ts=T0 + YEAR_S).stale is True
    with pytest.raises(ValueError, match="max_age_s"):
        read_kpis(s3.url("desk/old/kpis_v7.json"), now_ts=T0 + YEAR_S, max_age_s=math.nan)


def test_the_dashboard_views_refuse_rather_than_show_fresh(year_old: Path) -> None:
    """``panel_state`` (on a path and on a reading) and ``fleet_state`` raise ValueError for a
    bad limit: a caller's bug is not a store problem to show on the page, nor "fresh"."""
    reading = read_kpis(year_old, now_ts=T0 + YEAR_S)
    assert panel_state(year_old, now_ts=T0 + YEAR_S).condition == "stale"
    for source in (year_old, reading):
        with pytest.raises(ValueError, match="max_age_s"):
            panel_state(source, now_ts=T0 + YEAR_S, max_age_s=math.nan)
        with pytest.raises(ValueError, match="now_ts"):
            panel_state(source, now_ts=math.inf)
    with pytest.raises(ValueError, match="max_age_s"):
        fleet_state("s3://kpi-fleet/desk", max_age_s=-math.inf)
    with pytest.raises(ValueError, match="refresh_s"):
        PageSettings(year_old.parent, refresh_s=math.nan)
    with pytest.raises(ValueError, match="max_age_s"):
        PageSettings(year_old.parent, max_age_s=math.inf)
    with pytest.raises(ValueError, match="at most 86400 seconds"):
        PageSettings(year_old.parent, refresh_s=3e6)
    assert PageSettings(year_old.parent, refresh_s=86_400, max_age_s=1e9).max_age_s == 1e9


def test_the_store_clients_timeouts_are_bounded() -> None:
    """``ClientSettings`` (every S3 request's bounds) refuses an infinite or NaN timeout."""
    for kwargs in ({"connect_timeout_s": math.inf}, {"read_timeout_s": math.nan},
                   {"read_timeout_s": 0}):
        with pytest.raises(ValueError, match="timeout_s must be a positive number"):
            ClientSettings(**kwargs)
    assert ClientSettings(connect_timeout_s=1, read_timeout_s=0.5).read_timeout_s == 0.5
    assert ClientSettings(connect_timeout_s=3600.0).connect_timeout_s == 3600.0
    with pytest.raises(ValueError, match="at most 3600 seconds"):
        ClientSettings(read_timeout_s=1e10)


# --- the rule itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", BAD_LIMIT_TEXTS)
def test_the_command_line_rule_refuses_every_bad_text(text: str) -> None:
    """``seconds_argument`` (every option that takes a limit) refuses each of them."""
    with pytest.raises(argparse.ArgumentTypeError, match="not a positive number of seconds"):
        seconds_argument(text)


@given(st.one_of(st.floats(), st.integers(min_value=-(10**400), max_value=10**400)))
def test_a_limit_is_accepted_exactly_when_it_is_finite_and_above_zero(value: float) -> None:
    """``check_positive_seconds`` and the CLI's ``seconds_argument`` agree on every number:
    accepted exactly when finite as a double and > 0; then an age beyond it is stale and an age
    within it is not."""
    try:
        as_double = float(value)
    except OverflowError:
        as_double = math.inf
    if math.isfinite(as_double) and as_double > 0:
        assert check_positive_seconds(value) == as_double
        assert seconds_argument(repr(value)) == as_double
        assert is_stale(as_double / 2, value) is False
        if as_double < 1e300:
            assert is_stale(as_double * 2 + 1, value) is True
    else:
        with pytest.raises(ValueError, match="max_age_s must be a positive number of seconds"):
            check_positive_seconds(value)
        with pytest.raises(argparse.ArgumentTypeError):
            seconds_argument(repr(value))


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=1e-3, max_value=1e9),
       st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9))
def test_a_reading_is_stale_exactly_when_older_than_the_limit(limit: float, age: float) -> None:
    """With a finite limit, ``reading_from_bytes`` says stale exactly when the document is
    older than it (or stamped in the future beyond the clock skew)."""
    reading = reading_from_bytes(DOC, name="x", now_ts=T0 + age, max_age_s=limit)
    age_s = reading.age_s
    assert age_s is not None
    assert age_s == pytest.approx(age, abs=1e-6)
    assert reading.stale is (age_s > limit or age_s < -CLOCK_SKEW_TOLERANCE_S)


def test_a_clock_may_be_any_finite_number_or_none() -> None:
    """An int clock is a clock; None is no clock: no age, no staleness (never "fresh")."""
    assert check_clock(None) is None
    assert check_clock(int(T0)) == T0
    reading = reading_from_bytes(DOC, name="x")
    assert (reading.age_s, reading.stale) == (None, None)
    assert reading_from_bytes(DOC, name="x", now_ts=int(T0) + 500, max_age_s=120).stale is True

"""The command line through real subprocesses: output shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_contract.schema import SCHEMA_FILENAME
from tests.cli_helpers import ROOT, run_cli
from tests.snapshot_fixtures import FIXTURE_FILES
from tests.test_build_fixtures import assert_payload_equal

FIXTURE = FIXTURE_FILES[0]
ERROR_LINE = re.compile(r"^\S+::\$[^:]*: .+$")


def assert_one_line_errors(stderr: str) -> None:
    """Every stderr line is a `FILE::$.path: message` line and nothing is a traceback."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert lines, "expected an error message"
    for line in lines:
        assert ERROR_LINE.match(line), line


@pytest.fixture
def valid_file(tmp_path: Path) -> Path:
    """A kpis_v7 file published by `build --out`."""
    out = tmp_path / "kpis_v7.json"
    assert run_cli("build", "--fixture", str(FIXTURE), "--out", str(out)).returncode == 0
    return out


def test_validate_valid_file_exits_0(valid_file: Path) -> None:
    """A valid file: exit 0 and a confirmation naming the file."""
    result = run_cli("validate", str(valid_file))
    assert result.returncode == 0
    assert result.stdout.strip() == f"{valid_file}: valid kpis_v7 7.1.0"


def test_validate_reports_each_error_with_file_and_json_path(
    valid_file: Path, tmp_path: Path
) -> None:
    """An invalid file: exit 1 and one `FILE::$.json.path: message` line per error."""
    doc = json.loads(valid_file.read_text())
    doc["router"]["maker_fill_share"] = 1.5
    doc["nav"]["extra"] = 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = run_cli("validate", str(bad), str(valid_file))
    assert result.returncode == 1
    assert_one_line_errors(result.stderr)
    paths = {line.split("::")[1].split(":")[0] for line in result.stderr.splitlines()}
    assert paths == {"$.router.maker_fill_share", "$.nav"}


@pytest.mark.parametrize("content", [b"{\"nav\": ", b"not json", b'{"x": NaN}', b"\xff\xfe"])
def test_validate_torn_or_non_json_file_is_invalid(tmp_path: Path, content: bytes) -> None:
    """A torn, non-JSON or NaN-carrying file is invalid (exit 1) with an error at `$`."""
    bad = tmp_path / "torn.json"
    bad.write_bytes(content)
    result = run_cli("validate", str(bad))
    assert result.returncode == 1
    assert_one_line_errors(result.stderr)
    assert result.stderr.startswith(f"{bad}::$: ")


def test_validate_missing_file_is_an_io_error(tmp_path: Path) -> None:
    """A missing file: exit 2, one line naming it."""
    missing = tmp_path / "missing.json"
    result = run_cli("validate", str(missing))
    assert result.returncode == 2
    assert_one_line_errors(result.stderr)
    assert str(missing) in result.stderr


def test_validate_json_format_for_ci(valid_file: Path, tmp_path: Path) -> None:
    """--format json gives {status, files: [{filename, status, errors: [{path, message}]}]}."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "8.0.0"}')
    result = run_cli("validate", "--format", "json", str(valid_file), str(bad))
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["status"] == "invalid"
    assert [f["status"] for f in report["files"]] == ["ok", "invalid"]
    assert report["files"][0] == {"filename": str(valid_file), "status": "ok", "errors": []}
    assert any(e["path"] == "$.schema_version" for e in report["files"][1]["errors"])


def test_build_fixture_to_stdout_gives_the_expected_payload() -> None:
    """`build --fixture` prints exactly the fixture's expected 7.1.0 payload (its run_mode
    included)."""
    result = run_cli("build", "--fixture", str(FIXTURE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("}\n")
    expected = json.loads(FIXTURE.read_text())["expected_7_1"]
    assert_payload_equal(json.loads(result.stdout), expected)


@pytest.mark.parametrize("mode", ["live", "testnet", "dry_run", "replay"])
def test_build_run_mode_option_sets_run_mode(mode: str) -> None:
    """`--run-mode` is the caller's declaration: it sets run_mode (over a fixture's own)."""
    result = run_cli("build", "--fixture", str(FIXTURE), "--run-mode", mode)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["run_mode"] == mode


def test_build_without_run_mode_publishes_null_missing(tmp_path: Path) -> None:
    """Snapshot files and no `--run-mode`: run_mode is null with reason missing, never guessed
    (even from a NAV snapshot saying nav_mode live_wallet)."""
    nav = tmp_path / "nav.json"
    nav.write_text(json.dumps({"nav": 4000.0, "nav_mode": "live_wallet", "run_mode": "live"}))
    result = run_cli("build", "--nav", str(nav), "--now", "1767225600")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["run_mode"], doc["nulls"]["run_mode"]) == (None, "missing")


@pytest.mark.parametrize("value", ["LIVE", "paper", 1, ["live"]])
def test_build_fixture_with_an_unknown_run_mode_is_a_usage_error(tmp_path: Path, value: object
                                                                 ) -> None:
    """A fixture whose run_mode is outside the vocabulary: exit 2, one line at $.run_mode."""
    fixture = json.loads(FIXTURE.read_text())
    fixture["run_mode"] = value
    bad = tmp_path / "fixture.json"
    bad.write_text(json.dumps(fixture))
    result = run_cli("build", "--fixture", str(bad))
    assert (result.returncode, result.stdout) == (2, "")
    assert_one_line_errors(result.stderr)
    assert result.stderr.startswith(f"{bad}::$.run_mode: must be one of")


BAD_NON_FINITE_FIELDS: list[tuple[dict[str, object], str]] = [
    # the fresh-user attack's five
    ({"_python_nan_fields": ["nav.nope.deeper"]},
     "$._python_nan_fields[0]: 'nav.nope.deeper' leads nowhere: $.nav has no key 'nope'"),
    ({"_python_nan_fields": ["router.per_symbol.99.x"]},
     "$._python_nan_fields[0]: 'router.per_symbol.99.x' leads nowhere: $.router.per_symbol has "
     "no item '99' (it has 3, from 0)"),
    ({"_python_nan_fields": "nav.nav_total"},
     "$._python_nan_fields: must be a list of dot paths, got a string 'nav.nav_total'"),
    ({"_python_inf_fields": {"nav.nav_total": "sideways"}},
     "$._python_inf_fields['nav.nav_total']: must be \"+inf\" or \"-inf\", got a string "
     "'sideways'"),
    ({"_python_inf_fields": ["nav.nav_total"]},
     "$._python_inf_fields: must be an object mapping dot paths to \"+inf\" or \"-inf\", got "
     "an array"),
    # variants of the same kinds: another field, another group, another bad shape
    ({"_python_nan_fields": [7]}, "$._python_nan_fields[0]: must be a dot path, got a number (7)"),
    ({"_python_nan_fields": ["now_ts.x"]},
     "$._python_nan_fields[0]: 'now_ts.x' leads nowhere: $.now_ts is a number (1767225600.0), "
     "not an object or an array"),
    ({"_python_nan_fields": ["risk.symbols.-1.router.slip_q50"]},
     "$._python_nan_fields[0]: 'risk.symbols.-1.router.slip_q50' leads nowhere: $.risk.symbols "
     "has no item '-1' (it has 3, from 0)"),
    ({"_python_inf_fields": {"expectancy.symbols.BTCUSDT.expectancy": 1}},
     "$._python_inf_fields['expectancy.symbols.BTCUSDT.expectancy']: must be \"+inf\" or "
     "\"-inf\", got a number (1)"),
    ({"_python_inf_fields": {"expectancy.symbols.NOPE.expectancy": "-inf"}},
     "$._python_inf_fields['expectancy.symbols.NOPE.expectancy']: "
     "'expectancy.symbols.NOPE.expectancy' leads nowhere: $.expectancy.symbols has no key "
     "'NOPE'"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_NON_FINITE_FIELDS,
                         ids=[str(i) for i in range(len(BAD_NON_FINITE_FIELDS))])
def test_build_fixture_with_malformed_non_finite_fields_is_one_line_exit_2(
        tmp_path: Path, fields: dict[str, object], message: str) -> None:
    """A fixture whose ``_python_nan_fields`` / ``_python_inf_fields`` are malformed (a path
    leading nowhere, a string or array where a list or mapping belongs, a sign that is not
    "+inf"/"-inf"): one line naming the file, the entry and what is wrong; exit 2, no output."""
    fixture = json.loads(FIXTURE.read_text())
    fixture.update(fields)
    bad = tmp_path / "fixture.json"
    bad.write_text(json.dumps(fixture))
    result = run_cli("build", "--fixture", str(bad))
    assert (result.returncode, result.stdout) == (2, ""), result.stderr[-400:]
    assert result.stderr == f"{bad}::{message}\n"


def test_build_fixture_sets_its_nan_and_inf_fields(tmp_path: Path) -> None:
    """Well-formed NaN / inf entries reach the builder: those KPIs are null, reason invalid, and
    a new key on an object is allowed (the fixtures' own loader allows it)."""
    fixture = json.loads(FIXTURE.read_text())
    fixture["_python_nan_fields"] = ["nav.nav_total"]
    fixture["_python_inf_fields"] = {"expectancy.symbols.BTCUSDT.expectancy": "+inf",
                                     "nav.brand_new": "-inf"}
    good = tmp_path / "fixture.json"
    good.write_text(json.dumps(fixture))
    result = run_cli("build", "--fixture", str(good))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["nav"]["nav_total"], doc["nulls"]["nav.nav_total"]) == (None, "invalid")
    clean = json.loads(run_cli("build", "--fixture", str(FIXTURE)).stdout)
    assert doc["performance"] != clean["performance"]  # BTCUSDT's infinite expectancy left out


SNAPSHOT_OPTIONS = ("--nav", "--risk", "--router", "--expectancy")


def test_build_help_says_fixture_excludes_every_snapshot_file() -> None:
    """``build --help``: the usage line puts ``--fixture`` against all four snapshot options
    (not only ``--nav``), and ``--fixture``'s own help says so."""
    result = run_cli("build", "--help")
    assert result.returncode == 0
    usage = " ".join(result.stdout.split("\n\n", 1)[0].split())
    assert "[--fixture FILE | [--nav FILE] [--risk FILE] [--router FILE] [--expectancy FILE]]" \
        in usage
    assert "not with --nav, --risk, --router, --expectancy" in " ".join(result.stdout.split())


@pytest.mark.parametrize("options", [("--nav",), ("--risk",), ("--router",), ("--expectancy",),
                                     ("--risk", "--expectancy")])
def test_build_fixture_with_any_snapshot_file_is_refused_in_one_line(
        tmp_path: Path, options: tuple[str, ...]) -> None:
    """``--fixture`` with any snapshot option: exit 2, one line naming the options given."""
    args = [arg for option in options for arg in (option, str(FIXTURE))]
    result = run_cli("build", "--fixture", str(FIXTURE), *args)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"kpi-contract build: error: --fixture cannot be combined with "
                             f"{', '.join(options)} (see --help)\n")


def test_build_snapshot_files_combine_freely() -> None:
    """Without ``--fixture``, any of the four snapshot options go together."""
    args = [arg for option in SNAPSHOT_OPTIONS for arg in (option, str(FIXTURE))]
    result = run_cli("build", *args, "--now", "1767225600")
    assert result.returncode == 0, result.stderr


def test_validate_accepts_a_7_0_0_payload(tmp_path: Path) -> None:
    """A payload written by 7.0.0 (a fixture's 7.0.0 expectation) is valid under 7.1.0."""
    old = tmp_path / "kpis_v7.json"
    old.write_text(json.dumps(json.loads(FIXTURE.read_text())["expected"]))
    result = run_cli("validate", str(old))
    assert result.returncode == 0, result.stderr


def test_build_from_snapshot_files(tmp_path: Path) -> None:
    """`build --nav --risk --router --expectancy --now` reads the four snapshot files."""
    fixture = json.loads(FIXTURE.read_text())
    names = {}
    for key in ("nav", "risk", "router", "expectancy"):
        names[key] = tmp_path / f"{key}.json"
        names[key].write_text(json.dumps(fixture[key]))
    result = run_cli("build", "--nav", str(names["nav"]), "--risk", str(names["risk"]),
                     "--router", str(names["router"]), "--expectancy", str(names["expectancy"]),
                     "--now", str(fixture["now_ts"]), "--run-mode", fixture["run_mode"])
    assert result.returncode == 0, result.stderr
    assert_payload_equal(json.loads(result.stdout), fixture["expected_7_1"])


def test_build_out_publishes_a_readable_valid_file(valid_file: Path) -> None:
    """`build --out` writes a schema-valid file with mode 0644."""
    assert stat.S_IMODE(valid_file.stat().st_mode) == 0o644
    assert run_cli("validate", str(valid_file)).returncode == 0


def test_build_out_into_missing_directory_is_an_io_error(tmp_path: Path) -> None:
    """Publishing into a missing directory: exit 2, one line, nothing created."""
    out = tmp_path / "no" / "such" / "kpis_v7.json"
    result = run_cli("build", "--fixture", str(FIXTURE), "--out", str(out))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert str(out.parent) in result.stderr
    assert not out.parent.exists()


@pytest.mark.parametrize("content", [b"{torn", b"\x00\x01"])
def test_build_with_unparseable_snapshot_file_is_an_io_error(
    tmp_path: Path, content: bytes
) -> None:
    """A snapshot file that is not JSON: exit 2 and a line naming it."""
    nav = tmp_path / "nav.json"
    nav.write_bytes(content)
    result = run_cli("build", "--nav", str(nav), "--now", "1767225600")
    assert result.returncode == 2
    assert_one_line_errors(result.stderr)
    assert result.stderr.startswith(f"{nav}::$: not valid JSON")


def test_build_rejects_non_finite_now(tmp_path: Path) -> None:
    """`--now nan` is a usage error, not a payload."""
    result = run_cli("build", "--now", "nan")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "finite" in result.stderr
    assert "Traceback" not in result.stderr


def test_schema_prints_the_schema_and_its_path() -> None:
    """`schema` prints the shipped schema; `schema --path` prints where it is."""
    printed = run_cli("schema")
    located = run_cli("schema", "--path")
    assert printed.returncode == located.returncode == 0
    source = ROOT / "schemas" / SCHEMA_FILENAME
    assert json.loads(printed.stdout) == json.loads(source.read_text())
    assert Path(located.stdout.strip()).read_text() == printed.stdout


@pytest.mark.parametrize("args", [("bogus",), ("validate",), ("build", "--frobnicate"), ()])
def test_usage_errors_exit_2_in_one_line(args: tuple[str, ...]) -> None:
    """Unknown commands and options: exit 2 and a single line, no usage dump, no traceback."""
    result = run_cli(*args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_console_script_is_installed() -> None:
    """The `kpi-contract` console script runs the same command line."""
    script = Path(sys.executable).parent / "kpi-contract"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                            check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "kpis_v7 schema 7.1.0")

"""Every error, log and result line is one line, bounded, and safe for a terminal.

README: errors are "one line on stderr (... cut to a few hundred characters whatever the
value)"; docs/executor.md: "messages are cut to 300 characters". A file name, a key, an
executor id or an argument holding a newline, a CR or an ESC must neither split a line nor send
escape codes to the operator's terminal, and a 20,000-character value must not make a
20,000-character line. The real commands run as subprocesses and their raw bytes are checked
(text mode would turn a CR into a line break and hide it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_contract.errors import MAX_LINE_CHARS, escape_controls, one_line
from tests.s3_server import S3Env
from tests.test_execution_support import clean_env, published_state_and_mirror
from tests.test_fleet import invalid_doc, put
from tests.test_gate import copy_repository
from tests.test_remote_mirror import T0, kpi_doc

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = json.loads((ROOT / "tests" / "fixtures" / "snapshots" / "01_healthy_full.json")
                     .read_text())["expected_7_1"]
CONTROLS = (b"\n", b"\r", b"\x1b", b"\x07", b"\x00", b"\xc2\x9b", b"\xe2\x80\xa8",
            b"\xe2\x80\xae")  # LF, CR, ESC, BEL, NUL, CSI (C1), LINE SEPARATOR, RLO, as UTF-8


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[bytes]:
    """``python -m ARGS`` with raw byte output."""
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True,
                          check=False, timeout=120, env=env or clean_env())


def lines(output: bytes) -> list[str]:
    """The output's lines, after checking that no control byte but the line ends is in it and
    that every line is within the bound."""
    assert output.endswith(b"\n"), output[-200:]
    body = output.replace(b"\n", b"")
    for control in CONTROLS:
        assert control not in body, (control, output[:300])
    found = output.decode("utf-8", "backslashreplace").splitlines()
    for line in found:
        assert len(line) <= MAX_LINE_CHARS, f"{len(line)}-character line: {line[:200]}"
    return found


def valid_document() -> bytes:
    return json.dumps(EXAMPLE).encode()


# --- the one function --------------------------------------------------------------------------


@given(st.text(), st.integers(min_value=60, max_value=2000))
def test_one_line_gives_one_printable_bounded_line_and_is_idempotent(text: str, limit: int
                                                                     ) -> None:
    """Whatever the text: no character a terminal acts on, at most ``limit`` characters, and a
    second pass changes nothing (so rendering twice never double-escapes)."""
    line = one_line(text, limit)
    assert len(line) <= limit
    assert all(c.isprintable() or "\ud800" <= c <= "\udfff" for c in line)
    assert one_line(line, limit) == line


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn",
                                                                  "Zl", "Zp", "Zs")),
               max_size=MAX_LINE_CHARS))
def test_a_short_printable_line_is_kept_as_it_is(text: str) -> None:
    """Nothing to escape and short enough: the line is untouched."""
    assert one_line(text) == text


def test_control_characters_are_written_as_python_writes_them() -> None:
    """Newline, CR, tab, ESC, CSI, U+2028, RLO as ``repr`` writes them; a backslash stays."""
    assert escape_controls("a\nb\rc\td\x1b[2Je\x9bf\u2028g\u202eh\\i") == (
        "a\\nb\\rc\\td\\x1b[2Je\\x9bf\\u2028g\\u202eh\\i")


def test_a_long_file_name_keeps_its_start_its_own_name_and_the_message() -> None:
    """In ``FILE::$.path: message`` the file part is cut first: the start of the path, the
    file's own name and the whole message stay."""
    path = "/data/" + "deep/" * 600 + "kpis_v7.json"
    line = one_line(f"{path}::$.router.reject_rate: 1.5 is greater than the maximum of 1")
    assert len(line) <= MAX_LINE_CHARS
    assert line.startswith("/data/deep/deep/")
    assert line.endswith("/kpis_v7.json::$.router.reject_rate: 1.5 is greater than the "
                         "maximum of 1")
    assert "characters]..." in line


# --- validate ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["new\nline.json", "carriage\rreturn.json",
                                  "e\x1b[31mred.json", "sep\u2028arated\u202e.json"],
                         ids=["newline", "CR", "ESC", "U+2028-RLO"])
def test_validate_a_file_name_with_control_characters_gives_one_escaped_line(
        tmp_path: Path, name: str) -> None:
    """The attack's file name with a newline (and CR, ESC, a line separator and a bidi
    override): the error is one line naming the file with the character escaped; a valid file
    so named gets one result line on stdout."""
    bad = tmp_path / name
    bad.write_bytes(b"")
    result = run("kpi_contract", "validate", str(bad))
    assert result.returncode == 1
    (line,) = lines(result.stderr)
    assert line == f"{escape_controls(str(bad))}::$: not valid JSON: Expecting value: line 1 " \
                   "column 1 (char 0)"
    bad.write_bytes(valid_document())
    result = run("kpi_contract", "validate", str(bad))
    assert (result.returncode, result.stderr) == (0, b"")
    assert lines(result.stdout) == [f"{escape_controls(str(bad))}: valid kpis_v7 7.1.0"]


def test_validate_a_3000_character_path_is_cut_keeping_the_file_name(tmp_path: Path) -> None:
    """The attack's 3,000-character path (3,052 bytes before), and a real file 3,000
    characters deep: one line within the bound, the path's start and the file's name kept."""
    missing = str(tmp_path / ("a" * 3000))
    result = run("kpi_contract", "validate", missing)
    assert result.returncode == 2
    (line,) = lines(result.stderr)
    assert line.startswith(str(tmp_path))
    assert "File name too long" in line
    deep = tmp_path.joinpath(*["d" * 200] * 15)
    deep.mkdir(parents=True)
    (deep / "kpis_v7.json").write_text('{"schema_version": "7.1.0"')
    result = run("kpi_contract", "validate", str(deep / "kpis_v7.json"))
    assert result.returncode == 1
    (line,) = lines(result.stderr)
    assert line.startswith(f"{tmp_path}/ddd")
    assert "/kpis_v7.json::$: not valid JSON: " in line


@pytest.mark.parametrize("key", ["x\x1b[2J", "y\x9b31m\u202e", "z\r\nw"],
                         ids=["ESC", "CSI-RLO", "CRLF"])
def test_validate_a_key_with_control_characters_is_printed_escaped(tmp_path: Path, key: str
                                                                   ) -> None:
    """A key holding ESC (the attack's ``x\\x1b[2J``), a C1 CSI with a bidi override, or CR LF:
    the violation line shows it escaped, never raw."""
    doc = dict(EXAMPLE)
    doc[key] = 1
    path = tmp_path / "kpis_v7.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = run("kpi_contract", "validate", str(path))
    assert result.returncode == 1
    (line,) = lines(result.stderr)
    assert escape_controls(key) in line


def test_validate_json_output_is_valid_json_holding_the_raw_name_and_key(tmp_path: Path) -> None:
    """``--format json``: the JSON encoder does the escaping (``\\u001b``), nothing is escaped
    twice: the file name and the message read back exactly; stderr is escaped as ever."""
    path = tmp_path / "e\x1b[31m\nred.json"
    doc = dict(EXAMPLE)
    doc["x\x1b[2J"] = 1
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = run("kpi_contract", "validate", str(path), "--format", "json")
    assert result.returncode == 1
    assert b"\\u001b" in result.stdout
    assert b"\\\\x1b" not in result.stdout
    report = json.loads(result.stdout)
    (entry,) = report["files"]
    assert entry["filename"] == str(path)
    assert "'x\x1b[2J'" in entry["errors"][0]["message"]
    assert len(lines(result.stderr)) == 1


# --- build, dashboard, usage errors ------------------------------------------------------------


def test_build_names_a_bad_snapshot_or_output_path_in_one_escaped_line(tmp_path: Path) -> None:
    """``build --nav`` of a torn file and ``build --out`` into a missing directory, both named
    with a newline and an ESC: one escaped line each, exit 2."""
    nav = tmp_path / "nav\n\x1b[2J.json"
    nav.write_text("{torn")
    result = run("kpi_contract", "build", "--nav", str(nav), "--now", str(T0))
    assert result.returncode == 2
    (line,) = lines(result.stderr)
    assert line.startswith(f"{escape_controls(str(nav))}::$: not valid JSON")
    out = tmp_path / "missing\r\x1b]0;title\x07" / "kpis_v7.json"
    result = run("kpi_contract", "build", "--out", str(out), "--now", str(T0))
    assert result.returncode == 2
    (line,) = lines(result.stderr)
    assert escape_controls(str(out.parent)) in line


def test_dashboard_names_a_bad_state_dir_in_one_escaped_line(tmp_path: Path) -> None:
    """``dashboard --state-dir`` naming a file whose name holds a newline and ESC."""
    state = tmp_path / "state\n\x1b[2J"
    state.write_text("")
    result = run("kpi_contract", "dashboard", "--state-dir", str(state))
    assert result.returncode == 2
    assert lines(result.stderr) == [f"{escape_controls(str(state))}::$: --state-dir is not a "
                                    "directory"]


@pytest.mark.parametrize("command", [("kpi_contract", "validate", "f.json"),
                                     ("execution.sync_state", "--once")],
                         ids=["kpi-contract", "sync_state"])
def test_a_usage_error_quoting_an_argument_is_one_escaped_line(command: tuple[str, ...]) -> None:
    """argparse quotes unknown arguments as given: one line, escaped, exit 2."""
    result = run(*command, "--frob\n\x1b[2Jnicate", "x" * 5000)
    assert result.returncode == 2
    (line,) = lines(result.stderr)
    assert "unrecognized arguments: --frob\\n\\x1b[2Jnicate" in line


# --- the executor and the mirror ---------------------------------------------------------------


def test_a_20000_character_executor_id_is_one_bounded_line(tmp_path: Path) -> None:
    """The attack: ``sync_state --once --mirror-url s3://b-b-b/p --executor-id <20,000 chars>``
    gave a 20,104-byte line; the executor's own option with ESC and a newline in it too."""
    result = run("execution.sync_state", "--once", "--state-dir", "x", "--mirror-dir", "y",
                 "--mirror-url", "s3://b-b-b/p", "--executor-id", "z" * 20_000, cwd=tmp_path)
    assert result.returncode == 2
    (line,) = lines(result.stderr)
    assert line.startswith("sync_state: executor id 'zzz")
    assert line.endswith("': use 1-128 letters, digits, '.', '_' or '-', starting with a letter "
                         "or digit")
    result = run("execution.executor_live", "--loops", "1", "--mirror-url", "s3://b-b-b/p",
                 "--executor-id", "id\n\x1b[2J", cwd=tmp_path, env=clean_env(DRY_RUN="1"))
    assert result.returncode == 2
    (line,) = lines(result.stderr)
    assert "executor id 'id\\n\\x1b[2J'" in line


def test_a_hostile_state_file_cannot_reach_the_operators_terminal(tmp_path: Path) -> None:
    """A kpis_v7.json in the state directory with a key holding ESC and a newline, in a state
    directory whose name holds a CR: the mirror's log lines show them escaped, one per line."""
    state, mirror = published_state_and_mirror(tmp_path, T0)
    hostile = tmp_path / "logs" / "st\rate"
    state.rename(hostile)
    doc = json.loads((hostile / "kpis_v7.json").read_text())
    doc["x\x1b[2J\ny"] = 1
    (hostile / "kpis_v7.json").write_text(json.dumps(doc))
    result = run("execution.sync_state", "--once", "--state-dir", str(hostile),
                 "--mirror-dir", str(mirror), cwd=tmp_path)
    assert result.returncode == 1
    (line,) = lines(result.stderr)
    assert line.startswith("sync_state: ERROR not mirrored: ")
    assert "'x\\x1b[2J\\ny'" in line
    assert lines(result.stdout)[0].startswith("sync_state: copied 4")


def test_a_replay_directory_named_with_controls_logs_one_escaped_line(tmp_path: Path) -> None:
    """The executor's own log lines: a corrupt recorded NAV file in a replay directory whose
    name holds a newline and ESC is logged once, escaped."""
    replay = tmp_path / "rec\n\x1b[2Jordings"
    replay.mkdir()
    (replay / "nav_health.json").write_text("{torn")
    result = run("execution.executor_live", "--loops", "1", "--interval", "0", "--replay",
                 str(replay), cwd=tmp_path, env=clean_env(DRY_RUN="1"))
    assert result.returncode == 0, result.stderr[-500:]
    warnings = [line for line in lines(result.stderr) if "nav_health.json" in line]
    assert warnings
    assert all(escape_controls(str(replay)) in line for line in warnings)
    assert len(lines(result.stdout)) >= 3  # startup, one loop, the summary


# --- review --gate, fleet ----------------------------------------------------------------------


def test_the_gate_prints_a_stray_release_name_escaped(tmp_path: Path) -> None:
    """``review --gate``'s failure lines go through the same function: a file in
    schemas/releases named with a newline and ESC is one escaped ``gate:`` line."""
    root = copy_repository(tmp_path)
    (root / "schemas" / "releases" / "stray\n\x1b[2J.json").write_text("{}")
    result = run("kpi_contract", "review", "--gate", "--root", str(root))
    assert result.returncode == 1
    assert "gate: releases: schemas/releases/stray\\n\\x1b[2J.json: not a release file name " \
           "(kpis_vN-X.Y.Z.schema.json)" in lines(result.stdout)


def test_fleet_executor_ids_with_controls_are_escaped_in_table_and_errors(s3: S3Env) -> None:
    """Executor ids are key prefixes anyone with write access chose: in the table and on
    stderr they are escaped; ``--format json`` holds them exactly. (moto refuses a newline in a
    key; CR, ESC and a bidi override it stores.)"""
    put(s3, "desk/ok\x1b[31m\u202e/kpis_v7.json", kpi_doc(T0))
    put(s3, "desk/bad\rcase/kpis_v7.json", invalid_doc())
    result = run("kpi_contract", "fleet", s3.url("desk"), env=clean_env(**s3.env))
    assert result.returncode == 1
    table = lines(result.stdout)
    assert [row.split()[0] for row in table] == ["EXECUTOR", "bad\\rcase", "ok\\x1b[31m\\u202e"]
    (error,) = lines(result.stderr)
    assert error.startswith("s3://kpi-fleet/desk/bad\\rcase/kpis_v7.json::$.router.")
    report = json.loads(run("kpi_contract", "fleet", s3.url("desk"), "--format", "json",
                            env=clean_env(**s3.env)).stdout)
    assert [e["executor_id"] for e in report["executors"]] == ["bad\rcase", "ok\x1b[31m\u202e"]


def test_fleet_table_lines_stay_within_the_bound_with_a_900_character_executor_id(
    s3: S3Env,
) -> None:
    """Every row is padded to the longest executor id: a 900-character one is cut in its cell
    (start and end kept), so every table line, header included, stays within the bound."""
    long_id = "e" * 450 + "-" + "f" * 449
    put(s3, f"wide/{long_id}/kpis_v7.json", kpi_doc(T0))
    put(s3, "wide/short/kpis_v7.json", kpi_doc(T0))
    result = run("kpi_contract", "fleet", s3.url("wide"), env=clean_env(**s3.env))
    table = lines(result.stdout)  # asserts each line's length
    assert len(table) == 3
    assert any(row.startswith("eeee") and "ffff " in row for row in table)


def test_no_command_prints_outside_the_console_module() -> None:
    """Every line the package and the executor print goes through kpi_contract.console (which
    applies ``one_line``): no bare ``print`` or ``sys.stderr.write`` elsewhere."""
    offenders = []
    for folder in ("kpi_contract", "execution"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "console.py":
                continue
            text = path.read_text(encoding="utf-8")
            for needle in ("print(", "sys.stderr.write", "sys.stdout.write",
                           "logging.basicConfig"):
                if needle in text:
                    offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


def test_the_line_checker_itself_catches_a_leak() -> None:
    """A guard on the helper: ``lines`` refuses raw ESC, CR and an over-long line."""
    for leak in (b"ok\x1b[2J\n", b"a\rb\n", b"x" * (MAX_LINE_CHARS + 1) + b"\n"):
        with pytest.raises(AssertionError):
            lines(leak)

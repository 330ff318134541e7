"""The review on the command line, through real subprocesses: exit codes and output shapes.

Both entry points run: ``python -m kpi_contract review`` (the package's command line, once
kpi_contract/cli.py registers the subcommand) and ``python -m kpi_contract.review``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.test_gate import NEWEST, copy_repository
from tests.test_review_pairs import prop, released, with_version

ROOT = Path(__file__).resolve().parent.parent
_CLI = ROOT / "kpi_contract" / "cli.py"
HAS_CLI = _CLI.is_file() and "kpi_contract.review.command" in _CLI.read_text(encoding="utf-8")
ENTRY_POINTS = [
    pytest.param(("-m", "kpi_contract", "review"), id="kpi-contract-review",
                 marks=pytest.mark.skipif(not HAS_CLI, reason="kpi_contract/cli.py does not "
                                          "register the review subcommand yet")),
    pytest.param(("-m", "kpi_contract.review"), id="python-m-kpi_contract.review"),
]
ERROR_LINE = re.compile(r"^\S+::\$\S*: .+$")


def run(entry: tuple[str, ...], *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the review with captured text output."""
    return subprocess.run([sys.executable, *entry, *args], cwd=cwd, capture_output=True,
                          text=True, check=False, timeout=120)


def write(path: Path, schema: dict[str, Any]) -> str:
    """Write a schema file and return its path as text."""
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    return str(path)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[str, str]:
    """The 7.0.0 release and a 7.1.0 that adds an optional field (a correct minor bump)."""
    new = with_version(released(), "7.1.0")
    new["$defs"]["Router"]["properties"]["fill_count"] = {"type": ["integer", "null"]}
    return write(tmp_path / "old.json", released()), write(tmp_path / "new.json", new)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_default_review_of_the_repository_passes(entry: tuple[str, ...]) -> None:
    """With no files the review compares the newest release with the current schema: exit 0."""
    result = run(entry)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"### Schema review: {NEWEST} -> {NEWEST}\n")
    assert "**Verdict: pass.**" in result.stdout


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_sufficient_bump_exits_0_with_markdown_table(entry: tuple[str, ...],
                                                     pair: tuple[str, str]) -> None:
    """A minor bump for an optional field: exit 0, a table row, a witness, nothing on stderr."""
    result = run(entry, *pair)
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0] == "### Schema review: 7.0.0 -> 7.1.0"
    assert "**Verdict: pass.** Declared bump: **minor** (7.0.0 -> 7.1.0). Required bump: " \
           "**minor**." in lines
    header = "| # | rule | schema pointer | payload path | breaks | old | new | bump | why |"
    assert header in lines
    row = next(line for line in lines if line.startswith("| 1 |"))
    assert "`property.added.optional`" in row
    assert "`/properties/router/properties/fill_count`" in row
    assert "#### Witnesses" in lines


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_json_output_shape(entry: tuple[str, ...], pair: tuple[str, str]) -> None:
    """``--format json`` prints one JSON document with status, bumps and findings."""
    result = run(entry, *pair, "--format", "json")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert document["status"] == "ok"
    assert (document["declared_bump"], document["required_bump"]) == ("minor", "minor")
    assert document["old"] == {"file": pair[0], "version": "7.0.0"}
    (finding,) = document["findings"]
    assert finding["rule"] == "property.added.optional"
    assert finding["breaks"] == ["readers"]
    assert finding["witnesses"][0]["rejected_by"] == "7.0.0"


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_too_small_bump_exits_1(entry: tuple[str, ...], tmp_path: Path) -> None:
    """A breaking change declared as a minor: exit 1, FAIL, and the way out (kpis_v8)."""
    new = with_version(released(), "7.1.0")
    prop(new, "Router", "reject_rate")["maximum"] = 0.5
    result = run(entry, write(tmp_path / "old.json", released()),
                 write(tmp_path / "new.json", new))
    assert result.returncode == 1
    assert "**Verdict: FAIL.**" in result.stdout
    assert "- the declared bump minor (7.0.0 -> 7.1.0) is smaller than the required bump " \
           "major" in result.stdout
    assert "must become kpis_v8" in result.stdout


@pytest.mark.parametrize(("old_version", "new_version", "edit", "message"), [
    ("7.1.0", "7.0.0", False, "the version goes down (7.1.0 -> 7.0.0)"),
    ("7.0.0", "7.0.0", True, "the schema changed without a version change"),
])
def test_version_problems_exit_1(tmp_path: Path, old_version: str, new_version: str,
                                 edit: bool, message: str) -> None:
    """Version down, or a change without a new version: exit 1 with the reason in JSON."""
    new = with_version(released(), new_version)
    if edit:
        new["title"] = "edited"
    result = run(ENTRY_POINTS[1].values[0],
                 write(tmp_path / "old.json", with_version(released(), old_version)),
                 write(tmp_path / "new.json", new), "--format", "json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["status"] == "fail"
    assert any(p.startswith(message) for p in document["problems"])


def _usage_cases(tmp_path: Path) -> list[tuple[list[str], str]]:
    good = write(tmp_path / "good.json", released())
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    not_schema = write(tmp_path / "not_schema.json", {**released(), "type": "objekt"})
    no_version = write(tmp_path / "no_version.json", {**released(), "$id": "urn:x"})
    return [
        ([str(tmp_path / "missing.json"), good],
         f"{tmp_path / 'missing.json'}::$: cannot open: No such file or directory (ENOENT)"),
        ([good, str(tmp_path / "bad.json")], f"{tmp_path / 'bad.json'}::$: not valid JSON: "),
        ([good, not_schema], f"{not_schema}::$.type: not a valid 2020-12 schema: "),
        ([no_version, good], f"{no_version}::$['$id']: schema $id 'urn:x' does not end in a "
                             "version"),
        ([good], "kpi-contract review: error: give both OLD and NEW schema files, or neither"),
    ]


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_usage_errors_exit_2_with_one_line_and_no_traceback(entry: tuple[str, ...],
                                                            tmp_path: Path) -> None:
    """Missing file, bad JSON, not a schema, no version, one file: exit 2, one line each."""
    for args, start in _usage_cases(tmp_path):
        result = run(entry, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == ""
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith(start), line
        if "::" in start:
            assert ERROR_LINE.match(line), line


def test_default_review_without_releases_is_a_usage_error(tmp_path: Path) -> None:
    """``--root`` without frozen releases: exit 2 naming the releases folder."""
    (tmp_path / "schemas").mkdir()
    write(tmp_path / "schemas" / "kpis_v7.schema.json", released())
    result = run(ENTRY_POINTS[1].values[0], "--root", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == f"{tmp_path / 'schemas' / 'releases'}::$: no frozen release to " \
                            "compare with\n"


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_gate_on_the_repository_passes(entry: tuple[str, ...]) -> None:
    """``review --gate`` on this repository: exit 0."""
    result = run(entry, "--gate", "--format", "json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout) == {"status": "ok", "failures": []}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_silent_pass_shape_fails_a_patch_and_shows_shown_against_unproven(
        entry: tuple[str, ...], tmp_path: Path) -> None:
    """if/then/else split across allOf (issue 13) as a patch: exit 1; JSON and Markdown tell the
    demonstrated direction (with its witness) from the unproven one (with the effort)."""
    ident = "urn:kpi-contract:kpis_v7:"
    old = {"$id": ident + "7.0.0", "type": "string",
           "allOf": [{"if": {"maxLength": 1}}, {"then": {"pattern": "^a"},
                                                "else": {"minLength": 3}}]}
    new = {"$id": ident + "7.0.1", "type": "string", "if": {"maxLength": 1},
           "then": {"pattern": "^a"}, "else": {"minLength": 3}}
    files = write(tmp_path / "old.json", old), write(tmp_path / "new.json", new)
    result = run(entry, *files, "--format", "json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["required_bump"] == "major"
    (finding,) = document["findings"]
    assert (finding["rule"], finding["pointer"], finding["breaks"]) == (
        "unclassified", "/if", ["writers"])
    (unproven,) = finding["unproven"]
    assert unproven["direction"] == "readers"
    assert unproven["candidates_tried"] > 0
    assert finding["witnesses"][0]["direction"] == "writers"
    text = run(entry, *files).stdout
    row = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert "| writers; readers unproven |" in row
    assert (f"- **#1 readers**: unproven: no witness among {unproven['candidates_tried']} "
            "candidates tried; presumed breaking (SPEC section 8).") in text.splitlines()


def test_a_schema_file_that_is_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """The review reads schema files through the package's one JSON reader: a FIFO in place of
    a schema is refused at once (exit 2, one line), never waited on."""
    fifo = tmp_path / "schema.json"
    os.mkfifo(fifo)
    result = run(("-m", "kpi_contract"), "review", str(fifo), str(fifo))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "not a regular file" in result.stderr


def _closed_stdout() -> None:
    """In the child: start with file descriptor 1 closed (``>&-``)."""
    os.close(1)


def run_without_stdout(entry: tuple[str, ...], how: str, *args: str
                       ) -> subprocess.CompletedProcess[str]:
    """Run the review with stdout closed (``>&-``), a pipe nobody reads (EPIPE, as after
    ``| head -1``), or ``/dev/full`` (ENOSPC); stderr captured."""
    command = [sys.executable, *entry, *args]
    if how == "closed":
        return subprocess.run(command, cwd=ROOT, stderr=subprocess.PIPE, text=True,
                              check=False, timeout=120, preexec_fn=_closed_stdout)
    if how == "full":
        with open("/dev/full", "w", encoding="utf-8") as full:
            return subprocess.run(command, cwd=ROOT, stdout=full, stderr=subprocess.PIPE,
                                  text=True, check=False, timeout=120)
    read_end, write_end = os.pipe()
    os.close(read_end)  # no reader at all: the first write gets EPIPE
    try:
        return subprocess.run(command, cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE,
                              text=True, check=False, timeout=120)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("how", ["closed", "no-reader", "full"])
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_closed_or_broken_stdout_keeps_the_verdict_without_a_traceback(
        entry: tuple[str, ...], how: str, pair: tuple[str, str], tmp_path: Path) -> None:
    """``review >&-`` (and EPIPE, ENOSPC): the report is dropped, stderr stays empty, and the
    exit code is still the verdict: 0 for a sufficient bump, 1 for a silent-pass shape as a
    patch, 0 for the gate, 2 for a usage error (its one line still on stderr)."""
    ident = "urn:kpi-contract:kpis_v7:"
    prefix = {"type": "array", "allOf": [{"prefixItems": [{}] * 5}], "unevaluatedItems": False}
    old = write(tmp_path / "p_old.json", {"$id": ident + "7.0.0", **prefix})
    longer = {**prefix, "allOf": [{"prefixItems": [{}] * 6}]}
    new = write(tmp_path / "p_new.json", {"$id": ident + "7.0.1", **longer})
    for args, code in (((*pair,), 0), ((old, new), 1), ((old, new, "--format", "json"), 1),
                       (("--gate",), 0)):
        result = run_without_stdout(entry, how, *args)
        assert (result.returncode, result.stderr) == (code, ""), (args, result.stderr)
    usage = run_without_stdout(entry, how, old)
    assert usage.returncode == 2
    assert usage.stderr == "kpi-contract review: error: give both OLD and NEW schema files, " \
                           "or neither\n"


# --- $ref cycles: one line, never a RecursionError traceback ----------------------------------

CURRENT_SCHEMA = ROOT / "schemas" / "kpis_v7.schema.json"
NEWEST_RELEASE = ROOT / "schemas" / "releases" / f"kpis_v7-{NEWEST}.schema.json"
CYCLES: dict[str, tuple[dict[str, Any], str, str]] = {
    "Nav to itself": ({"Nav": {"$ref": "#/$defs/Nav"}}, "$['$defs'].Nav['$ref']",
                      "#/$defs/Nav -> #/$defs/Nav"),
    "Router via two definitions": (
        {"Router": {"$ref": "#/$defs/Hop"}, "Hop": {"allOf": [{"$ref": "#/$defs/Back"}]},
         "Back": {"anyOf": [{"$ref": "#/$defs/Router"}, {"type": "null"}]}},
        "$['$defs'].Back.anyOf['0']['$ref']",
        "#/$defs/Router -> #/$defs/Hop -> #/$defs/Back -> #/$defs/Router"),
}


def cyclic_schema(defs: dict[str, Any]) -> dict[str, Any]:
    """Today's schema as a newer minor whose ``$defs`` gain ``defs`` (a ``$ref`` cycle)."""
    schema: dict[str, Any] = json.loads(CURRENT_SCHEMA.read_text(encoding="utf-8"))
    schema["$id"] = schema["$id"].replace(NEWEST, "7.99.0")
    schema["$defs"].update(defs)
    return schema


def assert_cycle_line(result: subprocess.CompletedProcess[str], name: str, where: str,
                      loop: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr[-500:]
    assert result.stderr == (f"{name}::{where}: $ref cycle that never goes down into the payload "
                             f"({loop}): no validator can finish evaluating it\n")
    assert (result.returncode, result.stdout) == (2, "")


@pytest.mark.parametrize("cycle", list(CYCLES))
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_ref_cycle_is_one_line_exit_2(entry: tuple[str, ...], cycle: str,
                                        tmp_path: Path) -> None:
    """OLD NEW where NEW has a ``$ref`` cycle (the attack's repro, and one through three
    definitions, allOf and anyOf): one line naming the file, the ``$ref`` and the loop, exit 2
    like a ``$ref`` pointing nowhere; JSON output too."""
    defs, where, loop = CYCLES[cycle]
    new = write(tmp_path / "recurse.json", cyclic_schema(defs))
    for extra in ((), ("--format", "json")):
        assert_cycle_line(run(entry, str(NEWEST_RELEASE), new, *extra), new, where, loop)
    assert_cycle_line(run(entry, new, str(NEWEST_RELEASE)), new, where, loop)


def test_a_ref_cycle_in_the_current_schema_of_root_is_one_line(tmp_path: Path) -> None:
    """``review --root DIR`` (the default pair) on a tree whose current schema has a cycle."""
    (tmp_path / "schemas" / "releases").mkdir(parents=True)
    (tmp_path / "schemas" / "releases" / NEWEST_RELEASE.name).write_bytes(
        NEWEST_RELEASE.read_bytes())
    defs, where, loop = CYCLES["Nav to itself"]
    write(tmp_path / "schemas" / "kpis_v7.schema.json", cyclic_schema(defs))
    result = run(("-m", "kpi_contract"), "review", "--root", str(tmp_path))
    assert_cycle_line(result, "schemas/kpis_v7.schema.json", where, loop)


def test_the_gate_reports_a_ref_cycle_as_one_failure_line(tmp_path: Path) -> None:
    """``review --gate --root COPY`` with a cycle in the current schema: exit 1, the cycle is
    one ``gate: current: FILE::...`` line, no traceback."""
    root = copy_repository(tmp_path)
    defs, where, loop = CYCLES["Router via two definitions"]
    write(root / "schemas" / "kpis_v7.schema.json", cyclic_schema(defs))
    result = run(("-m", "kpi_contract"), "review", "--gate", "--root", str(root))
    assert "Traceback" not in result.stderr, result.stderr[-500:]
    assert result.returncode == 1
    assert (f"gate: current: schemas/kpis_v7.schema.json::{where}: $ref cycle that never goes "
            f"down into the payload ({loop}): no validator can finish evaluating it"
            ) in result.stdout.splitlines()
    assert all(line.startswith("gate: ") for line in result.stdout.splitlines())


def test_a_recursion_error_left_over_is_a_one_line_tool_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        pair: tuple[str, str]) -> None:
    """The last guard: should the review still exhaust Python's stack on schemas it accepted,
    the command prints one line naming both files and exits 1 (a review tool error)."""
    from kpi_contract import cli
    from kpi_contract.review import command

    def exhausted(*_: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(command, "review_pair", exhausted)
    assert cli.main(["review", *pair]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"kpi-contract review: error: {pair[0]} -> {pair[1]}: Python's recursion "
                   "limit was reached while reviewing (a review tool error: please report "
                   "these schemas)\n")

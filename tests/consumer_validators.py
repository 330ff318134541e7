"""The schema's consumers' validators, each run on many document texts at once (issue 14).

Every function takes the texts of documents (each parsed by that validator's own JSON parser, as a
consumer would) and returns one verdict per text: ``valid``, ``invalid`` or ``unparsed`` (its
parser refused the text). Set-ups are the ones the reference docs tell consumers to use:

- python-jsonschema: ``Draft202012Validator`` with its format checker (``date-time`` checked
  through rfc3339-validator), documents parsed by ``json.loads``;
- jsonschema-rs: ``Draft202012Validator(validate_formats=True)``, documents from ``json.loads``;
- kpi-contract: the package's own check (``loads_strict``, ``validate_document``);
- Ajv 8 (``Ajv2020``, default options, strict mode) with ajv-formats and ``js/ajv-setup.mjs``, in
  one node process (``js/scripts/verdicts.mjs``), documents parsed by ``JSON.parse``;
- Sourcemeta's ``jsonschema validate --format-assertion`` (Blaze, C++), the binary that the
  ``sourcemeta-jsonschema`` wheel ships, documents parsed by its own parser.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import jsonschema
import jsonschema_rs

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "js"
SCHEMA_PATH = ROOT / "schemas" / "kpis_v7.schema.json"
RELEASE_7_0_0 = ROOT / "schemas" / "releases" / "kpis_v7-7.0.0.schema.json"

Verdict = Literal["valid", "invalid", "unparsed"]
Validator = Callable[[Sequence[str]], list[Verdict]]


def schema() -> dict[str, Any]:
    """The current schema file, parsed."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def python_jsonschema(texts: Sequence[str]) -> list[Verdict]:
    """python-jsonschema's verdicts (documents parsed by ``json.loads``)."""
    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    verdicts: list[Verdict] = []
    for text in texts:
        try:
            doc = json.loads(text)
        except ValueError:
            verdicts.append("unparsed")
            continue
        verdicts.append("valid" if validator.is_valid(doc) else "invalid")
    return verdicts


def jsonschema_rs_validator(texts: Sequence[str]) -> list[Verdict]:
    """jsonschema-rs's verdicts (documents parsed by ``json.loads``)."""
    validator = jsonschema_rs.Draft202012Validator(schema(), validate_formats=True)
    verdicts: list[Verdict] = []
    for text in texts:
        try:
            doc = json.loads(text)
        except ValueError:
            verdicts.append("unparsed")
            continue
        try:
            verdicts.append("valid" if validator.is_valid(doc) else "invalid")
        except ValueError:  # a value it cannot convert (an int beyond 64 bits)
            verdicts.append("unparsed")
    return verdicts


def kpi_contract_package(texts: Sequence[str]) -> list[Verdict]:
    """The package's own verdicts: its strict parser, then its validator."""
    from kpi_contract.validation import loads_strict, validate_document

    verdicts: list[Verdict] = []
    for text in texts:
        try:
            doc = loads_strict(text.encode("utf-8"))
        except ValueError:
            verdicts.append("unparsed")
            continue
        verdicts.append("invalid" if validate_document(doc) else "valid")
    return verdicts


def require_node_modules() -> None:
    """Fail with the fix when the JavaScript toolchain is not installed."""
    if not (JS / "node_modules" / "ajv").is_dir():
        raise AssertionError("js/node_modules is missing: run bash scripts/setup_env.sh "
                             "(it runs npm ci in js/)")


def ajv(texts: Sequence[str]) -> list[Verdict]:
    """Ajv 8's verdicts, set up as the docs say, in one node process."""
    verdicts: list[Verdict] = _verdicts_mjs(texts, SCHEMA_PATH)
    return verdicts


def js_reader(texts: Sequence[str], schema_path: Path = SCHEMA_PATH) -> list[str]:
    """js/reader.mjs's readKpisV7 on each text: ``ok`` or its error's kind."""
    return _verdicts_mjs(texts, schema_path, "--reader")


def _verdicts_mjs(texts: Sequence[str], schema_path: Path, *options: str) -> Any:
    require_node_modules()
    result = subprocess.run(
        ["node", str(JS / "scripts" / "verdicts.mjs"), str(schema_path), *options],
        input=json.dumps(list(texts)), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    verdicts = json.loads(result.stdout)
    assert len(verdicts) == len(texts)
    return verdicts


NODE_PRELUDE = """\
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import { setUpAjvForKpisV7 } from "./ajv-setup.mjs";
import * as reader from "./reader.mjs";
const SCHEMA = JSON.parse(readFileSync(process.env.KPIS_SCHEMA, "utf8"));
const STDIN = readFileSync(0, "utf8");
const INPUT = STDIN === "" ? null : JSON.parse(STDIN);
const warnings = [];
const logger = { log: (m) => warnings.push(String(m)), warn: (m) => warnings.push(String(m)),
                 error: (m) => warnings.push(String(m)) };
const out = (value) => process.stdout.write(JSON.stringify(value) + "\\n");
const compileError = (make) => { try { make(); return null; } catch (e) { return e.message; } };
"""


def node_module(script: str, *, schema_path: Path = SCHEMA_PATH, data: object = None
                ) -> subprocess.CompletedProcess[str]:
    """Run an ES module in js/ (so it finds js/node_modules) after NODE_PRELUDE: SCHEMA is the
    parsed schema, INPUT the parsed ``data`` (sent on stdin), ``out(value)`` prints JSON."""
    require_node_modules()
    env = {**os.environ, "KPIS_SCHEMA": str(schema_path)}
    return subprocess.run(["node", "--input-type=module", "-e", NODE_PRELUDE + script], cwd=JS,
                          env=env, input="" if data is None else json.dumps(data),
                          capture_output=True, text=True, check=False)


def node_json(script: str, *, schema_path: Path = SCHEMA_PATH, data: object = None) -> Any:
    """``node_module``'s printed JSON value (the script must exit 0)."""
    result = node_module(script, schema_path=schema_path, data=data)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def sourcemeta_binary() -> Path:
    """The platform's binary inside the sourcemeta-jsonschema wheel (its wrapper script turns every
    failure into a Python traceback, so the binary is called directly)."""
    import sourcemeta_jsonschema

    system = platform.system().lower()
    machine = {"amd64": "x86_64"}.get(platform.machine().lower(), platform.machine().lower())
    suffix = ".exe" if system == "windows" else ""
    binary = Path(sourcemeta_jsonschema.__file__).parent / f"jsonschema-{system}-{machine}{suffix}"
    assert binary.is_file(), f"sourcemeta-jsonschema has no binary for {system}-{machine}"
    return binary


SOURCEMETA_PARSE_ERROR = 6
_LINE = re.compile(r"^(ok|fail): (.+)$")


def sourcemeta(texts: Sequence[str]) -> list[Verdict]:
    """Sourcemeta jsonschema's verdicts: one run over one file per document; when its parser
    refuses a file (exit 6, which stops the run), each file is run on its own."""
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for index, text in enumerate(texts):
            path = Path(tmp) / f"{index:05d}.json"
            path.write_text(text, encoding="utf-8")
            files.append(path)
        run = _sourcemeta_run(files)
        if run is not None:
            return run
        verdicts: list[Verdict] = []
        for path in files:
            one = _sourcemeta_run([path])
            verdicts.extend(one if one is not None else ["unparsed"])
        return verdicts


def _sourcemeta_run(files: list[Path]) -> list[Verdict] | None:
    """Verdicts for ``files``, or None when a file could not be parsed."""
    result = subprocess.run(
        [str(sourcemeta_binary()), "validate", str(SCHEMA_PATH), *map(str, files),
         "--continue", "--format-assertion", "--verbose"],
        capture_output=True, text=True, check=False)
    if result.returncode == SOURCEMETA_PARSE_ERROR:
        return None
    assert result.returncode in (0, 2), result.stdout + result.stderr
    seen: dict[str, Verdict] = {}
    for line in (result.stdout + result.stderr).splitlines():
        match = _LINE.match(line)
        if match:
            seen[Path(match.group(2)).name] = "valid" if match.group(1) == "ok" else "invalid"
    assert len(seen) == len(files), result.stdout + result.stderr
    return [seen[path.name] for path in files]


VALIDATORS: dict[str, Validator] = {
    "python-jsonschema": python_jsonschema,
    "jsonschema-rs": jsonschema_rs_validator,
    "kpi-contract": kpi_contract_package,
    "ajv": ajv,
    "sourcemeta": sourcemeta,
}

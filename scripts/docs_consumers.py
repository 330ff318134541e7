"""The "Consumers" section of docs/kpis_v7_reference.md (issue 14), rendered by generate_docs.py.

How to validate and read kpis_v7 in Python, JavaScript/TypeScript and the shell, the tolerant-reader
rules of SPEC section 8, and where JSON Schema validators differ from each other and from the
package's own definition of a valid document (SPEC section 5a). Every snippet is run by
tests/test_consumer_docs.py (found by its ``<!-- snippet: NAME -->`` marker), and every cell of the
validator table is what tests/test_consumer_docs.py measures with the real validators.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# One row per case: (rule, case, python-jsonschema, jsonschema-rs, Ajv 8 with the set-up,
# Sourcemeta jsonschema, what a consumer adds). Verdicts: "accepts", "rejects", "cannot parse".
VALIDATOR_TABLE_HEADER = ("rule (SPEC 5a)", "case", "python-jsonschema", "jsonschema-rs",
                          "Ajv 8 + set-up", "Sourcemeta jsonschema", "what a consumer adds")
VALIDATOR_TABLE: tuple[tuple[str, ...], ...] = (
    ("no duplicate keys", 'nav: `"nav_total": 1.0, "nav_total": 4093.43`',
     "accepts", "accepts", "accepts", "rejects",
     "a parser that refuses them (Python: `object_pairs_hook`); `JSON.parse` and jq keep the "
     "last one silently"),
    ("every number a finite double", "`nav_total` an integer literal of 401 digits",
     "accepts", "accepts", "rejects", "accepts",
     "check that every number is finite after parsing (`JSON.parse` gives `Infinity`, "
     "`json.loads` a Python int)"),
    ("every number a finite double", "`nav_total` `1e400`",
     "accepts", "rejects", "rejects", "accepts",
     "the same check (`json.loads` gives `inf`)"),
    ("JSON only", "`nav_total` `NaN`",
     "accepts", "rejects", "cannot parse", "cannot parse",
     "Python: `json.loads(text, parse_constant=...)` that raises"),
    ("`nulls` lists every null KPI", "`nav.sources_ok` null, `nulls` empty",
     "accepts", "accepts", "accepts", "accepts",
     "compare the `nulls` keys with the null leaves"),
    ("`nulls` lists only null KPIs", "`nulls` names `nav.nav_total`, which has a value",
     "accepts", "accepts", "accepts", "accepts", "the same comparison"),
    ("`nulls` lists only null KPIs", "`risk.dd_state` null, `nulls` also names its `state`",
     "accepts", "accepts", "accepts", "accepts", "the same comparison"),
    ("`nulls` lists only null KPIs",
     "`nulls` names `router.reject_rate_order_count`, which is absent",
     "accepts", "accepts", "accepts", "accepts",
     "the same comparison over the leaves the payload has: a listed key's leaf is present and "
     "null"),
    ("no leap second in `ts`", "`2016-12-31T23:59:60Z` (a real leap second)",
     "rejects", "accepts", "accepts", "accepts", "refuse a `:60` second in `ts`"),
    ("no leap second in `ts`", "`2026-01-01T23:59:60Z` (none that day)",
     "rejects", "accepts", "accepts", "rejects", "the same"),
    ("the schema's `pattern` (ECMA-262)", "`schema_version` `\"7.0.0\\n\"`",
     "accepts", "rejects", "rejects", "rejects",
     "python-jsonschema runs patterns with Python's `re`, where `$` also matches before a final "
     "newline: use jsonschema-rs or `read_kpis`"),
    ("`date-time` (RFC 3339)", "`ts` `\"2026-01-01T00:00:00Z\\n\"`",
     "accepts", "rejects", "rejects", "rejects",
     "the same (`pattern` and rfc3339-validator both end in Python's `$`)"),
    ("a `ts` every reader can hold", "`ts` `0000-01-01T00:00:00Z` (year 0)",
     "rejects", "accepts", "accepts", "accepts",
     "refuse year 0000 (Python's `datetime`, and so `read_kpis`'s model, starts at year 1)"),
    ("at most 64 levels of nesting",
     "a `7.2.0` payload with an unknown field nested 70 levels deep",
     "rejects", "rejects", "rejects", "rejects",
     "the validators refuse the unknown field; a reader that drops a newer minor's unknown "
     "fields (SPEC 8) checks the depth first, on the whole text"),
)


def optional_fields(document: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Every field of ``document`` (a kpis_v7 schema) that a payload may lack, in schema order:
    (dotted path, unit or None). Every 7.0.0 field is required, so these are the fields added by
    minor releases."""
    return list(_optional(document, document, []))


def _optional(node: dict[str, Any], root: dict[str, Any], path: list[str]
              ) -> Iterator[tuple[str, str | None]]:
    node = _object_schema(node, root)
    required = set(node.get("required", ()))
    for name, sub in node.get("properties", {}).items():
        if name not in required:
            yield ".".join([*path, name]), _object_schema(sub, root).get("x-unit")
        yield from _optional(sub, root, [*path, name])


def _object_schema(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """``node`` with a local ``$ref`` followed, or its first ``anyOf`` member with properties."""
    while isinstance(node.get("$ref"), str):
        target: Any = root
        for token in node["$ref"].removeprefix("#/").split("/"):
            target = target[token]
        node = target
    for member in node.get("anyOf", ()):
        resolved = _object_schema(member, root)
        if "properties" in resolved:
            return resolved
    return node


def render(version: str, document: dict[str, Any]) -> list[str]:
    """The section's Markdown lines (``version``: the schema's MAJOR.MINOR.PATCH; ``document``:
    the schema, for its optional fields)."""
    optional = optional_fields(document)
    listed = ", ".join(f"`{path}`" + (f" ({unit})" if unit else "") for path, unit in optional)
    table = [
        "| " + " | ".join(VALIDATOR_TABLE_HEADER) + " |",
        "|" + "---|" * len(VALIDATOR_TABLE_HEADER),
        *("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
          for row in VALIDATOR_TABLE),
    ]
    return [
        "## Consumers: validating and reading kpis_v7",
        "",
        f"The schema file is the contract (version {version}); any JSON Schema 2020-12 validator "
        "with `date-time` format checks judges a document the same way as the package does, "
        "except for the rules in the table below. The package checks it with python-jsonschema, "
        "jsonschema-rs, Ajv 8 in strict mode and Sourcemeta's `jsonschema` (C++) on one corpus "
        "(`tests/test_consumers.py`).",
        "",
        "### Rules for every reader (SPEC section 8)",
        "",
        "1. **Refuse another major.** Read `schema_version` first: a major other than 7 is a "
        "different contract (`kpis_v8.json` would be a new file), so stop with an error instead "
        "of guessing.",
        "2. **Ignore fields you do not know, in a newer payload only.** A later 7.x release may "
        "add optional fields and their `nulls` keys. The schema is closed "
        "(`additionalProperties: false`) because the writer must not invent fields, so a "
        "payload whose `schema_version` is a later 7.x minor or patch than your schema's (the "
        "end of its `$id`) is projected first: drop the fields and `nulls` keys your schema "
        "does not know, then validate (the Python and JavaScript readers below do), or a newer "
        "payload fails your older schema. A payload of your schema's version or older is "
        "validated as written, exactly as `kpi-contract validate` does: no release up to yours "
        "has an unknown field, so one there (or an unknown `nulls` key) makes it invalid.",
        "3. **Read an absent optional field as null, reason `missing`.** An earlier 7.x payload "
        "lacks the fields added after it; `read_kpis` and `readKpisV7` read each as null and "
        "list it in the reading's `nulls` as `missing`, so every null KPI of a reading has its "
        "reason (the `jq` function below prints the same).",
        "4. **A null KPI has its reason in `nulls`** under its dotted path; the children of a "
        "null `risk.dd_state` take the reason of `risk.dd_state`.",
        "5. **Never default with `x || y` (JavaScript) or `x // y` (jq):** they turn a real "
        "`false` (and in JavaScript `0`) into the default. Test for null.",
        "",
        "### Optional fields, and readers of other 7.x versions",
        "",
        f"Version {version} has {len(optional)} optional fields (`required: no` in the field "
        "reference above), each nullable with its own `nulls` key: " + listed + ". 7.1.0 added "
        "them: what produced the payload (`live`, `testnet`, `dry_run`, `replay`; null when the "
        "publisher did not say) and the number of observations behind each ratio or mean, "
        "never estimated. A writer of this version always writes them; a 7.0.0 payload has "
        "none of them, and is still valid.",
        "",
        "- **A 7.0.0 payload, today's readers.** `read_kpis` and `readKpisV7` accept it and "
        "read each field it lacks as null, listed as `missing` in the reading's `nulls` (a "
        "dashboard shows `n/a (missing)`, as for any KPI without a source). As a file, a "
        "payload must keep the `nulls` rule for the leaves it carries: every null leaf listed, "
        "and a listed key's leaf present and null. `nulls` may not name a field the payload "
        "lacks: `kpi-contract validate`, `publish_kpis`, the mirror, `read_kpis`, "
        "`readKpisV7` and `packageRuleViolations` all refuse it.",
        "- **A 7.1.0 payload, a reader built on 7.0.0.** Its projection drops the fields above "
        "and their `nulls` keys (the 7.0.0 schema does not know them), and reads the rest as "
        "before: `readKpisV7` with `schemas/releases/kpis_v7-7.0.0.schema.json`, like "
        "`read_kpis` of a 7.0.0 install, accepts every 7.1.0 payload. Ajv alone (`validate`) "
        "with the 7.0.0 schema refuses it (`must NOT have additional properties`): readers "
        "project a newer payload first. A payload that declares `7.0.0` but carries these "
        "fields is not a 7.0.0 payload (no 7.1.0 writer writes it): the 7.0.0 reader judges "
        "it as written and refuses it, as the 7.0.0 `validate` does.",
        "- **TypeScript.** The generated `KpisV7` type is the payload as written: an optional "
        "field is declared optional (`run_mode?: \"live\" | ... | null`, "
        "`reject_rate_order_count?: number | null`), so code that reads a raw payload must "
        "handle its absence (`?? null`). `readKpisV7` returns a `KpisV7Reading` "
        "(`js/reader.mjs`): every field present, null or a value, so a dashboard handles null "
        "only. Types generated from 7.0.0 lack the new fields: such a dashboard compiles and "
        "runs unchanged on 7.1.0 payloads (its reader drops them); with types regenerated from "
        "7.1.0, a card table typed `{ [P in keyof Nulls]-?: ... }` stops compiling until "
        "every new KPI has its card.",
        "- **jq** ignores fields it does not know; an absent field reads as null and the `kpi` "
        "function below prints `n/a (missing)` for it.",
        "",
        "### What a JSON Schema validator cannot check",
        "",
        "SPEC section 5a defines a valid document with rules no schema keyword expresses, and "
        "validators differ where JSON parsers and format checkers differ. Measured with the "
        "validators and set-ups of this page (`tests/test_consumer_docs.py` fails when a cell is "
        "wrong); SPEC section 5a makes every case an invalid document:",
        "",
        *table,
        "",
        "SPEC section 5a gives the package one definition of a valid document, these rules "
        "included, for `kpi-contract validate`, `publish_kpis`, the mirror and `read_kpis`. "
        "The JavaScript reader (`js/reader.mjs`) does the same: `readKpisV7` checks all of them "
        "on the document as written: duplicate keys, which `JSON.parse` hides (it keeps the "
        "last), and nesting beyond 64 levels on the text (`parseStrictJson`, error kind "
        "`json`), the others on the parsed value (`packageRuleViolations(doc, schema)`, kind "
        "`rules`). The jq check below covers `nulls` and leap seconds.",
        "",
        "**Where the readers differ from `validate`: only for a newer payload.** `read_kpis` "
        "and `readKpisV7` give every document that declares their schema's version or an older "
        "7.x the verdict `kpi-contract validate`, `publish_kpis` and the mirror give it (a "
        "field or `nulls` key unknown to the schema is invalid there too). They differ for one "
        "kind of document only, by design (SPEC section 8): a payload that declares a later "
        "7.x minor or patch than the reader's schema has its unknown fields and `nulls` keys "
        "dropped before validation, so it reads where the closed schema refuses it. Everything "
        "else holds for it as for any payload: strict JSON on the whole text (duplicate keys, "
        "depth, finite numbers), the schema for the fields the reader knows, and the `nulls` "
        "rule for the KPIs it knows. The two readers agree with each other on every test "
        "document, with one difference of error kind: a number beyond double range is `json` "
        "for `read_kpis` (its strict parser) and `rules` for `readKpisV7` (after `JSON.parse` "
        "reads `Infinity`).",
        "",
        "### Python",
        "",
        "`read_kpis` refuses another major (`UnsupportedVersionError`), drops unknown fields "
        "of a newer 7.x payload only, reads absent optional fields as null, validates, and "
        "returns the generated model "
        "(`KpisV7`) with the file's age against the clock you pass:",
        "",
        "<!-- snippet: python-read -->",
        "```python",
        "import time",
        "",
        "from kpi_contract import KpiContractError, read_kpis",
        "",
        "try:",
        '    reading = read_kpis("logs/state/kpis_v7.json", now_ts=time.time(), max_age_s=120)',
        "except KpiContractError as error:  # missing, not JSON, another major, invalid",
        '    raise SystemExit(f"kpis_v7 unusable: {error}") from None',
        "kpis = reading.kpis",
        "share = kpis.router.maker_fill_share  # float | None",
        'print(share if share is not None else f"n/a ({kpis.nulls[\'router.maker_fill_share\']})")',
        "```",
        "",
        "Other Python validators: `jsonschema_rs.Draft202012Validator(schema, "
        "validate_formats=True)`, or python-jsonschema's `Draft202012Validator(schema, "
        "format_checker=Draft202012Validator.FORMAT_CHECKER)` with `rfc3339-validator` installed "
        "(without it `date-time` is silently not checked); both need the checks of the table.",
        "",
        "### JavaScript and TypeScript",
        "",
        "`js/` holds what a dashboard needs (pinned in `js/package.json`; `npm ci` in `js/`, "
        "which `scripts/setup_env.sh` runs): `js/ajv-setup.mjs` (the Ajv set-up), "
        "`js/reader.mjs` (the tolerant reader: `readKpisV7`, `projectKpisV7`, "
        "`packageRuleViolations`), `js/types/kpis_v7.d.ts` (TypeScript types generated from the "
        "schema) and `js/examples/kpi-cards.ts` (a dashboard card per KPI). Outside this "
        "repository, copy those three files and install `ajv@8.20.0` and `ajv-formats@3.0.1`.",
        "",
        "**Ajv in strict mode.** `new Ajv2020()` (Ajv 8's 2020-12 build, default options: strict "
        'mode) refuses the schema with `strict mode: unknown keyword: "x-unit"`, and without '
        'ajv-formats with `unknown format "date-time" ignored in schema`. Do not turn strict mode '
        "off; add ajv-formats, then the set-up: it declares `x-unit` as an annotation keyword "
        "(whose value must be a string) and makes `date-time` RFC 3339's grammar (ajv-formats "
        "alone also accepts `2026-01-01 00:00:00Z` and offsets without a colon, which the other "
        "validators refuse). With it the schema compiles even with `strict: true` "
        "(strictTypes, strictTuples, strictRequired as errors). The schema keeps `x-unit`: "
        "renaming or dropping it would be a schema release for every consumer and would take "
        "the machine-readable unit away; strict validators are meant to be told about "
        "annotation keywords.",
        "",
        "A script in `js/` (so it finds `js/node_modules`), run from the repository root as "
        "`node js/read-kpis.mjs`:",
        "",
        "<!-- snippet: js-read -->",
        "```js",
        'import { readFileSync } from "node:fs";',
        'import Ajv2020 from "ajv/dist/2020.js";',
        'import addFormats from "ajv-formats";',
        'import { setUpAjvForKpisV7 } from "./ajv-setup.mjs";',
        'import { KpisV7ReadError, readKpisV7 } from "./reader.mjs";',
        "",
        'const schema = JSON.parse(readFileSync("schemas/kpis_v7.schema.json", "utf8"));',
        "const ajv = new Ajv2020(); // default options: strict mode stays on",
        "addFormats(ajv); // first: registers date-time",
        "setUpAjvForKpisV7(ajv); // then: declares x-unit, RFC 3339 date-time",
        "const validate = ajv.compile(schema);",
        "",
        "try {",
        '  const text = readFileSync("logs/state/kpis_v7.json", "utf8");',
        "  const kpis = readKpisV7(text, { schema, validate }); // a KpisV7Reading",
        "  const share = kpis.router.maker_fill_share; // number | null",
        '  console.log(share !== null ? share : `n/a (${kpis.nulls["router.maker_fill_share"]})`);',
        "} catch (error) {",
        "  if (!(error instanceof KpisV7ReadError)) throw error;",
        "  // error.kind: json, version (another major), invalid (schema) or rules (SPEC 5a)",
        "  console.error(`kpis_v7 unusable: ${error.kind}: ${error.message}`);",
        "  process.exitCode = 1;",
        "}",
        "```",
        "",
        "Validating with Ajv alone (`validate(doc)`) is the writer's check: it refuses a newer "
        "7.x payload's unknown fields. Readers call `readKpisV7`, which parses strict JSON, "
        "refuses another major, projects a newer 7.x payload onto the schema (any other is "
        "validated as written), lists the KPIs the payload lacks as `missing` the way "
        "`read_kpis` does (the two give the same outcome and the same reading on every test "
        "document), validates, then checks the rules of the table.",
        "",
        "**TypeScript.** `import type { KpisV7, Nulls, NullReason } from "
        '"./types/kpis_v7.js";` and `import type { KpisV7Reading } from "./reader.mjs";`: every '
        "nullable KPI is `T | null`, a field a 7.x payload may lack is optional in `KpisV7` and "
        "present in `KpisV7Reading` (above), labels are unions of their vocabulary, `keyof "
        "Nulls` is the union of KPI paths, and each unit is in its field's doc comment. "
        "`js/tsconfig.json` is the checked configuration (`strict`, "
        "`noUncheckedIndexedAccess`, `allowJs` and `checkJs` for the `.mjs` modules, bundler "
        "module resolution as in a web build). A table typed `{ [P in keyof Nulls]-?: ... }`, "
        "as in the example, stops compiling when a release adds a KPI that the dashboard does "
        "not show. The types are generated: `node js/scripts/generate-types.mjs` after a "
        "schema change (a test fails while they are stale).",
        "",
        "### Shell",
        "",
        "Validate with the package's command line (exit 0 valid, 1 invalid, 2 usage or I/O; "
        "one line per error); Sourcemeta's `jsonschema validate --format-assertion "
        "schemas/kpis_v7.schema.json FILE` (`pip install sourcemeta-jsonschema`; its wrapper "
        "adds a Python traceback to the report of an invalid file) is an independent schema "
        "check that needs the table's additions:",
        "",
        "<!-- snippet: shell-validate -->",
        "```sh",
        "kpi-contract validate logs/state/kpis_v7.json",
        "```",
        "",
        "Read with `jq` (1.6 or newer). It ignores unknown fields by itself and reads an absent "
        "field as null (reason `missing`, as the readers above); refuse another major first. One "
        "KPI, its value or why it is null:",
        "",
        "<!-- snippet: jq-kpi -->",
        "```sh",
        "kpi() {  # kpi FILE DOTTED.PATH: the value, or n/a (reason)",
        "  jq -r --arg kpi \"$2\" '",
        "    (.schema_version | tostring | split(\".\")[0]) as $major",
        "    | if $major != \"7\" then error(\"unsupported schema_version \\(.schema_version)\")"
        " else . end",
        "    | ($kpi | split(\".\")) as $path",
        "    | getpath($path) as $value",
        "    | if $value != null then $value",
        "      else [range($path | length; 0; -1) as $n | .nulls[$path[:$n] | join(\".\")]"
        " // empty]",
        "           | \"n/a (\\(.[0] // \"missing\"))\"",
        "      end' \"$1\"",
        "}",
        "kpi logs/state/kpis_v7.json router.maker_fill_share",
        "```",
        "",
        "Every null KPI with its reason, then the checks of the table that jq can make "
        "(`nulls` lists exactly the null leaves; no leap second); `jq -e` exits 1 when one "
        "fails:",
        "",
        "<!-- snippet: jq-nulls -->",
        "```sh",
        "jq -r '.nulls | to_entries[] | \"\\(.key)\\t\\(.value)\"' logs/state/kpis_v7.json",
        "jq -e '([paths(. == null) | map(tostring) | join(\".\")] | sort) == (.nulls | keys)",
        "       and (.ts | test(\":60(\\\\.[0-9]+)?Z$\") | not)' logs/state/kpis_v7.json",
        "```",
        "",
        "jq does not refuse a number beyond double range (1.6 prints it as "
        "1.7976931348623157e+308), keeps the last of duplicate keys and ignores unknown fields "
        "whatever the declared version: validate the file before trusting what jq prints.",
        "",
    ]

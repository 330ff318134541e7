// The Ajv set-up for schemas/kpis_v7.schema.json (issue 14).
//
//     import Ajv2020 from "ajv/dist/2020.js";
//     import addFormats from "ajv-formats";
//     import { setUpAjvForKpisV7 } from "./ajv-setup.mjs";
//     const ajv = new Ajv2020();           // default options: strict mode on
//     addFormats(ajv);                     // first: ajv-formats registers "date-time"
//     setUpAjvForKpisV7(ajv);              // then this
//     const validate = ajv.compile(schema);
//
// Why it exists: Ajv's strict mode (its default) refuses keywords it does not know, and the schema
// carries its units in the annotation keyword "x-unit" ("strict mode: unknown keyword: \"x-unit\"").
// Changing the schema would need a major version, so the package declares the keyword here instead
// of asking consumers to turn strict mode off (which would also hide real typos in their own
// schemas).
//
// It also makes Ajv's "date-time" the RFC 3339 section 5.6 grammar that the other validators
// check (python-jsonschema, jsonschema-rs, Sourcemeta's jsonschema): ajv-formats also accepts a
// space between date and time and offsets without a colon ("+0000", "+00"). Ranges and the leap
// second rule stay ajv-formats' own. Leap seconds are legal RFC 3339; the package refuses them in
// `ts` (SPEC section 5a), and so does packageRuleViolations in reader.mjs.

import addFormats from "ajv-formats";

/** RFC 3339 section 5.6 `date-time`: a `T` (or `t`) separator; `Z` or a `+HH:MM` offset. */
const RFC3339_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

const base = /** @type {import("ajv").FormatDefinition<string>} */ (
  addFormats.get("date-time", "full")
);
const baseValidate = base.validate;
const baseCompare = base.compare;
if (typeof baseValidate !== "function" || typeof baseCompare !== "function") {
  throw new Error("ajv-formats' date-time is not a function format: check the pinned version");
}

/**
 * The "date-time" format: RFC 3339's grammar, then ajv-formats' range checks.
 * @type {import("ajv").FormatDefinition<string>}
 */
export const dateTimeFormat = {
  type: "string",
  validate: (text) => RFC3339_DATE_TIME.test(text) && Boolean(baseValidate(text)),
  compare: baseCompare,
};

/**
 * Prepare an Ajv instance (after `addFormats(ajv)`) for the kpis_v7 schema: declare the `x-unit`
 * annotation keyword and use the RFC 3339 `date-time`. Returns the same instance. Calling it twice
 * is harmless.
 *
 * @template {import("ajv/dist/core.js").default} A
 * @param {A} ajv
 * @returns {A}
 */
export function setUpAjvForKpisV7(ajv) {
  if (!ajv.getKeyword("x-unit")) ajv.addKeyword({ keyword: "x-unit", schemaType: "string" });
  ajv.addFormat("date-time", dateTimeFormat);
  return ajv;
}

// Reading kpis_v7.json in JavaScript the way the Python reader (kpi_contract/reader.py) does.
//
// SPEC section 8: the writer validates against the closed current schema; readers are tolerant,
// so that a reader built on an earlier 7.x reads later 7.x payloads. The tolerance is for a
// payload that declares a newer 7.x than the reader's schema (its version is the end of the
// schema's `$id`), and only for it:
// - newer: projectKpisV7 drops the fields and `nulls` keys the reader's schema does not know (the
//   newer minor added them) before validation;
// - the reader's own version or older (or a malformed version): the document is validated as
//   written, exactly as `kpi-contract validate`, publish_kpis and the mirror judge it, so an
//   unknown field or `nulls` key is invalid.
// Either way readingOf reads an absent optional field as null and lists each KPI the payload
// lacks in `nulls` as `missing` (a 7.0.0 payload read with the 7.1.0 schema: run_mode and the
// sample counts), so every null KPI of a reading has its reason, as in read_kpis. The projection
// is driven by the schema's keywords, never by field names: the same algorithm as
// project_document in reader.py. A payload of another major is a different contract and is
// refused before anything else.
//
// The text is strict JSON as kpi_contract/jsonio.py defines it: JSON.parse's grammar, no key twice
// in one object (JSON.parse silently keeps the last one, so the text itself is scanned) and at
// most MAX_JSON_DEPTH levels of nesting, whatever the declared version (a newer payload's dropped
// fields included). JSON Schema cannot express every rule of a valid kpis_v7 document (SPEC
// section 5a); packageRuleViolations checks the ones a parsed JavaScript value still shows,
// exactly as kpi_contract/document_rules.py and validation.py do.

export const SUPPORTED_MAJOR = 7;
/** Deepest nesting of arrays and objects a kpis_v7 file may have (kpi_contract/jsonio.py). */
export const MAX_JSON_DEPTH = 64;

const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const ID_VERSION = /:(\d+)\.(\d+)\.(\d+)$/;
const LEAP_SECOND = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:60/;
const YEAR_ZERO = /^0000-/;

/** @typedef {import("./types/kpis_v7.js").KpisV7} KpisV7 */
/** @typedef {import("./types/kpis_v7.js").Nulls} Nulls */
/**
 * `T` with every optional property present (null when the payload lacked it), at every level.
 * @template T
 * @typedef {T extends object ? { [K in keyof T]-?: Filled<T[K]> } : T} Filled
 */
/**
 * What readKpisV7 returns: a KpisV7 in which every field of the reader's schema is present. A
 * field added by a later minor than the payload's (7.1.0's run_mode and sample counts in a 7.0.0
 * payload) is null, with `missing` in `nulls`. `nulls` keeps its optional keys: only null KPIs
 * are listed.
 * @typedef {Omit<Filled<KpisV7>, "nulls"> & { nulls: Nulls }} KpisV7Reading
 */
/** @typedef {{ path: string, message: string }} Violation */
/** @typedef {(doc: unknown) => boolean} Validator */
/** @typedef {Record<string, any>} Schema */

/** Why a file could not be read: `kind` is "json", "version", "invalid" or "rules". */
export class KpisV7ReadError extends Error {
  /**
   * @param {"json" | "version" | "invalid" | "rules"} kind
   * @param {string} message
   * @param {Violation[]} [violations]
   */
  constructor(kind, message, violations = []) {
    super(message);
    this.name = "KpisV7ReadError";
    this.kind = kind;
    this.violations = violations;
  }
}

/**
 * Parse (strict JSON), check the major, validate and check the package rules of one kpis_v7 file.
 * `validate` is the Ajv function compiled from the same `schema` (set up with
 * setUpAjvForKpisV7). A payload declaring a newer 7.x than `schema` is validated as the schema
 * sees it (projected: unknown fields and `nulls` keys dropped); any other is validated as
 * written. Throws KpisV7ReadError; returns the payload as the reader's schema sees it
 * (readingOf): what read_kpis in Python returns for the same file.
 *
 * @param {string} text the file's contents
 * @param {{ schema: Schema, validate: Validator & { errors?: any[] | null } }} reader
 * @returns {KpisV7Reading}
 */
export function readKpisV7(text, { schema, validate }) {
  const doc = parseStrictJson(text);
  // Before the major, as read_kpis's strict parser refuses such a number before reading anything.
  /** @type {Violation[]} */
  const nonFinite = [];
  findNonFinite(doc, "", nonFinite);
  if (nonFinite.length) throw failure("rules", nonFinite);
  checkMajor(doc);
  const reading = readingOf(doc, schema);
  // SPEC 8's tolerance is for a newer minor only: the reader's own version or older is judged
  // as written, exactly as validate, publish_kpis and the mirror judge it.
  if (!validate(declaresNewerVersion(doc, schema) ? reading : doc)) {
    const violations = (validate.errors ?? []).map((e) => ({
      path: e.instancePath || "/",
      message: e.message ?? e.keyword,
    }));
    throw failure("invalid", violations);
  }
  // The rules hold for the document as written (as for validate, publish and the mirror): a KPI
  // listed in nulls but absent is refused here too, although the reading would make it null.
  const broken = packageRuleViolations(doc, schema);
  if (broken.length) throw failure("rules", broken);
  return /** @type {KpisV7Reading} */ (reading);
}

/**
 * `text` parsed as strict JSON (kpi_contract/jsonio.py): JSON.parse's grammar, no key twice in
 * one object, at most MAX_JSON_DEPTH levels of arrays and objects (the outermost is level 1).
 * Throws KpisV7ReadError of kind "json". A number beyond double range parses (as Infinity);
 * readKpisV7 refuses it as a rules violation.
 *
 * @param {string} text
 * @returns {unknown}
 */
export function parseStrictJson(text) {
  /** @type {unknown} */
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new KpisV7ReadError("json", `not valid JSON: ${/** @type {Error} */ (error).message}`);
  }
  const problem = structureProblem(text);
  if (problem) throw new KpisV7ReadError("json", `not strict JSON: ${problem}`);
  return doc;
}

/**
 * The first duplicate key or excess nesting in `text`, a JSON text that JSON.parse accepted, in
 * words ("" when there is none). One pass over the text, without recursion: strings are skipped
 * whole (a brace inside one is not structure), an object's keys are compared decoded
 * (`"run_mode"` and `"r\u0075n_mode"` are the same key, as for Python's parser).
 *
 * @param {string} text
 * @returns {string}
 */
function structureProblem(text) {
  /** @type {(Set<string> | null)[]} */
  const open = []; // one entry per open container: an object's keys so far, or null for an array
  let lastString = "";
  const structure = /["{}[\]:]/g; // jumps over numbers, literals, commas and white space
  for (let match = structure.exec(text); match; match = structure.exec(text)) {
    const c = match[0];
    if (c === '"') {
      const end = stringEnd(text, match.index);
      const literal = text.slice(match.index, end + 1);
      lastString = literal.includes("\\") ? JSON.parse(literal) : literal.slice(1, -1);
      structure.lastIndex = end + 1;
    } else if (c === "{" || c === "[") {
      open.push(c === "{" ? new Set() : null);
      if (open.length > MAX_JSON_DEPTH) return `nested deeper than ${MAX_JSON_DEPTH} levels`;
    } else if (c === "}" || c === "]") {
      open.pop();
    } else {
      const keys = open[open.length - 1];
      if (keys) {
        if (keys.has(lastString)) return `duplicate key ${JSON.stringify(lastString)} in one object`;
        keys.add(lastString);
      }
    }
  }
  return "";
}

/**
 * The index of the quote that closes the JSON string starting at `start` (a quote).
 * @param {string} text
 * @param {number} start
 */
function stringEnd(text, start) {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text[end - 1 - backslashes] === "\\") backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/**
 * The version a reader built on `schema` reads: the MAJOR.MINOR.PATCH at the end of its `$id`
 * (`urn:kpi-contract:kpis_v7:7.1.0`), as kpi_contract/schema.py's version_of reads it.
 * @param {Schema} schema
 * @returns {[number, number, number]}
 */
export function schemaVersion(schema) {
  const match = ID_VERSION.exec(String(schema.$id ?? ""));
  if (!match) throw new TypeError(`schema $id ${JSON.stringify(schema.$id)} does not end in a version`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/**
 * Whether `doc` declares a 7.x version later than `schema`'s (a minor or a patch): only such a
 * payload is projected before validation (SPEC section 8). A malformed version, the schema's own
 * or an older one, or another major: false. reader.py's declares_newer_version.
 * @param {unknown} doc
 * @param {Schema} schema
 */
export function declaresNewerVersion(doc, schema) {
  const version = isObject(doc) ? doc.schema_version : undefined;
  const match = typeof version === "string" ? VERSION.exec(version) : null;
  if (!match) return false;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const [ownMajor, ownMinor, ownPatch] = schemaVersion(schema);
  if (major !== ownMajor) return false;
  return minor !== ownMinor ? minor > ownMinor : patch > ownPatch;
}

/**
 * `doc` as a reader built on `schema` sees it, before validation: projectKpisV7, then each KPI
 * that `doc` lacks (its parent object present, the KPI itself absent) listed in `nulls` as
 * `missing` unless `doc` already gives it a reason: reader.py's `_absent_kpis_missing`. A newer
 * payload's unknown fields and `nulls` keys are gone, an older payload's missing KPIs are null
 * with their reason, so the nulls rule holds on the reading of every valid 7.x payload.
 *
 * @param {unknown} doc
 * @param {Schema} schema
 * @returns {unknown}
 */
export function readingOf(doc, schema) {
  const projected = projectKpisV7(doc, schema);
  if (!isObject(doc) || !isObject(projected) || !isObject(projected.nulls)) return projected;
  /** @type {Record<string, string>} */
  const added = {};
  for (const path of kpiPaths(schema)) {
    const parts = path.split(".");
    const leaf = parts.pop() ?? "";
    /** @type {unknown} */
    let parent = doc;
    for (const key of parts) parent = isObject(parent) ? parent[key] : undefined;
    if (isObject(parent) && !Object.hasOwn(parent, leaf)) added[path] = "missing";
  }
  if (!Object.keys(added).length) return projected;
  return { ...projected, nulls: { ...added, ...projected.nulls } };
}

/**
 * The error for a non-empty list of violations; its message is the first one.
 * @param {"invalid" | "rules"} kind
 * @param {Violation[]} violations
 */
function failure(kind, violations) {
  const first = violations[0] ?? { path: "/", message: "invalid" };
  return new KpisV7ReadError(kind, `${first.path}: ${first.message}`, violations);
}

/**
 * Refuse a well-formed `schema_version` of another major; a malformed one is left to validation.
 * @param {unknown} doc
 */
export function checkMajor(doc) {
  const version = isObject(doc) ? doc.schema_version : undefined;
  const match = typeof version === "string" ? VERSION.exec(version) : null;
  if (match && Number(match[1]) !== SUPPORTED_MAJOR) {
    throw new KpisV7ReadError(
      "version",
      `schema_version ${version} is major ${match[1]}; this reader reads major ${SUPPORTED_MAJOR} only`,
    );
  }
}

/**
 * `doc` seen through `schema`: unknown fields dropped, absent optional fields as null. Everything
 * else (a missing required field, a wrong type) is left for validation to report. `doc` is not
 * modified.
 *
 * @param {unknown} doc
 * @param {Schema} schema
 * @returns {unknown}
 */
export function projectKpisV7(doc, schema) {
  return project(doc, schema, schema);
}

/**
 * @param {unknown} value
 * @param {Schema} schema
 * @param {Schema} root
 * @returns {unknown}
 */
function project(value, schema, root) {
  if (isObject(value)) {
    const shapes = objectShapes(schema, root);
    return shapes.length ? projectObject(value, shapes, root) : value;
  }
  if (Array.isArray(value)) {
    const items = asSchema(resolve(schema, root).items);
    return value.map((item) => project(item, items, root));
  }
  return value;
}

/**
 * @param {Record<string, unknown>} value
 * @param {Schema[]} shapes
 * @param {Schema} root
 */
function projectObject(value, shapes, root) {
  /** @type {Record<string, unknown>} */
  const projected = {};
  for (const [key, item] of Object.entries(value)) {
    const subschema = schemaForKey(key, shapes);
    if (subschema !== null) projected[key] = project(item, subschema, root);
  }
  const required = new Set(shapes.flatMap((shape) => shape.required ?? []));
  for (const shape of shapes) {
    for (const name of Object.keys(shape.properties ?? {})) {
      if (!(name in projected) && !required.has(name)) projected[name] = null;
    }
  }
  return projected;
}

/**
 * The subschema for `key`, or null when one of the shapes rejects it as unknown.
 * @param {string} key
 * @param {Schema[]} shapes
 * @returns {Schema | null}
 */
function schemaForKey(key, shapes) {
  /** @type {Schema} */
  let found = {};
  for (const shape of shapes) {
    const names = shape.propertyNames;
    if (isObject(names) && Array.isArray(names.enum) && !names.enum.includes(key)) return null;
    const properties = asSchema(shape.properties);
    if (Object.hasOwn(properties, key)) {
      found = orElse(found, properties[key]);
      continue;
    }
    const matching = Object.entries(asSchema(shape.patternProperties)).find(([pattern]) =>
      new RegExp(pattern, "u").test(key),
    );
    if (matching) {
      found = orElse(found, matching[1]);
      continue;
    }
    const extra = shape.additionalProperties ?? true;
    if (extra === false) return null;
    found = orElse(found, extra);
  }
  return found;
}

/**
 * The first non-empty of two subschemas (reader.py's `found or ...`).
 * @param {Schema} found
 * @param {unknown} next
 * @returns {Schema}
 */
function orElse(found, next) {
  return Object.keys(found).length ? found : asSchema(next);
}

/**
 * The (sub)schemas that constrain an object here, `$ref`s followed; all of `allOf`, the first
 * object-describing member of `anyOf` / `oneOf`.
 * @param {Schema} schema
 * @param {Schema} root
 * @returns {Schema[]}
 */
function objectShapes(schema, root) {
  /** @type {Schema[]} */
  const shapes = [];
  if (["properties", "additionalProperties", "propertyNames"].some((k) => k in schema)) {
    shapes.push(schema);
  }
  if ("$ref" in schema) shapes.push(...objectShapes(resolve(schema, root), root));
  for (const member of schema.allOf ?? []) shapes.push(...objectShapes(asSchema(member), root));
  for (const keyword of ["anyOf", "oneOf"]) {
    for (const member of schema[keyword] ?? []) {
      const branch = objectShapes(asSchema(member), root);
      if (branch.length) {
        shapes.push(...branch);
        break;
      }
    }
  }
  return shapes;
}

/**
 * Follow local `$ref`s (`#/$defs/Name`, a JSON pointer into `root`).
 * @param {Schema} schema
 * @param {Schema} root
 * @returns {Schema}
 */
function resolve(schema, root) {
  const seen = new Set();
  let ref = schema.$ref;
  while (typeof ref === "string" && ref.startsWith("#") && !seen.has(ref)) {
    seen.add(ref);
    /** @type {any} */
    let node = root;
    for (const token of ref.slice(1).split("/").slice(1)) {
      node = node[token.replaceAll("~1", "/").replaceAll("~0", "~")];
    }
    schema = node;
    ref = schema.$ref;
  }
  return schema;
}

/**
 * A boolean schema (true / false) has no keywords to follow: treat it as {}.
 * @param {unknown} schema
 * @returns {Schema}
 */
function asSchema(schema) {
  return isObject(schema) ? schema : {};
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, any>}
 */
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The rules of SPEC section 5a that the schema cannot express and a parsed value still shows:
 * every number finite (JSON.parse turns a literal beyond double range into Infinity), at most
 * MAX_JSON_DEPTH levels of nesting, no leap second in `ts`, no year 0000 in `ts` (RFC 3339 allows
 * it; Python's datetime, and so read_kpis's model, cannot hold it), and `nulls` listing exactly
 * the null KPIs of the document as written
 * (kpi_contract/document_rules.py's nulls rule, KPI by KPI in schema order):
 * - a KPI below a null KPI (`risk.dd_state.state` when `risk.dd_state` is null) is not listed;
 * - a KPI the document lacks (an optional one an older 7.x payload does not have) is not listed;
 * - a null KPI is listed, a KPI with a value is not.
 * Paths are JSON pointers; an empty list means the document keeps the rules. readKpisV7 applies
 * them to the document as written, so it refuses exactly what the Python tools refuse.
 *
 * @param {unknown} doc a parsed document that the schema accepts
 * @param {Schema} schema
 * @returns {Violation[]}
 */
export function packageRuleViolations(doc, schema) {
  /** @type {Violation[]} */
  const found = [];
  if (depthOf(doc) > MAX_JSON_DEPTH) {  // alone, as in validation.py (and before any recursion)
    return [{ path: "/", message: `nested deeper than ${MAX_JSON_DEPTH} levels` }];
  }
  findNonFinite(doc, "", found);
  if (!isObject(doc)) return found;
  if (typeof doc.ts === "string" && LEAP_SECOND.test(doc.ts)) {
    found.push({ path: "/ts", message: "a leap second (:60) is not allowed in ts" });
  }
  if (typeof doc.ts === "string" && YEAR_ZERO.test(doc.ts)) {
    found.push({ path: "/ts", message: "year 0000 is not allowed in ts (the first year is 0001)" });
  }
  const nulls = isObject(doc.nulls) ? doc.nulls : {};
  /** @type {Set<string>} */
  const nullKpis = new Set();
  for (const path of kpiPaths(schema)) {
    const listed = Object.hasOwn(nulls, path);
    const pointer = `/nulls/${path.replaceAll("~", "~0").replaceAll("/", "~1")}`;
    const parts = path.split(".");
    const nullParent = parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("."))
      .find((parent) => nullKpis.has(parent));
    if (nullParent !== undefined) {
      nullKpis.add(path);
      if (listed) {
        found.push({ path: pointer,
                     message: `${path} is listed, but its parent ${nullParent} is null ` +
                              "(only the parent is listed)" });
      }
      continue;
    }
    const leaf = parts.pop() ?? "";
    /** @type {unknown} */
    let parent = doc;
    for (const key of parts) parent = isObject(parent) ? parent[key] : undefined;
    if (!isObject(parent) || !Object.hasOwn(parent, leaf)) {
      if (listed) found.push({ path: pointer, message: `${path} is listed as null but is absent` });
      continue;
    }
    if (parent[leaf] === null) {
      nullKpis.add(path);
      if (!listed) {
        found.push({ path: pointer, message: `${path} is null but nulls does not say why` });
      }
    } else if (listed) {
      found.push({ path: pointer, message: `${path} is listed in nulls but is not a null KPI` });
    }
  }
  return found;
}

/**
 * The dotted paths of the KPIs of `schema`, in schema order: every property, at any depth,
 * whose schema admits null (`run_mode` at the top, the leaves of nav, risk, router and
 * performance, `risk.dd_state` and its children). Derived as kpi_contract/document_rules.py's
 * kpi_paths derives them; for the packaged schema they are the `nulls` vocabulary.
 *
 * @param {Schema} schema
 * @returns {string[]}
 */
export function kpiPaths(schema) {
  /** @type {string[]} */
  const found = [];
  /**
   * @param {string[]} path
   * @param {unknown} sub
   */
  const collect = (path, sub) => {
    if (path.length && admitsNull(sub, schema)) found.push(path.join("."));
    for (const [name, child] of Object.entries(properties(sub, schema))) {
      collect([...path, name], child);
    }
  };
  collect([], schema);
  return found;
}

/**
 * The schema and the members of its `anyOf` / `oneOf` / `allOf`, `$ref`s followed.
 * @param {unknown} schema
 * @param {Schema} root
 * @returns {Schema[]}
 */
function branches(schema, root) {
  const node = resolve(asSchema(schema), root);
  /** @type {Schema[]} */
  const out = [node];
  for (const keyword of ["anyOf", "oneOf", "allOf"]) {
    for (const member of node[keyword] ?? []) out.push(...branches(member, root));
  }
  return out;
}

/**
 * The properties of every branch of `schema` (the first definition of a name wins).
 * @param {unknown} schema
 * @param {Schema} root
 * @returns {Schema}
 */
function properties(schema, root) {
  /** @type {Schema} */
  const props = {};
  for (const branch of branches(schema, root)) {
    for (const [name, sub] of Object.entries(asSchema(branch.properties))) {
      if (!Object.hasOwn(props, name)) props[name] = sub;
    }
  }
  return props;
}

/**
 * @param {unknown} schema
 * @param {Schema} root
 */
function admitsNull(schema, root) {
  return branches(schema, root).some(({ type }) =>
    type === "null" || (Array.isArray(type) && type.includes("null")));
}

/**
 * Levels of arrays and objects in `value` (0 for a scalar), counted without recursion and only
 * up to just past MAX_JSON_DEPTH: kpi_contract/jsonio.py's scan.
 * @param {unknown} value
 */
function depthOf(value) {
  let deepest = 0;
  /** @type {[unknown, number][]} */
  const stack = [[value, 1]];
  while (stack.length && deepest <= MAX_JSON_DEPTH) {
    const [node, depth] = /** @type {[unknown, number]} */ (stack.pop());
    if (typeof node !== "object" || node === null) continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * @param {unknown} value
 * @param {string} path
 * @param {Violation[]} found
 */
function findNonFinite(value, path, found) {
  if (typeof value === "number" && !Number.isFinite(value)) {
    found.push({ path: path || "/", message: "not a finite double (beyond the range of a double)" });
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => findNonFinite(item, `${path}/${index}`, found));
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      findNonFinite(item, `${path}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`, found);
    }
  }
}

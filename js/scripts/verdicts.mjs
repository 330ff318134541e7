// Test support: Ajv's verdict, or the JavaScript reader's, on many documents in one process.
//
//     node js/scripts/verdicts.mjs SCHEMA [--reader] < texts.json > verdicts.json
//
// stdin is a JSON array of strings, each the text of one document; stdout is a JSON array with,
// for each, "valid", "invalid" or "unparsed" (JSON.parse refused it); with --reader, "ok" or the
// kind of readKpisV7's error ("json", "version", "invalid", "rules"). Ajv is set up the way
// consumers are told to: new Ajv2020() with its default options (strict mode), ajv-formats, then
// setUpAjvForKpisV7. Exit codes: 0 verdicts written, 2 usage or I/O error.

import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { setUpAjvForKpisV7 } from "../ajv-setup.mjs";
import { KpisV7ReadError, readKpisV7 } from "../reader.mjs";

function main(args) {
  const reader = args.includes("--reader");
  args = args.filter((a) => a !== "--reader");
  if (args.length !== 1) {
    process.stderr.write("usage: verdicts.mjs SCHEMA [--reader] < texts.json\n");
    return 2;
  }
  const schema = JSON.parse(readFileSync(args[0], "utf8"));
  const texts = JSON.parse(readFileSync(0, "utf8"));
  const ajv = new Ajv2020();
  addFormats(ajv);
  setUpAjvForKpisV7(ajv);
  const validate = ajv.compile(schema);
  const verdicts = texts.map((text) => {
    if (reader) {
      try {
        readKpisV7(text, { schema, validate });
        return "ok";
      } catch (error) {
        if (error instanceof KpisV7ReadError) return error.kind;
        throw error;
      }
    }
    let doc;
    try {
      doc = JSON.parse(text);
    } catch {
      return "unparsed";
    }
    return validate(doc) ? "valid" : "invalid";
  });
  process.stdout.write(`${JSON.stringify(verdicts)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));

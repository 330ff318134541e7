// Test support: Ajv's verdict on many documents in one process.
//
//     node js/scripts/verdicts.mjs SCHEMA < texts.json > verdicts.json
//
// stdin is a JSON array of strings, each the text of one document; stdout is a JSON array with,
// for each, "valid", "invalid" or "unparsed" (JSON.parse refused it). Ajv is set up the way
// consumers are told to: new Ajv2020() with its default options (strict mode), ajv-formats, then
// setUpAjvForKpisV7. Exit codes: 0 verdicts written, 2 usage or I/O error.

import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { setUpAjvForKpisV7 } from "../ajv-setup.mjs";

function main(args) {
  if (args.length !== 1) {
    process.stderr.write("usage: verdicts.mjs SCHEMA < texts.json\n");
    return 2;
  }
  const schema = JSON.parse(readFileSync(args[0], "utf8"));
  const texts = JSON.parse(readFileSync(0, "utf8"));
  const ajv = new Ajv2020();
  addFormats(ajv);
  setUpAjvForKpisV7(ajv);
  const validate = ajv.compile(schema);
  const verdicts = texts.map((text) => {
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

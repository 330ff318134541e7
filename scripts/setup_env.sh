#!/usr/bin/env bash
# Create .venv (once) and install the package with its test and dashboard extras.
# Idempotent: safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,dashboard]'
# The JavaScript consumers' toolchain (js/package.json, pinned by js/package-lock.json): Ajv and
# ajv-formats, TypeScript and json-schema-to-typescript; the tests run them through node. `npm ci`
# runs again only when the lock file changed since the last install (its copy is the stamp).
if ! cmp -s js/package-lock.json js/node_modules/.installed-package-lock.json; then
  (cd js && npm ci --no-audit --no-fund --loglevel=error)
  cp js/package-lock.json js/node_modules/.installed-package-lock.json
fi

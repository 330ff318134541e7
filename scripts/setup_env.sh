#!/usr/bin/env bash
# Create .venv (once) and install the package with its test and dashboard extras.
# Idempotent: safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,dashboard]'

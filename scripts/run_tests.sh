#!/usr/bin/env bash
# Set up, then run every check CI runs: generated artifacts fresh, ruff, mypy, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
.venv/bin/python -m pytest "$@"

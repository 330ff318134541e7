#!/usr/bin/env bash
# Set up, then run the main job: the offline dry-run executor for a few loops (publishing every
# state file and kpis_v7.json under logs/state/, mirroring them to dashboard/state/), then show the
# published and the mirrored KPI file and validate both. Extra arguments go to the executor
# (e.g. --loops 20 --seed 3).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
PYTHONPATH=. BINANCE_TESTNET=1 DRY_RUN=1 \
  .venv/bin/python execution/executor_live.py --loops 5 --interval 0.2 "$@"
echo
echo "== published: logs/state/kpis_v7.json"
.venv/bin/python -m json.tool logs/state/kpis_v7.json
echo "== mirrored for the dashboard: dashboard/state/kpis_v7.json"
.venv/bin/python -m json.tool dashboard/state/kpis_v7.json
echo "== validation against the kpis_v7 schema"
.venv/bin/kpi-contract validate logs/state/kpis_v7.json dashboard/state/kpis_v7.json

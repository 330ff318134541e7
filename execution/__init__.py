"""The executor side of the kpis_v7 contract: publishing, mirroring and the dry-run executor.

- ``execution.state_publish``: per loop, writes ``nav.json``, ``positions.json``, ``router.json``,
  ``risk.json`` and ``kpis_v7.json`` under the state directory (default ``logs/state/``).
- ``execution.sync_state``: mirrors those files to the dashboard state directory (default
  ``dashboard/state/``), never an invalid or torn one.
- ``execution.executor_live``: the offline dry-run executor (``DRY_RUN=1``; its loop is in
  ``execution.dry_run``), driven by the seeded simulation (``execution.simulation`` and the
  ``sim_*`` modules) or by recorded snapshots (``execution.replay``).
"""

"""Shared test configuration: hypothesis profiles.

``ci`` (the default) keeps the whole suite well inside CI's time; ``deep`` runs many more examples:
``KPI_HYPOTHESIS_PROFILE=deep bash scripts/run_tests.sh -k properties``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("KPI_HYPOTHESIS_PROFILE", "ci"))

# The S3-protocol server fixtures (moto's standalone server on loopback), for the issue 11 tests.
pytest_plugins = ["tests.s3_server"]

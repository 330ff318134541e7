"""Schema bump reviews for the kpis_v7 contract (SPEC section 8).

:func:`review_pair` compares two schemas: it normalises both (``$ref`` inlined, independent
keywords merged, interacting groups kept together; rules in ``docs/review-normal-form.md``),
diffs the normal forms into findings with a stable rule id, a JSON pointer, the directions each
may break (readers / writers) and the bump it requires, searches each presumed direction for a
witness payload checked by python-jsonschema (a direction without one is reported *unproven*
with the candidates tried, and still counts as breaking), and cross-checks the rules against
sampled payloads. :func:`run_gate` is the CI gate over a repository tree. The command line is
``kpi-contract review`` (:mod:`kpi_contract.review.command`).
"""

from kpi_contract.review.bump import Bump
from kpi_contract.review.catalog import RULES
from kpi_contract.review.finding import Direction, Finding, Witness
from kpi_contract.review.gate import GateFailure, run_gate
from kpi_contract.review.loading import SchemaDoc, SchemaFileError, load_schema_file, schema_doc
from kpi_contract.review.review import Review, review_pair

__all__ = [
    "RULES",
    "Bump",
    "Direction",
    "Finding",
    "GateFailure",
    "Review",
    "SchemaDoc",
    "SchemaFileError",
    "Witness",
    "load_schema_file",
    "review_pair",
    "run_gate",
    "schema_doc",
]

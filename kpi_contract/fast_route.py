"""The writer's fast route for a kpis_v7 model: its bytes and their verdict in one parse (issue 10).

``publish_kpis`` writes a model as ``dump_document(model_document(model))`` once ``validate_bytes``
(the one definition of a valid document, SPEC section 5a) has passed those bytes. For the models
the builder makes, that costs about 45 µs; ``model_bytes_if_valid`` reaches the same outcome in a
few microseconds, and says None whenever it cannot vouch for it, so that the caller takes the
general route, which decides (and words any violation) exactly as before:

1. the model's number leaves are plain floats and its sample counts plain ints: exactly
   ``float`` / ``int`` (pydantic's JSON serialiser and its Python dump part ways on a ``Decimal``
   or a ``Fraction`` a bypassed model holds there, and a group held as a plain dict is serialised
   by inference), floats spelled alike by both serialisers (finite, not ``-0.0``, not below 1e-4
   in magnitude: pydantic writes 1.5e-05 as ``0.000015``, Python as ``1.5e-05``); a ``bool`` is
   neither, and a float count (``-0.0`` among them) is no int, so those go to the general route,
   which decides;
2. the model's own serialiser writes it (pydantic-core: compact, schema order, UTF-8, the same
   spelling as ``dump_document`` for every value a valid document holds once step 1 holds);
3. one strict parse of those bytes (``pydantic_core.from_json`` with NaN and infinity refused);
4. the compiled schema validator on the parsed document (the same one ``validate_bytes`` uses);
5. the package's ``nulls`` rule, in plain form: ``nulls`` lists exactly the null leaves.

What the general definition checks beyond these cannot differ for bytes made this way: they are
UTF-8 without a byte order mark, hold no duplicate key (model fields and dict keys are unique),
nest three levels deep and hold finite doubles (step 1 and the schema's bounds on the counts);
``ts`` is written from a datetime (checked first; the schema's ``Z$`` pattern leaves only UTC),
so it has no leap second and its year is one the model reads back.
Reading the four counts off the model costs 0.2-0.3 us per publish; it keeps the route's promise
(the general route's bytes: a bypassed model's ``-0.0`` count would otherwise be written ``-0.0``
here and ``0.0`` there).
``tests/test_fast_route.py`` checks on generated models, valid and broken (``model_construct``
with values of many types), that every accepted model gets exactly the general route's bytes and
that ``validate_bytes`` finds them valid.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from pydantic_core import from_json

from kpi_contract.validation import compiled_validator

if TYPE_CHECKING:
    from typing import TypeAlias

    from kpi_contract.models import KpisV7

    #: ``(reader of a nullable object or None, reader of the leaves below it)``: each reader
    #: takes the model and returns a tuple.
    Readers: TypeAlias = tuple[tuple[attrgetter[Any] | None, attrgetter[Any]], ...]

# ``document_rules`` (the schema's leaves) is imported by the cached functions below, on the first
# publish: ``publish_kpis`` imports this module, and its importers should not pay for the rules.

_ABSENT: Any = object()
_SMALLEST_PLAIN = 1e-4  # below it (0.0 aside) pydantic and Python spell floats differently
_INF = math.inf


def model_bytes_if_valid(model: KpisV7) -> bytes | None:
    """``dump_document(model_document(model))`` when those bytes are valid and this route can
    tell (steps 1-5 above), else None: take the general route."""
    if not isinstance(getattr(model, "ts", None), datetime) or not _plain_numbers(model):
        return None  # a bypassed model's string ts might not be read back by the model
    try:
        # A bypassed model's value of another type than its field's is written as pydantic
        # infers it, and judged below: warnings=False keeps that off the executor's stderr
        # (and from raising where warnings are errors); warnings="error" would cost 1 us more.
        data: bytes = model.__pydantic_serializer__.to_json(model, warnings=False)
        doc = from_json(data, allow_inf_nan=False)
        valid = compiled_validator().is_valid(doc) and _nulls_exact(doc, data)
    except (ValueError, TypeError, OverflowError, RecursionError):
        # Not strict JSON, a value jsonschema-rs cannot take, or one pydantic cannot serialise
        # (PydanticSerializationError is a ValueError): the general route says which.
        return None
    return data + b"\n" if valid else None


@functools.cache
def _leaf_paths() -> dict[str, tuple[str, ...]]:
    """Dotted path -> path of every nullable leaf: the KPIs and the top-level leaves such as
    ``run_mode`` (held to the ``nulls`` rule here although the general rule does not look at it,
    which can only send more documents to the general route). Derived from the schema."""
    from kpi_contract.document_rules import kpi_paths, nullable_top_level  # noqa: PLC0415

    leaves = [(name,) for name in nullable_top_level()] + list(kpi_paths())
    return {".".join(path): path for path in leaves}


@functools.cache
def _number_readers() -> Readers:
    """Readers of the number leaves (``"type": "number"``). Derived from the schema."""
    from kpi_contract.document_rules import number_kpi_paths  # noqa: PLC0415

    return _readers(number_kpi_paths())


@functools.cache
def _count_readers() -> Readers:
    """Readers of the sample counts (``"type": "integer"``). Derived from the schema."""
    from kpi_contract.document_rules import integer_kpi_paths  # noqa: PLC0415

    return _readers(integer_kpi_paths())


def _readers(paths: frozenset[tuple[str, ...]]) -> Readers:
    """``paths`` grouped under their nearest nullable KPI object (or the model itself), in
    schema order."""
    from kpi_contract.document_rules import kpi_paths  # noqa: PLC0415

    nullable = set(kpi_paths())  # a KPI that holds leaves (dd_state) may itself be null
    groups: dict[tuple[str, ...], list[str]] = {}
    for path in kpi_paths():
        if path in paths:
            below = max((i for i in range(1, len(path)) if path[:i] in nullable), default=0)
            groups.setdefault(path[:below], []).append(".".join(path[below:]))
    return tuple(
        (attrgetter(".".join(parent)) if parent else None, attrgetter(*leaves, *leaves[:1]))
        for parent, leaves in groups.items()  # the repeated first leaf: always a tuple
    )


def _nulls_exact(doc: object, data: bytes) -> bool:
    """Step 5: ``nulls`` lists exactly the null leaves: each listed path is a leaf holding
    null, and there are as many nulls in the bytes as listed paths. In a schema-valid document
    from the model's serialiser a ``null`` token is always a leaf's value (no string can hold
    one, objects other than the leaves are never null, and a null object's children are not
    written), so the count is exact."""
    if type(doc) is not dict:
        return False
    nulls = doc["nulls"]
    if data.count(b'":null') != len(nulls):
        return False
    paths = _leaf_paths()
    for dotted in nulls:
        node: Any = doc
        for part in paths[dotted]:  # the schema admits only leaf paths as keys
            node = node.get(part) if type(node) is dict else _ABSENT
        if node is not None:
            return False
    return True


def _plain_numbers(model: object) -> bool:
    """Step 1: every number leaf of the model is None or a plain float, every sample count None
    or a plain int."""
    try:
        for read_parent, read_leaves in _number_readers():
            node = model if read_parent is None else read_parent(model)
            if node is None:
                continue  # a null object: no leaves below it
            for value in read_leaves(node):
                if value is None:
                    continue
                if type(value) is not float:
                    return False
                if not (_SMALLEST_PLAIN <= value < _INF or -_INF < value <= -_SMALLEST_PLAIN
                        or (value == 0.0 and math.copysign(1.0, value) > 0.0)):
                    return False
        for read_parent, read_leaves in _count_readers():
            node = model if read_parent is None else read_parent(model)
            if node is not None:
                for value in read_leaves(node):
                    if value is not None and type(value) is not int:
                        return False
    except AttributeError:  # a group held as a plain dict (a bypassed model)
        return False
    return True

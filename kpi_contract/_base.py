"""Base class for the generated kpis_v7 models.

The generated module subclasses this instead of ``pydantic.BaseModel`` so every model in the
contract is closed (unknown fields rejected), rejects NaN and infinity, and is immutable once built.
Strictness of individual types (no ``"1.5"`` -> 1.5, no ``True`` -> 1.0) comes from the generator's
``--strict-types`` flag; a global ``strict=True`` would also reject the ISO ``ts`` string.

A model holding NaN or infinity anyway (made with ``model_construct``, which skips validation) is
serialised to JSON with the tokens ``NaN`` / ``Infinity`` (``ser_json_inf_nan="constants"``), which
every strict parser refuses, never as ``null``: pydantic's default would turn the NaN into a null
with no reason behind it and the file would pass validation (issue 10: the writer serialises
models with pydantic's serialiser).
"""

from pydantic import BaseModel, ConfigDict


class ContractModel(BaseModel):
    """Closed, finite, frozen pydantic model."""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, frozen=True, ser_json_inf_nan="constants"
    )

"""JSON the deterministic engine returns validates against the requested schema's keywords.

Every case is checked with a real validator (``jsonschema``), so a keyword the filler ignores
shows up as a failure, not as a plausible-looking answer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import jsonschema
import pytest
from pydantic import BaseModel, Field

from modelslab_local._schema import fill_schema

PROMPT = "Make one for Oslo. The tags are red, green and blue."


class Address(BaseModel):
    street: str
    zip: str


class Order(BaseModel):
    qty: Annotated[int, Field(multiple_of=5, ge=1, le=100)]
    price: Annotated[float, Field(multiple_of=0.25, gt=0)]
    code: str
    short: Annotated[str, Field(max_length=3)]
    kind: Literal["a", "b"]
    note: str | None = None
    address: Address


class Bag(BaseModel):
    tags: Annotated[list[str], Field(min_length=2, max_length=5)]
    ids: Annotated[list[int], Field(min_length=3, json_schema_extra={"uniqueItems": True})]
    codes: Annotated[set[str], Field(min_length=2)]
    meta: Annotated[dict[str, int], Field(min_length=2)]


RAW_SCHEMAS: list[dict[str, Any]] = [
    # (0.5, not 0.1: validators test multipleOf in binary floating point, where 0.3 / 0.1 != 3)
    {"type": "number", "multipleOf": 0.5, "minimum": 0.3},
    {"type": "integer", "multipleOf": 7, "maximum": 20},
    {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "minProperties": 2,
    },
    {"type": "array", "items": {"enum": ["x", "y", "z"]}, "minItems": 3, "uniqueItems": True},
]


@pytest.mark.parametrize(
    "schema",
    [Order.model_json_schema(), Bag.model_json_schema(), *RAW_SCHEMAS],
    ids=["order", "bag", *[f"raw-{i}" for i in range(len(RAW_SCHEMAS))]],
)
def test_filled_value_validates(schema: dict[str, Any]) -> None:
    jsonschema.validate(fill_schema(schema, PROMPT), schema)


def test_a_pattern_takes_the_prompt_value_that_fits() -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string", "pattern": "^[A-Z][a-z]+$"}},
        "required": ["city"],
    }
    assert fill_schema(schema, "The city is Oslo.") == {"city": "Oslo"}

"""OpenAPI 3.1 → the 3.0 connexion serves (understudy.convert)."""

from __future__ import annotations

from typing import Any

import pytest

from understudy import convert


def doc(schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1", "license": {"name": "MIT", "identifier": "MIT"}},
        "paths": {},
        "components": {"schemas": {"Thing": schema}},
        **extra,
    }


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": ["string", "null"]}, {"type": "string", "nullable": True}),
        ({"type": "null"}, {"nullable": True, "enum": [None]}),
        ({"type": ["string", "integer"]}, {"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        (
            {"type": ["string", "integer", "null"]},
            {
                "anyOf": [
                    {"type": "string"},
                    {"type": "integer"},
                    {"nullable": True, "enum": [None]},
                ]
            },
        ),
        ({"const": "fixed"}, {"enum": ["fixed"]}),
        ({"type": "string", "examples": ["a", "b"]}, {"type": "string", "example": "a"}),
        (
            {"type": "number", "exclusiveMinimum": 0},
            {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        ),
        ({"type": "array"}, {"type": "array", "items": {}}),
        (
            {"anyOf": [{"$ref": "#/components/schemas/Other"}, {"type": "null"}]},
            {"anyOf": [{"$ref": "#/components/schemas/Other"}, {"nullable": True, "enum": [None]}]},
        ),
        (
            {"$ref": "#/components/schemas/Other", "description": "why"},
            {"allOf": [{"$ref": "#/components/schemas/Other"}], "description": "why"},
        ),
        ({"type": "string", "contentMediaType": "image/png"}, {"type": "string"}),
    ],
    ids=[
        "nullable",
        "null",
        "type-list",
        "type-list-null",
        "const",
        "examples",
        "exclusive",
        "items",
        "null-choice",
        "ref-siblings",
        "annotations",
    ],
)
def test_schemas_become_3_0(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    out = convert.to_30(doc(schema))
    assert out["openapi"] == "3.0.3"
    assert out["components"]["schemas"]["Thing"] == expected


def test_nested_schemas_and_document_fields() -> None:
    schema = {"type": "object", "properties": {"a": {"type": ["integer", "null"]}}}
    out = convert.to_30(doc(schema, webhooks={"x": {}}, jsonSchemaDialect="d"))
    assert out["components"]["schemas"]["Thing"]["properties"]["a"] == {
        "type": "integer",
        "nullable": True,
    }
    assert "webhooks" not in out and "jsonSchemaDialect" not in out
    assert "identifier" not in out["info"]["license"]


def test_example_values_are_left_alone() -> None:
    schema = {"type": "object", "example": {"type": ["not", "a", "schema"]}}
    out = convert.to_30(doc(schema))
    assert out["components"]["schemas"]["Thing"]["example"] == {"type": ["not", "a", "schema"]}


def test_what_3_0_cannot_say_is_one_line_naming_where() -> None:
    schema = {"type": "array", "prefixItems": [{"type": "string"}]}
    with pytest.raises(convert.ConversionError) as caught:
        convert.to_30(doc(schema), "my-api.yaml")
    message = str(caught.value)
    assert "\n" not in message
    assert "my-api.yaml" in message and "prefixItems at #/components/schemas/Thing" in message

"""Response validation's fast path: every response connexion's jsonschema validator refuses is
still refused, with the same message, and the fast check never passes what jsonschema refuses."""

from __future__ import annotations

import copy
import functools
import math
import re
from typing import Any

import connexion
import pytest
from connexion.json_schema import Draft4ResponseValidator
from connexion.middleware import response_validation as middleware
from connexion.resolver import Resolution, Resolver
from connexion.validators.json import JSONResponseBodyValidator
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from understudy import specs
from understudy.mock import response_schemas, response_validation, validators

ITEM: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "status"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
        "name": {"type": "string"},
        "status": {"type": "string", "enum": ["OPEN", "DONE"]},
        "note": {"type": "string", "nullable": True},
        "count": {"type": "integer", "nullable": True},
        "rate": {
            "type": "object",
            "nullable": True,
            "required": ["amount"],
            "properties": {
                "amount": {"type": "integer", "format": "int32", "minimum": 0},
                "currency": {"type": "string"},
            },
        },
        "tags": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"label": {"type": "string", "maxLength": 10}},
            },
        },
        "at": {"type": "string", "format": "date-time"},
        "hours": {"type": "number", "multipleOf": 0.1},
        "secret": {"type": "string", "writeOnly": True},
        "score": {"maximum": 10},
    },
}
GOOD: dict[str, Any] = {
    "id": "64a687e29ae1f428e7ebe303",
    "name": "Planning",
    "status": "OPEN",
    "note": None,
    "count": None,
    "rate": {"amount": 10500, "currency": "USD"},
    "tags": [{"label": "a"}, {"label": "b"}],
    "at": "2026-01-05T08:00:00Z",
    "hours": 0.5,
}


def _planted(path: tuple[str | int, ...], value: Any) -> list[dict[str, Any]]:
    """Three good items, the last one with ``value`` at ``path`` (a missing field: no value)."""
    items = [copy.deepcopy(GOOD) for _ in range(3)]
    node: Any = items[2]
    for step in path[:-1]:
        node = node[step]
    if value is _MISSING:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return items


_MISSING = object()
BODIES: dict[str, list[dict[str, Any]]] = {
    "a wrong type deep inside a list item": _planted(("tags", 1, "label"), 5),
    "a missing required field": _planted(("name",), _MISSING),
    "a missing required field of a nested object": _planted(("rate", "amount"), _MISSING),
    "a null where not nullable": _planted(("name",), None),
    "a null inside a nullable object": _planted(("rate", "currency"), None),
    "an enum violation": _planted(("status",), "CLOSED"),
    "a pattern violation": _planted(("id",), "64A687E29AE1F428E7EBE30"),
    "an id with a final newline, as Python's re reads it": _planted(("id",), GOOD["id"] + "\n"),
    "an invalid date-time": _planted(("at",), "yesterday"),
    "a number under its minimum": _planted(("rate", "amount"), -1),
    "a string over its maxLength": _planted(("tags", 0, "label"), "far too long"),
    "0.3, not a multiple of 0.1 in floating point": _planted(("hours",), 0.3),
    "NaN where a nullable integer is expected": _planted(("count",), math.nan),
    "Infinity over a maximum": _planted(("score",), math.inf),
    "a write-only field in a response": _planted(("secret",), "hunter2"),
    "a lone surrogate in a string": _planted(("name",), "\ud800"),
    "valid": _planted(("note",), "fine"),
}
# valid to jsonschema, doubted by Rust (which cannot hold a lone surrogate, and whose `$` is
# the very end)
PASSED_BY_JSONSCHEMA = {
    "a lone surrogate in a string",
    "an id with a final newline, as Python's re reads it",
}
SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "planted", "version": "1"},
    "paths": {
        "/things/{case}": {
            "get": {
                "operationId": "things",
                "parameters": [
                    {"name": "case", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"type": "array", "items": ITEM}}
                        },
                    }
                },
            }
        }
    },
}


async def _things(case: str) -> list[dict[str, Any]]:
    return BODIES[case]


class _Resolver(Resolver):
    def resolve(self, operation: Any) -> Resolution:
        return Resolution(_things, "things")


def _client(validator_map: dict[str, Any] | None) -> Any:
    app = connexion.AsyncApp(__name__)
    app.add_api(
        copy.deepcopy(SPEC),
        resolver=_Resolver(),
        validator_map=validator_map,
        validate_responses=True,
    )
    return app.test_client()


@pytest.fixture(scope="module")
def answers() -> dict[str, tuple[int, Any]]:
    """What connexion's own response validation (jsonschema alone) answers to every body."""
    with pytest.MonkeyPatch.context() as patch:  # connexion's own middleware operation too
        patch.setattr(middleware, "ResponseValidationOperation", response_validation.CONNEXIONS)
        client = _client(None)
        return {case: _answer(client, case) for case in BODIES}


def _answer(client: Any, case: str) -> tuple[int, Any]:
    response = client.get(f"/things/{case}")
    return response.status_code, response.json()


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("case", list(BODIES))
def test_a_planted_response_is_answered_as_jsonschema_answers_it(
    case: str, answers: dict[str, tuple[int, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_calls = []
    slow = JSONResponseBodyValidator._validate

    def counted(self: Any, body: Any) -> Any:
        slow_calls.append(body)
        return slow(self, body)

    monkeypatch.setattr(JSONResponseBodyValidator, "_validate", counted)
    monkeypatch.setattr(middleware, "ResponseValidationOperation", response_validation.Planned)
    status, body = _answer(_client(validators.VALIDATOR_MAP), case)
    assert (status, body) == answers[case]
    if case == "valid":
        assert status == 200
        assert not slow_calls  # the fast check passed it alone
    elif case in PASSED_BY_JSONSCHEMA:
        assert status == 200
        assert slow_calls  # the fast check doubted it; jsonschema passed it, as before
    else:
        assert status == 500
        assert body["detail"].startswith("Response body does not conform to specification.")
        assert slow_calls  # jsonschema gave the verdict and its message


REFERENCE = Draft4ResponseValidator({}, format_checker=Draft4Validator.FORMAT_CHECKER)
SCHEMAS: list[dict[str, Any]] = [
    {"type": "integer", "nullable": True},
    {"type": "string", "enum": ["A", "B"], "nullable": True},
    {"enum": ["A", None]},
    {"enum": [10**30, 2**53 + 1]},
    {"enum": [0.1, 1]},
    {"maximum": 2**64},
    {"maximum": 2**53, "exclusiveMaximum": True},
    {"minimum": 1.5, "exclusiveMinimum": True},
    {"maximum": 1e30},
    {"multipleOf": 0.1},
    {"multipleOf": 3},
    {"uniqueItems": True},
    {"type": "string", "pattern": "^P(\\d+D)?$"},
    {"type": "string", "pattern": "^a$"},
    {"pattern": "(?i)^abc$"},
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "uri"},
    {"type": "object", "properties": {"secret": {"type": "string", "writeOnly": True}}},
    {"allOf": [{"type": "object", "required": ["a"]}], "nullable": True},
    {"type": "object", "properties": {"a": {"type": "number", "maximum": 5}}},
    {"type": "array", "items": [{"type": "string"}], "additionalItems": False},
]
INSTANCES: list[Any] = [
    None, True, False, 0, 1, -1, 1.0, 0.1, 0.3, 0.5, 1.5, 2.0, 5, 5.5,
    2**53, 2**53 + 1, float(2**53), 2**64, 2**64 + 1, 10**30, 1e30, 10**30 + 10**15, -(10**30),
    "", "A", "C", "a", "a\n", "abc", "ABC", "P1D", "P\u0663D", "P1D\n",
    "2026-01-05T08:00:00Z", "2026-13-05T08:00:00Z", "http://example.com/x", "not a uri",
    [], [1, 1.0], [1, True], [{"a": 1}, {"a": 1.0}], ["a"], ["a", 1], [1],
    {}, {"a": 1}, {"a": 5.5}, {"a": "x"}, {"b": 1},
]  # fmt: skip


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: str(schema)[:60])
def test_the_fast_check_never_passes_what_jsonschema_refuses(schema: dict[str, Any]) -> None:
    reference = Draft4ResponseValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    fast = response_schemas.compile_fast(schema, reference)
    assert fast is not None
    passed = 0
    for instance in INSTANCES:
        if fast(instance):
            passed += 1
            assert reference.is_valid(instance), instance
    assert passed  # it is a check, not a refusal of everything


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/definitions/a"},
        {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
        {"type": "string", "x-understudy-python": {}},
        {"type": "file"},
    ],
    ids=["$ref", "patternProperties", "its own keyword", "a type Rust refuses"],
)
def test_a_schema_it_cannot_mirror_has_no_fast_check(schema: dict[str, Any]) -> None:
    assert response_schemas.compile_fast(schema, REFERENCE) is None


def test_a_recursive_schema_has_no_fast_check() -> None:
    node: dict[str, Any] = {"type": "object", "properties": {}}
    node["properties"]["child"] = node
    assert response_schemas.compile_fast(node, REFERENCE) is None


def test_non_finite_numbers_are_told_apart() -> None:
    assert response_schemas.parse('{"a": [1, 2.5, "NaN"]}') == ({"a": [1, 2.5, "NaN"]}, True)
    for text in ("NaN", "[Infinity]", '{"a": -Infinity}', "[1e999]"):
        assert response_schemas.parse(text)[1] is False


@functools.cache
def _spec_patterns() -> frozenset[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str) and "type" in node:
                found.add(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for mounts in specs.surfaces().values():
        for mount in mounts:
            walk(specs.bundle(mount))
    return frozenset(found)


def test_every_pattern_of_the_specs_is_plain() -> None:
    patterns = _spec_patterns()
    assert patterns
    assert {p for p in patterns if response_schemas.rust_pattern(p) is None} == set()


@pytest.mark.parametrize(
    "pattern",
    ["(?i)abc", "(?=a)b", "a*+", "(?P<x>a)", r"\w+", "[a--b]", "[[:alpha:]]", "[a&&b]", "*a"],
)
def test_a_pattern_that_is_not_plain_is_checked_in_python(pattern: str) -> None:
    assert response_schemas.rust_pattern(pattern) is None


@functools.cache
def _rust(pattern: str) -> Any:
    import jsonschema_rs

    return jsonschema_rs.Draft4Validator({"pattern": response_schemas.rust_pattern(pattern)})


@settings(max_examples=150, derandomize=True, deadline=None)
@given(data=st.data())
def test_a_plain_pattern_in_rust_matches_no_more_than_python_re(data: st.DataObject) -> None:
    pattern = data.draw(st.sampled_from(sorted(_spec_patterns() | {"^a$", "^[^a-z]+.$"})))
    matching = st.from_regex(pattern)
    probe = data.draw(
        matching | matching.map(lambda s: s + "\n") | st.text() | matching.map(str.upper)
    )
    if _rust(pattern).is_valid(probe):
        assert re.search(pattern, probe)

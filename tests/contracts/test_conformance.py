"""Where a third-party spec leaves schemathesis' checks no answer to give, conformance does
not count the implementation's reasonable one as a failure — and only there."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from schemathesis.core import NOT_SET

from understudy.contracts import conformance


def case(
    mode: str = "positive",
    statuses: tuple[str, ...] = ("200",),
    path: dict[str, str] | None = None,
    body: Any = NOT_SET,
) -> Any:
    return SimpleNamespace(
        meta=SimpleNamespace(generation=SimpleNamespace(mode=SimpleNamespace(value=mode))),
        operation=SimpleNamespace(
            responses=SimpleNamespace(status_codes=statuses), path="/planets", method="POST"
        ),
        path_parameters=path or {},
        body=body,
    )


@pytest.mark.parametrize(
    ("mode", "statuses", "status", "forgiven"),
    [
        ("negative", ("201",), 400, True),  # Galaxy's POST /auth/token documents only 201
        ("negative", ("201", "404"), 400, False),  # it documents a refusal: use it
        ("negative", ("201", "4XX"), 400, False),
        ("negative", ("201",), 500, False),  # a crash stays one
        ("negative", ("201",), 201, False),  # accepted invalid input: not this rule's
        ("positive", ("201",), 400, False),  # refusing valid input stays a failure
    ],
)
def test_an_undocumented_refusal_of_invalid_input(
    mode: str, statuses: tuple[str, ...], status: int, forgiven: bool
) -> None:
    made = case(mode, statuses)
    assert (
        conformance._refused_without_a_documented_refusal("status_code_conformance", made, status)
        is forgiven
    )
    assert not conformance._refused_without_a_documented_refusal("other_check", made, status)


@pytest.mark.parametrize(
    ("value", "status", "forgiven"),
    [("a%0Ab", 400, True), ("a%00b", 404, True), ("a%01b", 400, False), ("a%0Ab", 500, False)],
)
def test_a_nul_or_line_feed_in_a_path(value: str, status: int, forgiven: bool) -> None:
    made = case(path={"id": value})
    assert conformance._unroutable_path("positive_data_acceptance", made, status) is forgiven


SPEC = {
    "paths": {
        "/planets": {
            "post": {
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/x"}}}
                }
            }
        }
    },
    "components": {"x": {"allOf": [{"type": "object", "required": ["name"]}]}},
}


def test_an_absent_body_whose_schema_requires_fields() -> None:
    check = "positive_data_acceptance"
    assert conformance._absent_body_that_needs_fields(check, case(), 400, SPEC)
    assert not conformance._absent_body_that_needs_fields(check, case(body={}), 400, SPEC)
    assert not conformance._absent_body_that_needs_fields(check, case(), 500, SPEC)
    loose = {**SPEC, "components": {"x": {"type": "object"}}}
    assert not conformance._absent_body_that_needs_fields(check, case(), 400, loose)

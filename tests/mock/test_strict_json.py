"""Strict JSON: what the mock accepts is what every client can read back."""

from __future__ import annotations

from typing import Any

import pytest

from understudy.mock import strict_json


def _nested(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels - 1):
        value = [value]
    return value


REFUSED = {
    "lone surrogate": '{"notes": "\\ud800"}',
    "lone low surrogate in a key": '{"\\udc00": 1}',
    "NaN": '{"hours": NaN}',
    "Infinity": '{"hours": Infinity}',
    "-Infinity": "[-Infinity]",
    "beyond the double range": '{"hours": 1e400}',
    "a 5000-digit integer": '{"hours": ' + "9" * 5000 + "}",
    "deep nesting": "[" * 100 + "]" * 100,
    "nesting past the recursion limit": "[" * 100_000 + "]" * 100_000,
    "not JSON": "{'single': 'quotes'}",
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_what_a_client_cannot_read_back_is_refused(text: str) -> None:
    with pytest.raises(strict_json.NotJSON):
        strict_json.loads(text)


@pytest.mark.parametrize(
    "text, value",
    [
        ('{"emoji": "\\ud83d\\ude00"}', {"emoji": "\U0001f600"}),  # a surrogate *pair* is fine
        ('{"hours": 1.5e3, "n": -12}', {"hours": 1500.0, "n": -12}),
        ("[" * 60 + "]" * 60, _nested(60)),
        ('"é"', "é"),
    ],
    ids=["surrogate pair", "numbers", "60 levels", "unicode"],
)
def test_json_every_client_reads_passes(text: str, value: Any) -> None:
    assert strict_json.loads(text) == value


@pytest.mark.parametrize(
    "value",
    [{"a": "\ud800"}, {"a": float("nan")}, {"a": [float("inf")]}, {1: 2}, {"a": object()}],
    ids=["surrogate", "nan", "inf", "int key", "object"],
)
def test_check_refuses_values_built_in_python(value: Any) -> None:
    with pytest.raises(strict_json.NotJSON):
        strict_json.check(value)

"""The methods a request path allows: OpenAPI's matching, precomputed per route."""

from __future__ import annotations

import random
import re

import pytest

from understudy import specs
from understudy.mock.routes import RouteIndex

GET, PUT, POST, DELETE = (frozenset({m}) for m in ("GET", "PUT", "POST", "DELETE"))


def test_a_concrete_path_wins_over_a_templated_one() -> None:
    index = RouteIndex(
        [("/w/{id}/expenses/{expenseId}", GET | PUT), ("/w/{id}/expenses/categories", GET)]
    )
    assert index.allowed("/w/1/expenses/categories") == GET
    assert index.allowed("/w/1/expenses/e1") == GET | PUT


def test_templates_as_concrete_as_the_best_match_unite_their_methods() -> None:
    index = RouteIndex([("/a/{x}/c", GET), ("/a/b/{y}", POST), ("/a/{x}/{y}", DELETE)])
    assert index.allowed("/a/b/c") == GET | POST
    assert index.allowed("/a/z/z") == DELETE


def test_no_match_allows_nothing() -> None:
    index = RouteIndex([("/a/{x}", GET), ("/a/{x}/b.pdf", GET)])
    assert index.allowed("/a") == frozenset()
    assert index.allowed("/a/1/2") == frozenset()
    assert index.allowed("/b/1") == frozenset()


def test_a_parameter_inside_a_segment_matches_only_that_segment() -> None:
    index = RouteIndex([("/r/{id}.pdf", GET), ("/r/{id}", DELETE)])
    assert index.allowed("/r/7.pdf") == GET | DELETE  # both have one parameter
    assert index.allowed("/r/7.csv") == DELETE
    assert index.allowed("/r/a/b.pdf") == frozenset()


@pytest.mark.parametrize("mount", [m for ms in specs.surfaces().values() for m in ms])
def test_the_index_agrees_with_a_scan_of_every_route(mount: specs.Mount) -> None:
    """Against the plain definition (match every template, keep the fewest parameters) on
    every path of the real specs, with parameters filled in and with literal lookalikes."""
    paths = specs.bundle(mount)["paths"]
    routes = [
        (mount.prefix + path, frozenset(m.upper() for m in item if m in specs.HTTP_METHODS))
        for path, item in paths.items()
    ]
    index = RouteIndex(routes)
    literals = sorted({s for t, _ in routes for s in t.split("/") if s and "{" not in s})
    rng = random.Random(1)
    for template, _ in routes:
        for _ in range(5):
            path = re.sub(r"{[^}]+}", lambda _: rng.choice([*literals, "x1", "42"]), template)
            assert index.allowed(path) == _scan(routes, path), path


def _scan(routes: list[tuple[str, frozenset[str]]], path: str) -> frozenset[str]:
    matches = []
    for template, methods in routes:
        parts = re.split(r"({[^}]+})", template)
        regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        if re.fullmatch(regex, path):
            matches.append((template.count("{"), methods))
    if not matches:
        return frozenset()
    fewest = min(h for h, _ in matches)
    return frozenset().union(*(m for h, m in matches if h == fewest))

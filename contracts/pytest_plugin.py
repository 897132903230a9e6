"""The contract inside a team's own pytest suite.

In ``conftest.py``::

    pytest_plugins = ["understudy.contracts.pytest_plugin"]

then in a test module::

    from understudy.contracts.pytest_plugin import test_contract  # noqa: F401  (collected)

and run ``pytest --understudy-base-url http://127.0.0.1:8080/edm --understudy-token "$A"
--understudy-other-token "$B"``. ``test_contract`` runs every check and fails with the
report (curl commands included). Own checks are registered with
``understudy.contracts.semantic.semantic("name")`` before the run; the fixture
``understudy_options`` gives the target to tests of your own, and ``understudy_verify``
runs the harness with overrides (``understudy_verify(checks=["tenant_isolation"])``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from understudy.arguments import parse_headers, parse_params, session_headers
from understudy.contracts import report
from understudy.contracts.outcome import Result
from understudy.contracts.verify import Options, verify


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("understudy", "Understudy contract verification")
    group.addoption("--understudy-base-url", help="where the surface under test is served")
    group.addoption("--understudy-surface", default="edm", help="the surface (default edm)")
    group.addoption("--understudy-spec", help="your own OpenAPI file or URL, instead of a surface")
    group.addoption("--understudy-token", help="bearer token of the first tenant")
    group.addoption(
        "--understudy-header", action="append", default=[], help="'Name: value' for tenant A"
    )
    group.addoption("--understudy-other-token", help="bearer token of a second tenant")
    group.addoption(
        "--understudy-other-header", action="append", default=[], help="'Name: value' for B"
    )
    group.addoption(
        "--understudy-other-app-token", help="a token of the first tenant for another app"
    )
    group.addoption(
        "--understudy-param", action="append", default=[], help="NAME=VALUE, a fixed parameter"
    )
    group.addoption(
        "--understudy-session",
        help="X-Understudy-Session of an understudy mock; 'new': a fresh one for this run",
    )
    group.addoption("--understudy-max-examples", type=int, default=10)
    group.addoption("--understudy-seed", type=int)


@pytest.fixture(scope="session")
def understudy_options(request: pytest.FixtureRequest) -> Options:
    get = request.config.getoption
    base_url = get("--understudy-base-url")
    if not base_url:
        pytest.skip("no --understudy-base-url given")
    session = session_headers(get("--understudy-session"))
    other = parse_headers(get("--understudy-other-header"), get("--understudy-other-token"))
    other_app = parse_headers([], get("--understudy-other-app-token"))
    return Options(
        surface=get("--understudy-surface"),
        spec=get("--understudy-spec"),
        base_url=base_url.rstrip("/"),
        headers={**parse_headers(get("--understudy-header"), get("--understudy-token")), **session},
        other_headers={**other, **session} if other else None,
        other_app_headers={**other_app, **session} if other_app else None,
        max_examples=get("--understudy-max-examples"),
        seed=get("--understudy-seed"),
        params=parse_params(get("--understudy-param")),
    )


@pytest.fixture(scope="session")
def understudy_verify(understudy_options: Options) -> Callable[..., Result]:
    def run(**overrides: Any) -> Result:
        return verify(dataclasses.replace(understudy_options, **overrides))

    return run


def test_contract(understudy_verify: Callable[..., Result]) -> None:
    """The implementation conforms to the spec: every check, every operation."""
    result = understudy_verify()
    if not result.ok:
        pytest.fail(report.summary(result), pytrace=False)

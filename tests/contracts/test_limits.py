"""The contract harness and a declared rate limit (contracts/limits.py): the ``rate_limit``
check catches an implementation that does not enforce it, and verify stays under the limit
itself when its credentials count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import LiveMock
from understudy import binding
from understudy.contracts import limits
from understudy.contracts.verify import Options, verify
from understudy.mock import errors


def addon_options(live: LiveMock, **overrides: Any) -> Options:
    demo = live.admin("/credentials").json()["clockify"]
    base = {
        "surface": "clockify",
        "base_url": live.root + "/clockify/api",
        "headers": {"X-Addon-Token": demo["api_key"]},
        "params": {"workspaceId": demo["workspaceId"]},
        "max_examples": 3,
        "seed": 1,
    }
    return Options(**{**base, **overrides})


def refusals(live: LiveMock, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every 429 the mock's Clockify limiter answers from now on (the header it counted)."""
    limiter = live.mock.limiters["clockify"]
    seen: list[str] = []
    original: Callable[..., None] = limiter.check

    def spy(header: str, *args: Any, **kwargs: Any) -> None:
        try:
            original(header, *args, **kwargs)
        except errors.TooManyRequests:
            seen.append(header)
            raise

    monkeypatch.setattr(limiter, "check", spy)
    return seen


def test_the_mock_enforces_its_declared_limit(live_mock: LiveMock) -> None:
    result = verify(addon_options(live_mock, checks=[limits.CHECK]))
    [outcome] = result.outcomes
    assert outcome.passed and not outcome.skipped, outcome.message
    assert result.requests > 100  # twice the limit at least, and one after Retry-After


def test_a_limit_left_unenforced_is_caught(
    live_mock: LiveMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_mock.mock.limiters["clockify"], "check", lambda *a, **k: None)
    result = verify(addon_options(live_mock, checks=[limits.CHECK]))
    assert result.failed_checks() == {limits.CHECK}
    assert "were served with one credential" in result.failures[0].message
    assert result.failures[0].curl  # the request that reproduces it


def test_the_check_is_skipped_for_credentials_the_limit_does_not_count(
    live_mock: LiveMock,
) -> None:
    demo = live_mock.admin("/credentials").json()["clockify"]
    api_key = addon_options(live_mock, checks=[limits.CHECK])
    api_key.headers = {"X-Api-Key": demo["api_key"]}
    [outcome] = verify(api_key).outcomes
    assert outcome.skipped and "X-Addon-Token" in outcome.message


def test_verify_paces_itself_under_the_limit(
    live_mock: LiveMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = refusals(live_mock, monkeypatch)
    paced = addon_options(
        live_mock,
        operations=["getTags"],
        checks=["not_a_server_error", "status_code_conformance"],
        phases=("fuzzing",),
        max_examples=55,
    )
    result = verify(paced)
    assert result.ok, [(o.check, o.message) for o in result.failures] + result.errors
    assert result.requests > 50 and seen == []  # more than the limit allows in a second


def test_the_pace_is_a_share_of_the_declared_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = binding.RateLimit(50, 1.0, ("X-Addon-Token",), "workspaceId")
    assert limits.pace(rule, {"X-Addon-Token": "t"}) == "40/s"
    assert limits.pace(rule, {"X-Api-Key": "k"}) is None and limits.pace(None, {}) is None
    assert limits.pace(binding.RateLimit(10, 60.0, ()), {"X-Api-Key": "k"}) == "8/m"
    now, slept = [100.0], []
    monkeypatch.setattr(limits.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(limits.time, "sleep", slept.append)
    pacer = limits.Pacer(rule)
    for _ in range(3):  # three requests at the same instant: the 2nd and 3rd wait their turn
        pacer()
    assert slept == [pytest.approx(0.025), pytest.approx(0.05)]

"""The demo tenant: generated once per surface, size, seed, spec and code, then read back."""

from __future__ import annotations

from pathlib import Path

import pytest

import understudy.fixtures
from understudy.mock import demo
from understudy.mock.app import create_app
from understudy.mock.config import Config


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty cache and nothing generated in this process yet."""
    monkeypatch.setenv("UNDERSTUDY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(demo, "_generated", {})


def _records(seed: int) -> dict[str, list[object]]:
    return create_app(Config(surfaces=("tracker",), seed=seed)).stores["tracker"].dump()


def test_the_next_start_reads_the_tenant_back(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    generated = _records(7)
    assert sum(len(records) for records in generated.values()) > 0
    monkeypatch.setattr(demo, "_generated", {})  # a new process: only the disk cache is left

    def no_generation(*args: object, **kwargs: object) -> None:
        raise AssertionError("the tenant was generated again")

    monkeypatch.setattr(understudy.fixtures, "generate", no_generation)
    assert _records(7) == generated


def test_another_seed_is_another_tenant(fresh: None) -> None:
    assert _records(7) != _records(8)

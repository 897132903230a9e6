"""The lock around ast.parse: on the CPythons with the shared AST counter, two threads never
build an AST at once; elsewhere ast.parse is left as it is."""

from __future__ import annotations

import ast
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from understudy.contracts import ast_lock


@pytest.fixture
def restored() -> Iterator[None]:
    original = ast.parse
    yield
    ast.parse = original


def test_the_affected_versions_are_those_before_the_fix() -> None:
    assert ast_lock.affected((3, 11, 7)) and ast_lock.affected((3, 12, 1))
    assert not ast_lock.affected((3, 11, 8)) and not ast_lock.affected((3, 12, 2))
    assert not ast_lock.affected((3, 13, 0))


def test_parses_run_one_at_a_time(restored: None, monkeypatch: pytest.MonkeyPatch) -> None:
    inside, most = 0, 0
    guard = threading.Lock()

    def slow_parse(*args: Any, **kwargs: Any) -> ast.Module:  # stands in for the C parser
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        time.sleep(0.01)
        with guard:
            inside -= 1
        return ast.Module(body=[], type_ignores=[])

    monkeypatch.setattr(ast, "parse", slow_parse)
    monkeypatch.setattr(ast_lock, "affected", lambda: True)
    ast_lock.install()
    ast_lock.install()  # twice: wrapped once
    threads = [threading.Thread(target=ast.parse, args=("x = 1",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    assert ast.parse.__wrapped__ is slow_parse  # type: ignore[attr-defined]


def test_left_alone_where_cpython_is_safe(restored: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ast_lock, "affected", lambda: False)
    before = ast.parse
    ast_lock.install()
    assert ast.parse is before

"""`./dev lint` in the suite: ruff (rules and format) and mypy on the project's layers pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*command: str) -> None:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}{done.stderr}"


def test_ruff_finds_nothing() -> None:
    _run(str(BIN / "ruff"), "check", ".")
    _run(str(BIN / "ruff"), "format", "--check", ".")


def test_mypy_finds_nothing() -> None:
    _run(str(BIN / "mypy"), "understudy", "mock", "fixtures", "contracts")

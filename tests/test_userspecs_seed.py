"""`seed --spec`: a deterministic tenant from a team's own spec, to a file or through the API
of any implementation of it (here the mock serving it, started empty)."""

from __future__ import annotations

from pathlib import Path

import httpx

from understudy.cli import main
from understudy.mock.app import create_app
from understudy.mock.config import Config

from .conftest import running

SPEC = str(Path(__file__).parent / "data" / "specs" / "galaxy.yaml")


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["seed", "--spec", SPEC, "--out", str(first), "--quiet"]) == 0
    assert main(["seed", "--spec", SPEC, "--out", str(second), "--quiet"]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert '"planets"' in first.read_text()


def test_pushed_through_the_api_of_an_implementation(tmp_path: Path) -> None:
    config = Config(specs=(SPEC,), prefixes=("/api",), demo=False)
    with running(create_app(config)) as live:
        (entry,) = live.admin("/credentials").json().values()
        headers = [f"{name}: {value}" for name, value in entry["headers"].items()]
        args = ["seed", "--spec", SPEC, "--target", live.root + "/api", "--quiet"]
        args += [a for h in headers for a in ("--header", h)]
        assert main([*args, "--ledger", str(tmp_path / "ledger.json")]) == 0
        listed = httpx.get(
            live.root + "/api/planets", params={"limit": 50}, headers=entry["headers"]
        )
    assert listed.status_code == 200
    assert len(listed.json()["data"]) == 5

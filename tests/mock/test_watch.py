"""`serve --watch` (mock.watch): a changed spec is served anew; collections whose records
still fit keep them, the others start again."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from starlette.testclient import TestClient

from understudy.mock.app import create_app
from understudy.mock.config import Config
from understudy.mock.watch import Reloader

SPEC = Path(__file__).parents[1] / "data" / "specs" / "petstore-expanded.yaml"


def served(tmp_path: Path) -> tuple[Path, Reloader]:
    path = tmp_path / "pets.yaml"
    shutil.copy(SPEC, path)
    return path, Reloader(create_app(Config(specs=(str(path),))))


def test_records_that_still_fit_are_kept(tmp_path: Path) -> None:
    path, reloader = served(tmp_path)
    created = TestClient(reloader).post("/pets/pets", json={"name": "Rex", "tag": "dog"}).json()
    # a new optional property: every stored pet still fits
    path.write_text(
        path.read_text().replace(
            "        tag:\n", "        color:\n          type: string\n        tag:\n", 1
        )
    )
    assert reloader.reload() is not None
    client = TestClient(reloader)
    assert client.get(f"/pets/pets/{created['id']}").json() == created
    assert "color" in str(client.get("/pets/openapi.json").json()["components"]["schemas"])


def test_records_that_no_longer_fit_start_again(tmp_path: Path) -> None:
    path, reloader = served(tmp_path)
    created = TestClient(reloader).post("/pets/pets", json={"name": "Rex", "tag": "dog"}).json()
    # tag becomes an integer: "dog" no longer fits
    text = path.read_text().replace(
        "        tag:\n          type: string", "        tag:\n          type: integer", 1
    )
    path.write_text(text)
    assert reloader.reload() is not None
    assert TestClient(reloader).get(f"/pets/pets/{created['id']}").status_code == 404


def test_a_spec_that_no_longer_loads_keeps_the_previous_one(tmp_path: Path) -> None:
    path, reloader = served(tmp_path)
    before = reloader.mock
    path.write_text("openapi: 2.0\n")
    assert reloader.reload() is None
    assert reloader.mock is before
    assert TestClient(reloader).get("/pets/pets").status_code == 200


def test_a_saved_file_is_picked_up(tmp_path: Path) -> None:
    path, reloader = served(tmp_path)
    before = reloader.mock
    reloader.start()
    try:
        time.sleep(0.5)  # the watcher is set up
        path.write_text(path.read_text().replace("Swagger Petstore", "Petstore, edited", 1))
        deadline = time.monotonic() + 20
        while reloader.mock is before and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        reloader.stop.set()
    assert reloader.mock is not before

"""The start-up cache: keyed by content, so an edited spec or new code is never served stale."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from understudy import cache, specs

SPEC = """openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "parts.yaml#/components/schemas/Thing"}
"""
PARTS = """openapi: 3.0.3
info: {title: parts, version: "1"}
paths: {}
components:
  schemas:
    Thing: {type: object, properties: {name: {type: string}}}
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("UNDERSTUDY_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[specs.Mount]:
    (tmp_path / "api.yaml").write_text(SPEC)
    (tmp_path / "parts.yaml").write_text(PARTS)
    yield specs.Mount("things", "/things", (tmp_path / "api.yaml",))
    _forget()


def _forget() -> None:
    """What a new process starts with: nothing in memory, only the disk cache."""
    specs._bundle.cache_clear()
    specs.read_yaml.cache_clear()


def test_a_bundle_is_read_back_from_the_cache(
    cache_dir: Path, mount: specs.Mount, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = specs.bundle(mount)
    assert list((cache_dir / "bundle").glob("*.pickle"))
    _forget()

    def no_rebuild(files: object) -> None:
        raise AssertionError("the bundle was rebuilt although no file changed")

    monkeypatch.setattr(specs, "_build", no_rebuild)
    assert specs.bundle(mount) == first


def test_an_edited_file_is_never_served_stale(cache_dir: Path, mount: specs.Mount) -> None:
    before = specs.bundle(mount)
    _forget()
    parts = mount.files[0].with_name("parts.yaml")  # a referenced file, not a listed one
    parts.write_text(PARTS.replace("name: {type: string}", "name: {type: integer}"))
    after = specs.bundle(mount)
    assert before["components"]["schemas"]["Thing"]["properties"]["name"]["type"] == "string"
    assert after["components"]["schemas"]["Thing"]["properties"]["name"]["type"] == "integer"
    assert specs.fingerprint(mount) != cache.key("unrelated")


def test_a_damaged_entry_is_a_miss(cache_dir: Path, mount: specs.Mount) -> None:
    expected = specs.bundle(mount)
    for entry in (cache_dir / "bundle").glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    _forget()
    assert specs.bundle(mount) == expected


def test_the_cache_can_be_turned_off(
    tmp_path: Path, mount: specs.Mount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNDERSTUDY_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.directory() is None
    specs.bundle(mount)
    cache.put("kind", "key", 1)
    assert cache.get("kind", "key") is cache.MISS
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


def test_an_unwritable_cache_only_costs_time(
    tmp_path: Path, mount: specs.Mount, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("UNDERSTUDY_CACHE_DIR", str(blocker / "cache"))  # under a file
    assert specs.bundle(mount)["paths"]
    assert cache.get("bundle", "anything") is cache.MISS


def test_keys_cover_every_part_and_the_code(cache_dir: Path) -> None:
    assert cache.key("a", "bc") != cache.key("ab", "c")
    assert cache.key("a") == cache.key("a")
    assert len(cache.code_fingerprint()) == 64

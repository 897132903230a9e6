"""What does not change between starts, kept on disk and keyed by what it is made from.

Bundling the specs, validating them against the OpenAPI meta-schema and generating the demo
tenant take seconds; their inputs (the spec files, the code, the library versions) rarely
change. Each entry is stored under a key that hashes every input, so an edited spec, a new
version of the code or of a library is a miss, never a stale answer.

Entries live in ``$UNDERSTUDY_CACHE_DIR`` (default ``$XDG_CACHE_HOME/understudy``, else
``~/.cache/understudy``); ``UNDERSTUDY_CACHE_DIR=off`` turns the cache off. A cache that
cannot be read or written is only slower: every failure is a miss.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

MISS: Any = object()
_PACKAGE_ROOT = Path(__file__).resolve().parent


def directory() -> Path | None:
    """The cache folder, or None when the cache is off."""
    configured = os.environ.get("UNDERSTUDY_CACHE_DIR", "")
    if configured.lower() in ("off", "0", "false", "no"):
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "understudy"


def key(*parts: str | bytes) -> str:
    """A hash of ``parts`` and of the code and library versions (see ``code_fingerprint``)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """The Python version, every installed distribution's name and version, and the
    project's own sources.

    Hashing the sources (not just the version number) keeps a development checkout honest:
    editing a fixture builder or a handler changes every key. Versions come from the
    ``*.dist-info`` folder names: ``importlib.metadata`` takes a tenth of a second to ask.
    """
    digest = hashlib.sha256(sys.version.encode())
    for entry in sys.path:
        if Path(entry).name not in ("site-packages", "dist-packages"):
            continue  # the script's folder or the working directory: not installed code
        try:
            names = sorted(os.listdir(entry))
        except OSError:
            continue
        digest.update(
            ";".join(n for n in names if n.endswith((".dist-info", ".egg-info"))).encode()
        )
    for root in _source_roots():
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _source_roots() -> list[Path]:
    """The folders of the installed ``understudy`` packages (one each, editable or not),
    found without importing them."""
    roots = {_PACKAGE_ROOT}
    for package in ("understudy.mock", "understudy.fixtures", "understudy.contracts"):
        found = importlib.util.find_spec(package)
        roots.update(Path(p).resolve() for p in (found and found.submodule_search_locations) or ())
    return sorted(roots)


def get(kind: str, entry_key: str) -> Any:
    """The value stored under ``(kind, entry_key)``, or ``MISS``."""
    folder = directory()
    if folder is None:
        return MISS
    try:
        with (folder / kind / f"{entry_key}.pickle").open("rb") as fh:
            return pickle.load(fh)
    except FileNotFoundError:
        return MISS
    except Exception:  # a truncated or foreign file is a miss, and is replaced on the next put
        return MISS


def put(kind: str, entry_key: str, value: Any) -> None:
    """Store ``value``; written to a temporary file and renamed, so readers never see half."""
    folder = directory()
    if folder is None:
        return
    try:
        target = folder / kind
        target.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, target / f"{entry_key}.pickle")
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:  # a read-only home or a full disk: run without the cache
        return

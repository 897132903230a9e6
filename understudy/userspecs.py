"""A team's own spec, from a path or a URL, made ready to serve and to verify against.

``load("my-api.yaml")`` reads YAML or JSON (3.0.x as it is, 3.1 converted by
``understudy.convert``), bundles ``other.yaml#/components/...`` references of local files,
and fills in the ``x-understudy`` declarations it lacks by REST convention
(``understudy.infer``). It is served under ``/<name>``, the name made from the file's
name, or under ``prefix``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from understudy import convert, infer, specs

OWN_BEHAVIOUR = "understudy.mock.surfaces.own"
GENERIC_NAMES = ("openapi", "swagger", "api", "spec", "schema", "index", "main")


@dataclass
class UserSpec:
    source: str  # as given: a path or a URL
    name: str  # the surface name: its store, its admin entries, its mount
    prefix: str  # "" for the root
    inferred: infer.Inferred
    path: Path | None = None  # the file, when it is one (watched by serve --watch)

    @property
    def spec(self) -> dict[str, Any]:
        return self.inferred.spec

    @property
    def mount(self) -> specs.Mount:
        """Served with the Python of the built-in surface whose file it is (its declarations
        may name that surface's handlers), else with the behaviour of any spec's examples."""
        files = (self.path,) if self.path else ()
        package = next(
            (
                m.behaviour
                for mounts in specs.surfaces().values()
                for m in mounts
                if self.path in m.files
            ),
            OWN_BEHAVIOUR,
        )
        return specs.Mount(self.name, self.prefix, files, package)


def load(source: str, prefix: str | None = None, taken: frozenset[str] = frozenset()) -> UserSpec:
    """Read, convert, validate and complete one spec; ``taken`` are surface names in use."""
    raw, path = read(source)
    doc = prepare(raw, source, path)
    name = _name(source, doc, taken)
    if prefix is None:
        prefix = "/" + name
    prefix = "" if prefix.strip("/") == "" else "/" + prefix.strip("/")
    return UserSpec(source, name, prefix, infer.complete(doc), path)


def load_all(
    sources: tuple[str, ...], prefixes: tuple[str, ...] = (), taken: frozenset[str] = frozenset()
) -> list[UserSpec]:
    """Several specs, the n-th under the n-th prefix (if given); names and prefixes unique."""
    if len(prefixes) > len(sources):
        raise specs.SpecError(f"{len(prefixes)} --prefix values for {len(sources)} specs")
    loaded: list[UserSpec] = []
    for i, source in enumerate(sources):
        names = taken | {u.name for u in loaded}
        loaded.append(load(source, prefixes[i] if i < len(prefixes) else None, names))
    seen: dict[str, str] = {}
    for spec in loaded:
        if spec.prefix in seen:
            where = spec.prefix or "/"
            raise specs.SpecError(
                f"{seen[spec.prefix]} and {spec.source} are both served at {where}"
            )
        seen[spec.prefix] = spec.source
    return loaded


def read(source: str) -> tuple[dict[str, Any], Path | None]:
    """The document at a path or an http(s) URL, parsed (JSON is YAML)."""
    if re.match(r"^https?://", source):
        import httpx

        try:
            answer = httpx.get(source, timeout=30, follow_redirects=True)
            answer.raise_for_status()
        except httpx.HTTPError as exc:
            raise specs.SpecError(f"cannot fetch {source}: {exc}") from None
        text, path = answer.text, None
    else:
        path = Path(source).expanduser().resolve()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise specs.SpecError(f"cannot read {source}: {exc}") from None
    try:
        doc = yaml.load(text, Loader=specs._Loader)
    except yaml.YAMLError as exc:
        raise specs.SpecError(f"{source} is neither YAML nor JSON: {exc}".splitlines()[0]) from None
    if not isinstance(doc, dict):
        raise specs.SpecError(f"{source} is not an OpenAPI document (not a mapping)")
    return doc, path


def prepare(doc: dict[str, Any], source: str, path: Path | None = None) -> dict[str, Any]:
    """A self-contained OpenAPI 3.0 document, or a one-line ``SpecError``. (Whether it is a
    valid one, connexion checks when it is served.)"""
    version = str(doc.get("openapi") or doc.get("swagger") or "")
    if version.startswith("2"):
        raise specs.SpecError(
            f"{source} is Swagger {version}; serve an OpenAPI 3 document (convert it first)"
        )
    if convert.is_31(doc):
        doc = convert.to_30(doc, source)
    elif not re.match(r"^3\.0\.\d", version):
        raise specs.SpecError(f"{source}: OpenAPI version {version or '(none)'} is not 3.0 or 3.1")
    if path is not None and _external_refs(doc):
        doc = _bundled(doc, path)
    return doc


def _external_refs(node: Any) -> bool:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return True
        return any(_external_refs(v) for v in node.values())
    if isinstance(node, list):
        return any(_external_refs(v) for v in node)
    return False


def _bundled(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    """References into other local files' components, merged into this document."""
    pending: list[Path] = []
    out = specs._localise(doc, path, pending)
    seen = {path}
    while pending:
        other = pending.pop(0)
        if other in seen:
            continue
        seen.add(other)
        part = specs._localise(specs.read_yaml(other), other, pending)
        for section, entries in part.get("components", {}).items():
            out.setdefault("components", {}).setdefault(section, {}).update(entries)
    return out


def _name(source: str, doc: dict[str, Any], taken: frozenset[str]) -> str:
    stem = re.sub(r"\.(ya?ml|json)$", "", source.rstrip("/").rsplit("/", 1)[-1], flags=re.I)
    if stem.lower() in GENERIC_NAMES or not stem:
        stem = str(doc.get("info", {}).get("title") or "api")
    base = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "api"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name

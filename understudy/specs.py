"""Load the hand-written specs in ``openapi/`` and bundle each mount into one document.

A surface (``edm``, ``clockify``, ``tracker``) is served under one or more mounts; a mount
is a URL prefix plus the spec files it serves (``openapi/surfaces.yaml``). Each spec file is
a complete OpenAPI 3.0.3 document. Files of one folder may reference each other's
components (``components.yaml#/components/schemas/Record``); bundling merges every file's
paths and components into one document with only local references, which is what
connexion, schemathesis, the fixtures and the Swagger UI consume.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import understudy.openapi as _spec_package
from understudy import cache
from understudy.errors import SpecError

SPEC_DIR = Path(_spec_package.__file__).resolve().parent
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

try:  # the C loader is ~3x faster on the large Clockify spec
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class Mount:
    surface: str
    prefix: str
    files: tuple[Path, ...]
    behaviour: str | None = None  # the package of the surface's Python (mock.behaviour)
    # other documented base paths of the same API (Clockify's reports: /report/v1 on
    # regional hosts, /v1 on their own host), served as if they were the prefix
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """A stable name for the mount, e.g. ``clockify-reports``."""
        return (self.surface + self.prefix.replace("/" + self.surface, "", 1)).replace("/", "-")


@functools.cache
def read_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = yaml.load(fh, Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{path} is not a YAML mapping")
    return data


def surfaces() -> dict[str, tuple[Mount, ...]]:
    """Every surface named in ``openapi/surfaces.yaml`` whose spec files exist."""
    manifest = read_yaml(SPEC_DIR / "surfaces.yaml")
    found: dict[str, tuple[Mount, ...]] = {}
    for surface, entry in manifest["surfaces"].items():
        mounts = tuple(
            Mount(
                surface,
                m["prefix"],
                tuple(SPEC_DIR / f for f in m["specs"]),
                behaviour=entry.get("behaviour"),
                aliases=tuple(m.get("aliases", ())),
            )
            for m in entry["mounts"]
        )
        if all(f.exists() for m in mounts for f in m.files):
            found[surface] = mounts
    return found


def spec_files() -> list[Path]:
    """Every hand-written spec file, shared component files included."""
    return sorted(p for p in SPEC_DIR.rglob("*.yaml") if p.name != "surfaces.yaml")


@functools.cache
def _bundle(files: tuple[Path, ...]) -> bytes:
    """The bundle of ``files``, pickled: from the disk cache when none of the files it was
    made from changed, else built (and cached)."""
    entry_key = cache.key(*(str(f) for f in files))
    cached = cache.get("bundle", entry_key)
    if cached is not cache.MISS and all(_digest(p) == d for p, d in cached["sources"].items()):
        return cached["bundle"]
    bundled, read = _build(files)
    blob = pickle.dumps(bundled, protocol=pickle.HIGHEST_PROTOCOL)
    cache.put("bundle", entry_key, {"sources": {p: _digest(p) for p in read}, "bundle": blob})
    return blob


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _build(files: tuple[Path, ...]) -> tuple[dict[str, Any], set[Path]]:
    """Bundle ``files``; also the set of every file read (the listed ones and their refs)."""
    docs = [read_yaml(f) for f in files]
    bundle: dict[str, Any] = {
        "openapi": docs[0]["openapi"],
        "info": copy.deepcopy(docs[0]["info"]),
        "paths": {},
        "components": {},
    }
    for key in ("servers", "security", "externalDocs"):
        if key in docs[0]:
            bundle[key] = copy.deepcopy(docs[0][key])
    tags: dict[str, Any] = {}
    pending = list(files)
    seen: set[Path] = set()
    while pending:  # the listed files, then every file they reference
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        doc = _localise(read_yaml(path), path, pending)
        for name, item in doc.get("paths", {}).items():
            target = bundle["paths"].setdefault(name, {})
            for method, op in item.items():
                if method in target and target[method] != op:
                    raise SpecError(f"{path}: {method.upper()} {name} is defined twice")
                target[method] = op
        for section, entries in doc.get("components", {}).items():
            merged = bundle["components"].setdefault(section, {})
            for name, value in entries.items():
                if name in merged and merged[name] != value:
                    raise SpecError(f"{path}: component {section}/{name} conflicts")
                merged[name] = value
        _merge_binding(bundle.setdefault("x-understudy", {}), doc.get("x-understudy", {}), path)
        for tag in doc.get("tags", []):
            tags.setdefault(tag["name"], tag)
    bundle["tags"] = list(tags.values())
    return bundle, seen


def _merge_binding(target: dict[str, Any], binding: dict[str, Any], path: Path) -> None:
    """Merge a file's root ``x-understudy``: ``collections`` by name, other keys whole."""
    for key, value in binding.items():
        if key == "collections":
            merged = target.setdefault(key, {})
            for name, collection in value.items():
                if name in merged and merged[name] != collection:
                    raise SpecError(f"{path}: x-understudy collection {name} conflicts")
                merged[name] = collection
        elif key in target and target[key] != value:
            raise SpecError(f"{path}: x-understudy {key} conflicts")
        else:
            target[key] = value


def _localise(node: Any, origin: Path, pending: list[Path]) -> Any:
    """Copy ``node``, turning ``file.yaml#/components/...`` refs into local ones."""
    if isinstance(node, dict):
        out = {k: _localise(v, origin, pending) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            target, _, pointer = ref.partition("#")
            if not pointer.startswith("/components/"):
                raise SpecError(f"{origin}: external $ref {ref!r} must point into components")
            pending.append((origin.parent / target).resolve())
            out["$ref"] = "#" + pointer
        return out
    if isinstance(node, list):
        return [_localise(v, origin, pending) for v in node]
    return node


def bundle(mount: Mount) -> dict[str, Any]:
    """The mount's specs as one self-contained document (a fresh copy per call: unpickling
    is several times faster than a deep copy)."""
    return pickle.loads(_bundle(mount.files))


def fingerprint(mount: Mount) -> str:
    """A hash of the mount's bundled content: it changes whenever a file it reads changes."""
    return hashlib.sha256(_bundle(mount.files)).hexdigest()


def mount(surface: str, index: int = 0) -> Mount:
    try:
        return surfaces()[surface][index]
    except KeyError:
        raise SpecError(f"unknown surface {surface!r}; known: {', '.join(surfaces())}") from None


def whole(surface: str) -> Mount:
    """Every spec file of a surface as one mount, for what spans its mounts (its data)."""
    mounts = surfaces().get(surface) or (mount(surface),)
    files = tuple(dict.fromkeys(f for m in mounts for f in m.files))
    return Mount(surface, mounts[0].prefix, files)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(METHOD, path, operation)`` for every operation of a bundled spec."""
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s until ``node`` is not a reference."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def validator(spec: dict[str, Any], pointer: str) -> Any:
    """An OpenAPI 3.0 schema validator for the schema at ``pointer`` of a bundled spec.

    It honours 3.0's ``nullable`` and checks formats (date-time, uri, ...), so it is the one
    way the project checks an instance (an example, a fixture, a response) against a spec.
    """
    from openapi_schema_validator import OAS30Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    registry = Registry().with_resource(
        _SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT4)
    )
    return OAS30Validator(
        {"$ref": f"{_SPEC_URI}#{pointer}"},
        registry=registry,
        format_checker=OAS30Validator.FORMAT_CHECKER,
    )


_SPEC_URI = "urn:understudy:spec"


def properties(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The property schemas of an object schema, through ``allOf`` and ``$ref``s."""
    schema = resolve(spec, schema)
    found: dict[str, dict[str, Any]] = {}
    for part in schema.get("allOf", ()):
        found.update(properties(spec, part))
    found.update(schema.get("properties", {}))
    return found


def required(spec: dict[str, Any], schema: Any) -> list[str]:
    """The names an object schema requires, through ``$ref``s and ``allOf``, declared among
    its properties or not (Figma's webhook PUT requires a ``team_id`` it does not declare)."""
    node = resolve(spec, schema)
    if not isinstance(node, dict):
        return []
    names = list(node.get("required", ()))
    for part in node.get("allOf", ()):
        names += required(spec, part)
    return list(dict.fromkeys(names))

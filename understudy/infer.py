"""Bindings for a spec that declares none, by REST convention.

A user's spec rarely says ``x-understudy``. Read by convention, ``POST /things`` creates,
``GET /things`` lists (paging and filters from its declared query parameters), ``GET|PUT|
PATCH|DELETE /things/{id}`` get, replace, patch and delete, ``/owners/{ownerId}/things``
is scoped by its parent, and ids are made in the declared type and format. The result is
written into the spec as the same ``x-understudy`` declarations a hand-written spec carries,
so ``understudy.binding`` reads both alike; whatever the spec declares itself wins. Every
other operation answers its spec's example (or a value generated from its schema).

``complete(spec)`` returns the spec with the declarations filled in, what was bound to
what, and the declarations it added (``understudy serve --explain`` prints them as YAML).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from understudy import binding, examples, specs
from understudy.examples import JSON_MEDIA, merged

PAGE = ("page", "page_number", "pageNumber")
PAGE_SIZE = ("page_size", "pageSize", "per_page", "perPage", "limit", "size", "page-size")
OFFSET = ("offset", "skip", "start")
CREATED = ("created_at", "createdAt", "created", "creationDate", "created_on", "createdOn")
UPDATED = ("updated_at", "updatedAt", "modified_at", "modifiedAt", "updated", "lastModified")
UNPAGED = 10_000  # a list that declares no paging answers every record


@dataclass
class Resource:
    """One collection found by convention."""

    name: str
    schema: str
    base: str  # /owners/{ownerId}/pets
    item: str | None  # /owners/{ownerId}/pets/{petId}
    id_param: str | None
    id_field: str
    id_style: str


@dataclass
class Inferred:
    spec: dict[str, Any]  # the spec with every declaration in place
    bound: list[tuple[str, str, str]] = field(default_factory=list)  # (METHOD path, what, how)
    added: dict[str, Any] = field(default_factory=dict)  # the declarations inference added

    def summary(self) -> list[str]:
        width = max((len(op) for op, _, _ in self.bound), default=0)
        return [
            f"{op:{width}}  {what}" + (f" ({how})" if how else "") for op, what, how in self.bound
        ]


def complete(spec: dict[str, Any]) -> Inferred:
    """``spec`` with ``x-understudy`` declarations for every operation that has none."""
    spec = copy.deepcopy(spec)
    _operation_ids(spec)
    root = spec.setdefault("x-understudy", {})
    operations = specs.operations(spec)
    result = Inferred(spec)
    if root.get("surface") and all(op.get("x-understudy") for _, _, op in operations):
        result.bound = [
            (f"{m} {p}", _describe(op["x-understudy"]), "declared") for m, p, op in operations
        ]
        return result
    resources = _resources(spec)
    collections: dict[str, Any] = root.setdefault("collections", {})
    added_collections: dict[str, Any] = {}
    by_schema: dict[str, Resource] = {}
    for res in resources:
        by_schema.setdefault(res.schema, res)
        if res.name in collections:
            continue
        decl = _collection(spec, res)
        collections[res.name] = added_collections[res.name] = decl
    listing: dict[str, Any] = {"unmatched_params": "ignore"}
    added_ops: dict[str, dict[str, Any]] = {}
    for method, path, op in operations:
        label = f"{method} {path}"
        if op.get("x-understudy"):
            result.bound.append((label, _describe(op["x-understudy"]), "declared"))
            continue
        bound, how = _bind(spec, method, path, op, resources, by_schema, listing)
        if bound is None:
            decl, how = examples.canned(spec, op)
            op["x-understudy"] = decl
            result.bound.append((label, "example", how))
            continue
        op["x-understudy"] = bound
        added_ops.setdefault(path, {})[method.lower()] = {"x-understudy": bound}
        result.bound.append((label, _describe(bound), how))
    _json_bodies(spec)
    examples.request_examples(spec)
    if not root.get("surface"):
        root["surface"] = _surface(spec, listing, added_collections)
        result.added["surface"] = root["surface"]
    if added_collections:
        result.added["collections"] = added_collections
    if added_ops:
        result.added["paths"] = added_ops
    return result


def explain(inferred: Inferred) -> str:
    """The added declarations as YAML to paste into the spec (and refine)."""
    import yaml

    if not inferred.added:
        return "# nothing inferred: every operation declares its x-understudy binding\n"
    root = {k: v for k, v in inferred.added.items() if k != "paths"}
    text = "# At the spec's root:\n" + yaml.safe_dump({"x-understudy": root}, sort_keys=False)
    if "paths" in inferred.added:
        text += "# On each operation (merge into paths):\n"
        text += yaml.safe_dump({"paths": inferred.added["paths"]}, sort_keys=False)
    return text


# ---------------------------------------------------------------- finding the resources
def _resources(spec: dict[str, Any]) -> list[Resource]:
    paths = spec.get("paths", {})
    found: list[Resource] = []
    taken: dict[str, str] = {}  # collection name -> schema
    bases = set()
    for path in paths:
        segments = path.rstrip("/").split("/")
        if len(segments) >= 2 and _is_param(segments[-1]) and not _is_param(segments[-2]):
            bases.add(("/".join(segments[:-1]), path, segments[-1][1:-1]))
    for path, item in paths.items():
        last = path.rstrip("/").split("/")[-1]
        if "post" in item and not _is_param(last) and not any(b == path for b, _, _ in bases):
            bases.add((path, None, None))
    for base, item_path, id_param in sorted(bases, key=lambda b: (b[0].count("/"), b[0])):
        schema = _resource_schema(spec, base, item_path)
        creates = "post" in paths.get(base, {})
        if schema is None or not creates:
            continue
        listed = "get" in paths.get(base, {}) and _listed_schema(spec, paths[base]["get"])
        if item_path is None and not (listed and listed[0] == schema):
            continue  # a POST that neither reads back nor lists: an action, not a collection
        name = _snake(base.rstrip("/").split("/")[-1])
        if taken.get(name, schema) != schema:
            name = _snake(schema)
        if any(r.schema == schema and r.name != name for r in found):
            name = next(r.name for r in found if r.schema == schema)
        taken[name] = schema
        fields = binding.flatten_fields(spec, spec["components"]["schemas"][schema])
        id_field = _id_field(id_param, fields)
        id_schema = _id_schema(spec, item_path, id_param, fields.get(id_field), schema)
        found.append(
            Resource(name, schema, base, item_path, id_param, id_field, _id_style(id_schema))
        )
    return found


def _resource_schema(spec: dict[str, Any], base: str, item_path: str | None) -> str | None:
    """The component schema of a resource's records: what reading one answers, else what
    creating one answers or takes."""
    paths = spec["paths"]
    candidates = []
    if item_path:
        item = paths[item_path]
        for method in ("get", "put", "patch"):
            if method in item:
                candidates.append(_response_schema(spec, item[method]))
    if "post" in paths.get(base, {}):
        post = paths[base]["post"]
        candidates += [_response_schema(spec, post), _body_schema(spec, post)]
    for node in candidates:
        name = _schema_name(spec, node, base)
        if name:
            return name
    return None


def _schema_name(spec: dict[str, Any], node: Any, base: str) -> str | None:
    """The component name of an object schema; an inline object schema is hoisted into
    ``components.schemas`` under a name made from the path."""
    if not isinstance(node, dict):
        return None
    while "$ref" not in node and len(node.get("allOf", ())) == 1 and len(node) == 1:
        node = node["allOf"][0]
    ref = node.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[-1]
        target = specs.resolve(spec, node)
        return name if _is_object(spec, target) else None
    if not _is_object(spec, node):
        return None
    name = _camel(base.rstrip("/").split("/")[-1])
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    while name in schemas and schemas[name] != node:
        name += "Record"
    schemas[name] = node
    return name


def _is_object(spec: dict[str, Any], node: dict[str, Any]) -> bool:
    node = merged(spec, specs.resolve(spec, node)) if node.get("allOf") else node
    return node.get("type", "object") == "object" and bool(node.get("properties"))


def _id_field(param: str | None, fields: dict[str, binding.Field]) -> str:
    if param and param in fields:
        return param
    if "id" in fields:
        return "id"
    norm = {_norm(f): f for f in fields}
    return norm.get(_norm(param or "")) or "id"


def _id_schema(
    spec: dict[str, Any], item_path: str | None, param: str | None, info: Any, schema: str
) -> dict[str, Any]:
    if item_path and param:
        for method, op in spec["paths"][item_path].items():
            if method not in specs.HTTP_METHODS:
                continue
            for p in _params(spec, spec["paths"][item_path], op):
                if p["in"] == "path" and p["name"] == param:
                    return specs.resolve(spec, p.get("schema", {}))
    if info is not None:
        return {"type": info.type, "format": info.format}
    return {"type": "string"}


def _id_style(schema: dict[str, Any]) -> str:
    if schema.get("type") == "integer":
        return "integer"
    if schema.get("format") == "uuid":
        return "uuid"
    if "{24}" in str(schema.get("pattern", "")):
        return "hex24"
    return "ulid"


# ---------------------------------------------------------------- binding operations
def _bind(
    spec: dict[str, Any],
    method: str,
    path: str,
    op: dict[str, Any],
    resources: list[Resource],
    by_schema: dict[str, Resource],
    listing: dict[str, Any],
) -> tuple[dict[str, Any] | None, str]:
    item = spec["paths"][path]
    params = [p["name"] for p in _params(spec, item, op) if p["in"] == "path"]
    for res in resources:
        if path == res.item and method in ("GET", "PUT", "PATCH", "DELETE"):
            kind = {"GET": "get", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}[method]
            decl: dict[str, Any] = {"kind": kind, "collection": res.name, "id": res.id_param}
            decl.update(_scope(spec, res, params, res.id_param))
            decl.update(_accept(spec, res, op))
            answer = _response_schema(spec, op) if kind == "delete" else None
            if answer is not None and _ref_name(answer) == res.schema:
                decl["returns"] = "record"
            elif answer is not None:  # another shape (Figma: {status, error}): the spec's answer
                decl["respond"] = examples.canned(spec, op)[0]["respond"]
            return decl, ""
        if path == res.base and method == "POST":
            decl = {"kind": "create", "collection": res.name}
            decl.update(_scope(spec, res, params, None))
            decl.update(_accept(spec, res, op))
            require = _must_give(spec, res, op)
            if require:
                decl["require"] = require
            return decl, ""
        if path == res.base and method == "PUT" and _body_schema_name(spec, op) == res.schema:
            decl = {"kind": "replace", "collection": res.name, "id_from": "body"}
            return decl, f"the {res.id_field} in the body names the record"
    if method == "GET":
        listed = _listed_schema(spec, op)
        if listed and listed[0] in by_schema:
            res = by_schema[listed[0]]
            decl = {"kind": "list", "collection": res.name}
            decl.update(_scope(spec, res, params, None))
            if listed[1]:
                decl["envelope"] = listed[1]
            _list_params(spec, item, op, res, listing)
            return decl, ""
    return None, ""


def _scope(
    spec: dict[str, Any], res: Resource, params: list[str], id_param: str | None
) -> dict[str, Any]:
    fields = binding.flatten_fields(spec, spec["components"]["schemas"][res.schema])
    norm = {_norm(f): f for f in fields}
    scope = {norm.get(_norm(p), p): p for p in params if p != id_param}
    return {"scope": scope} if scope else {}


def _listed_schema(
    spec: dict[str, Any], op: dict[str, Any]
) -> tuple[str, dict[str, Any] | None] | None:
    """(schema name, envelope) when the operation answers a list of one component schema:
    a bare array, or an object with one array of them (and paging fields beside it)."""
    node = _response_schema(spec, op)
    if not isinstance(node, dict):
        return None
    node = specs.resolve(spec, node)
    if node.get("allOf"):
        node = merged(spec, node)
    if node.get("type") == "array":
        name = _ref_name(node.get("items", {}))
        return (name, None) if name else None
    props = node.get("properties", {})
    arrays = {
        k: _ref_name(specs.resolve(spec, v).get("items", {}))
        for k, v in props.items()
        if specs.resolve(spec, v).get("type") == "array"
    }
    arrays = {k: v for k, v in arrays.items() if v}
    if len(arrays) != 1:
        return None
    ((data, name),) = arrays.items()
    envelope: dict[str, Any] = {"data": data}
    others = {k: specs.resolve(spec, v) for k, v in props.items() if k != data}
    nested = [k for k, v in others.items() if _is_object(spec, v)]
    if len(nested) == 1 and len(others) == 1:
        envelope["pagination"] = nested[0]
        inner = others[nested[0]]
        envelope["fields"] = _paging_fields(
            spec, merged(spec, inner) if inner.get("allOf") else inner
        )
    else:
        envelope["fields"] = _paging_fields(
            spec, {"properties": others, "required": node.get("required", [])}
        )
    return (name, envelope) if name else None


def _paging_fields(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, str]:
    """What each paging property of a list envelope holds (``understudy.mock.engine``)."""
    sources = {
        "total": "total", "total_count": "total", "totalCount": "total", "count": "count",
        "limit": "page_size", "page_size": "page_size", "pageSize": "page_size",
        "per_page": "page_size", "offset": "offset", "page": "page", "has_more": "has_more",
        "hasMore": "has_more",
    }  # fmt: skip
    fields = {}
    for name, prop in node.get("properties", {}).items():
        prop = specs.resolve(spec, prop)
        if name in sources and prop.get("type") in ("integer", "number", "boolean"):
            fields[name] = sources[name]
        elif prop.get("nullable"):
            fields[name] = "none"  # a cursor or a next link: there is no next page to name
    return fields


def _list_params(
    spec: dict[str, Any],
    item: dict[str, Any],
    op: dict[str, Any],
    res: Resource,
    listing: dict[str, Any],
) -> None:
    """Paging parameter names for the surface; filters on the fields a parameter names, marked
    on the parameter where equality would not do."""
    fields = binding.flatten_fields(spec, spec["components"]["schemas"][res.schema])
    for i, raw in enumerate(op.get("parameters", ())):
        param = specs.resolve(spec, raw)
        if param.get("in") != "query":
            continue
        name = param["name"]
        schema = specs.resolve(spec, param.get("schema", {}))
        for key, names in (("page", PAGE), ("page_size", PAGE_SIZE), ("offset", OFFSET)):
            if name in names:
                listing.setdefault(key, name)
                if key == "page_size" and "default" in schema:
                    listing.setdefault("default_page_size", schema["default"])
                break
        else:
            spec_field = fields.get(name)
            if spec_field is None or "x-understudy-filter" in param:
                continue
            marked: dict[str, Any]
            if spec_field.type in ("array", "object"):
                marked = {"ignore": True}
            elif schema.get("type") == "array":
                marked = {"field": name, "op": "in"}
            else:
                continue  # equality by name: binding reads that without a mark
            op["parameters"][i] = {**param, "x-understudy-filter": marked}


# ---------------------------------------------------------------- collections and surface
def _collection(spec: dict[str, Any], res: Resource) -> dict[str, Any]:
    schema = spec["components"]["schemas"][res.schema]
    full = merged(spec, specs.resolve(spec, schema))
    fields = binding.flatten_fields(spec, schema)
    decl: dict[str, Any] = {"schema": res.schema}
    if res.id_field != "id":
        decl["id_field"] = res.id_field
    if res.id_style != "ulid":
        decl["id_style"] = res.id_style
    created = next((f for f in CREATED if f in fields), None)
    body_required = set(_create_required(spec, res))
    defaults: dict[str, Any] = {}
    generate: list[str] = []
    if created:
        defaults[created] = "$now"
    scoped = {_norm(p) for p in re.findall(r"{([^}]+)}", res.base)}  # set from the path
    for name in full.get("required", ()):
        info = fields.get(name)
        if info is None or name in (res.id_field, created) or name in body_required:
            continue
        if _norm(name) in scoped:
            continue
        if info.nullable or info.default is not binding.NO_DEFAULT:
            continue
        generate.append(name)
    if defaults:
        decl["defaults"] = defaults
    if generate:  # values made from the schema (understudy.fixtures.instances.complete)
        decl["generate"] = generate
    hide = _write_only(spec, schema)
    if hide:
        decl["hide"] = hide
    if created:
        decl["default_sort"] = f"-{created}"
    elif res.id_style in ("integer", "ulid", "hex24"):
        decl["default_sort"] = f"-{res.id_field}"
    return decl


def _write_only(spec: dict[str, Any], schema: Any, prefix: str = "", depth: int = 0) -> list[str]:
    """Paths of the write-only properties of a record (``password``, ``creator.password``)."""
    node = specs.resolve(spec, schema)
    node = merged(spec, node) if node.get("allOf") else node
    found = []
    for name, prop in node.get("properties", {}).items():
        resolved = specs.resolve(spec, prop)
        if resolved.get("writeOnly"):
            found.append(prefix + name)
        elif depth < 4 and (resolved.get("properties") or resolved.get("allOf")):
            found += _write_only(spec, resolved, f"{prefix}{name}.", depth + 1)
    return found


def _accept(spec: dict[str, Any], res: Resource, op: dict[str, Any]) -> dict[str, Any]:
    """The record fields a write may set, where its body declares fewer than the record has
    (a field the body does not declare is not the client's to set)."""
    node = _body_schema(spec, op)
    if not isinstance(node, dict):
        return {}
    node = specs.resolve(spec, node)
    body = set((merged(spec, node) if node.get("allOf") else node).get("properties", {}))
    fields = binding.flatten_fields(spec, spec["components"]["schemas"][res.schema])
    writable = {n for n, f in fields.items() if not f.read_only}
    if not body or writable <= body:
        return {}
    return {"accept": sorted(body & writable)}


def _must_give(spec: dict[str, Any], res: Resource, op: dict[str, Any]) -> list[str]:
    """The record's required, writable, non-null fields no default fills in, when the
    create's body is optional (with a required body, validation already asks for them)."""
    if specs.resolve(spec, op.get("requestBody", {})).get("required"):
        return []
    schema = spec["components"]["schemas"][res.schema]
    full = merged(spec, specs.resolve(spec, schema))
    fields = binding.flatten_fields(spec, schema)
    return [
        name
        for name in full.get("required", ())
        if name in fields
        and not fields[name].read_only
        and not fields[name].nullable
        and fields[name].default is binding.NO_DEFAULT
        and name != res.id_field
    ]


def _create_required(spec: dict[str, Any], res: Resource) -> list[str]:
    post = spec["paths"].get(res.base, {}).get("post", {})
    node = _body_schema(spec, post)
    if not isinstance(node, dict):
        return []
    node = specs.resolve(spec, node)
    return list(
        merged(spec, node).get("required", ()) if node.get("allOf") else node.get("required", ())
    )


def _surface(
    spec: dict[str, Any], listing: dict[str, Any], collections: dict[str, Any]
) -> dict[str, Any]:
    if "page_size" not in listing:
        listing["default_page_size"] = UNPAGED
    listing.setdefault("default_page_size", 20)
    surface: dict[str, Any] = {"auth": {"type": "demo"}, "list": listing}
    names = [spec["components"]["schemas"][c["schema"]] for c in collections.values()]
    fields = [binding.flatten_fields(spec, s) for s in names]
    updated = next((f for f in UPDATED if fields and all(f in fs for fs in fields)), None)
    if updated:
        surface["stamps"] = {"create": {updated: "$now"}, "update": {updated: "$now"}}
    templates = examples.error_shapes(spec)
    surface["errors"] = {"shape": "declared", "templates": templates} if templates else "problem"
    return surface


def _json_bodies(spec: dict[str, Any]) -> None:
    """A request body offered as JSON and as something else (XML, a form) is taken as JSON:
    the mock reads JSON, and the harness then sends what the mock reads."""
    for _, _, op in specs.operations(spec):
        body = op.get("requestBody")
        if not body:
            continue
        body = op["requestBody"] = copy.deepcopy(specs.resolve(spec, body))
        content = body.get("content", {})
        if any(JSON_MEDIA.match(m) for m in content):
            body["content"] = {m: v for m, v in content.items() if JSON_MEDIA.match(m)}


# ---------------------------------------------------------------- small helpers
def _response_schema(spec: dict[str, Any], op: dict[str, Any]) -> Any:
    for status in sorted(s for s in op.get("responses", {}) if s.startswith("2")):
        content = specs.resolve(spec, op["responses"][status]).get("content", {})
        media = next((m for m in content if JSON_MEDIA.match(m)), None)
        if media and "schema" in content[media]:
            return content[media]["schema"]
    return None


def _body_schema(spec: dict[str, Any], op: dict[str, Any]) -> Any:
    content = specs.resolve(spec, op.get("requestBody", {})).get("content", {})
    media = next((m for m in content if JSON_MEDIA.match(m)), None)
    return content[media].get("schema") if media else None


def _body_schema_name(spec: dict[str, Any], op: dict[str, Any]) -> str | None:
    node = _body_schema(spec, op)
    return _ref_name(node) if isinstance(node, dict) else None


def _ref_name(node: dict[str, Any]) -> str | None:
    while "$ref" not in node and len(node.get("allOf", ())) == 1:
        node = node["allOf"][0]
    ref = node.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


def _params(spec: dict[str, Any], item: dict[str, Any], op: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        specs.resolve(spec, p) for p in (*item.get("parameters", ()), *op.get("parameters", ()))
    ]


def _operation_ids(spec: dict[str, Any]) -> None:
    """Every operation gets an ``operationId`` (bindings and routes are keyed by it)."""
    seen = {op["operationId"] for _, _, op in specs.operations(spec) if op.get("operationId")}
    for method, path, op in specs.operations(spec):
        if not op.get("operationId"):
            words = [w for w in re.split(r"[^A-Za-z0-9]+", path) if w]
            name = method.lower() + "".join(w[:1].upper() + w[1:] for w in words)
            while name in seen:
                name += "_"
            seen.add(name)
            op["operationId"] = name


def _describe(decl: dict[str, Any]) -> str:
    kind = decl.get("kind", "?")
    if decl.get("handler") == "examples":
        return "example"
    target = decl.get("collection") or decl.get("handler") or ""
    return f"{kind} {target}".strip()


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _snake(text: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "records"


def _camel(text: str) -> str:
    return "".join(w.title() for w in _snake(text).split("_")) or "Record"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())

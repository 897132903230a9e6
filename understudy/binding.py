"""Read the mock's declarations (``x-understudy``) out of a bundled spec.

The vocabulary, all of it in the specs:

* root ``x-understudy.surface`` — how every record of the surface is scoped, stamped,
  deleted and listed, and how callers authenticate;
* root ``x-understudy.collections.<name>`` — one stored resource: its schema, id prefix,
  search fields, defaults, rules (``order``, ``less``, ``together``, ``refers``) and
  lifecycle (``field``, ``initial``, ``transitions``);
* ``x-understudy`` on an operation — the generic behaviour it binds to (``kind``: list, get,
  create, replace, patch, delete, action, upsert, computed) and its arguments.

Values may name variables: ``$now``, ``$caller``, ``$tenant``, ``$app``.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from understudy import specs
from understudy.errors import BindingError

KINDS = frozenset(
    {"list", "get", "create", "replace", "patch", "delete", "action", "upsert", "computed"}
)
NO_DEFAULT = object()


@dataclass(frozen=True)
class Field:
    name: str
    type: str | None
    format: str | None
    nullable: bool
    read_only: bool
    default: Any = NO_DEFAULT


@dataclass(frozen=True)
class Transition:
    to: str
    sources: frozenset[str]
    action: str | None = None
    stamp: dict[str, Any] = field(default_factory=dict)
    forbid_self: str | None = None


@dataclass(frozen=True)
class Lifecycle:
    field: str
    initial: str
    transitions: tuple[Transition, ...]

    def for_action(self, action: str) -> Transition | None:
        return next((t for t in self.transitions if t.action == action), None)

    def route(self, start: str, goal: str | None) -> list[Transition]:
        """The shortest walk of transitions from ``start`` to ``goal`` (breadth first);
        empty when already there or unreachable."""
        if goal is None or goal == start:
            return []
        seen = {start}
        queue: deque[tuple[str, list[Transition]]] = deque([(start, [])])
        while queue:
            state, path = queue.popleft()
            for move in self.transitions:
                if state in move.sources and move.to not in seen:
                    if move.to == goal:
                        return [*path, move]
                    seen.add(move.to)
                    queue.append((move.to, [*path, move]))
        return []

    def for_move(self, source: str, target: str) -> Transition | None:
        """The transition a PATCH of the status field may make, if any."""
        return next(
            (t for t in self.transitions if t.to == target and source in t.sources),
            None,
        )


@dataclass(frozen=True)
class Rule:
    kind: str  # order | less | together | refers
    fields: tuple[str, ...]
    target: str | None = None  # the collection a `refers` rule points into


@dataclass(frozen=True)
class Collection:
    name: str
    schema: str
    id_prefix: str | None
    fields: dict[str, Field]
    search: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    lifecycle: Lifecycle | None = None
    id_field: str = "id"
    id_style: str = "ulid"
    derive: tuple[str, ...] = ()  # per-surface functions that compute fields (mock.engine)
    default_sort: str | None = None
    # write-only properties (``password``, ``creator.password``): taken, never stored or answered
    hide: tuple[str, ...] = ()

    @property
    def writable(self) -> frozenset[str]:
        return frozenset(n for n, f in self.fields.items() if not f.read_only)


@dataclass(frozen=True)
class Filter:
    param: str
    field: str
    op: str  # eq | gte | lte | contains | present | in


@dataclass(frozen=True)
class Paging:
    """Where an operation's page number and size come from: the surface's ``list``
    declaration, refined by the operation's own ``paging`` (``{in: body, at: detailedFilter,
    size: pageSize}``)."""

    page: str = "page"
    size: str = "page_size"
    default_size: int = 50
    first: int = 1  # the number of the first page (Clockify's entity-change feeds count from 0)
    source: str = "query"  # query: the parameters; body: the request body
    at: str | None = None  # the body object that holds them (``detailedFilter``)

    @classmethod
    def read(cls, listing: dict[str, Any], decl: Any, where: str) -> Paging:
        base = cls(
            page=listing.get("page", "page"),
            size=listing.get("page_size", "page_size"),
            default_size=int(listing.get("default_page_size", 50)),
        )
        if not decl:
            return base
        unknown = set(decl) - {"page", "size", "default_size", "first", "in", "at"}
        if unknown or decl.get("in", "query") not in ("query", "body"):
            raise BindingError(f"{where}: paging takes page, size, default_size, first, in, at")
        return cls(
            page=decl.get("page", base.page),
            size=decl.get("size", base.size),
            default_size=int(decl.get("default_size", base.default_size)),
            first=int(decl.get("first", 1)),
            source=decl.get("in", "query"),
            at=decl.get("at"),
        )


@dataclass(frozen=True)
class RateLimit:
    """``surface.rate_limit``: at most ``limit`` requests in any ``window`` seconds per
    credential (and per value of the ``per`` path parameter, when the path has it)."""

    limit: int
    window: float
    credentials: tuple[str, ...]  # the header names it counts; empty: every credential
    per: str | None = None
    message: str = "Too many requests"

    def applies_to(self, header: str) -> bool:
        return not self.credentials or header.lower() in (c.lower() for c in self.credentials)


@dataclass(frozen=True)
class Binding:
    """One operation's binding to a generic behaviour."""

    operation_id: str
    method: str
    path: str
    kind: str
    collection: Collection | None
    success: int
    id_param: str | None = None
    scope_params: dict[str, str] = field(default_factory=dict)  # record field -> path parameter
    action: str | None = None
    key: tuple[str, ...] = ()
    handler: str | None = None
    filters: tuple[Filter, ...] = ()
    paging: Paging = Paging()
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorShape:
    """How a surface's errors look (``errors`` on the surface declaration)."""

    shape: str = "problem"  # problem: RFC 9457 problem+json; message: {"message", "code"} JSON
    codes: dict[int, int] = field(default_factory=dict)  # status → the body's code, if not it
    # shape declared: per status (or "default") {media, body} with $status/$detail/$title in
    # the body, read off a user's spec by understudy.infer; problem+json for other statuses
    templates: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, decl: Any) -> ErrorShape:
        """``errors: problem`` or ``errors: {shape: message, codes: {401: 1000}}``."""
        decl = {"shape": decl} if isinstance(decl, str) else dict(decl or {})
        shape = decl.get("shape", "problem")
        if shape not in ("problem", "message", "declared"):
            raise BindingError(f"errors: shape {shape!r} is not problem, message or declared")
        codes = {int(k): int(v) for k, v in (decl.get("codes") or {}).items()}
        return cls(shape, codes, {str(k): v for k, v in (decl.get("templates") or {}).items()})


@dataclass(frozen=True)
class Surface:
    name: str
    auth: dict[str, Any]
    scope: dict[str, Any]
    app_scope: str | None
    create_stamps: dict[str, Any]
    update_stamps: dict[str, Any]
    soft_delete: dict[str, Any] | None
    listing: dict[str, Any]
    errors: ErrorShape
    collections: dict[str, Collection]
    authorize: tuple[str, ...]  # per-surface checks run before every operation (mock.engine)
    # statuses with which a rule the schema cannot express refuses a schema-valid request
    refusals: tuple[int, ...]
    # collections whose creations, updates and deletions the engine remembers (mock.store)
    audit: tuple[str, ...]
    observe: tuple[str, ...]  # reactions to every successful answer (mock.engine observers)
    bindings: dict[str, Binding]  # by operationId
    rate_limit: RateLimit | None = None
    # what the real service tolerates in a request that its schema does not allow
    leniency: dict[str, str] = field(default_factory=dict)


def read_surface(name: str, spec: dict[str, Any]) -> Surface:
    root = spec.get("x-understudy") or {}
    surface = root.get("surface")
    if not surface:
        raise BindingError(f"{name}: no x-understudy.surface at the spec root")
    collections = {
        cname: _collection(spec, cname, decl)
        for cname, decl in (root.get("collections") or {}).items()
    }
    listing = surface.get("list", {})
    reserved = {
        listing.get(k)
        for k in (
            "page",
            "page_size",
            "search",
            "sort",
            "sort_column",
            "sort_order",
            "include_deleted",
        )
    }
    reserved.discard(None)
    bindings = {}
    for method, path, op in specs.operations(spec):
        decl = op.get("x-understudy")
        where = f"{name}: {method} {path}"
        if not decl:
            raise BindingError(f"{where}: no x-understudy binding")
        bindings[op["operationId"]] = _binding(
            spec, method, path, op, decl, collections, reserved, listing, where
        )
    stamps = surface.get("stamps", {})
    return Surface(
        name=name,
        auth=surface.get("auth", {}),
        scope=surface.get("scope", {}),
        app_scope=surface.get("app_scope"),
        create_stamps=stamps.get("create", {}),
        update_stamps=stamps.get("update", {}),
        soft_delete=surface.get("soft_delete"),
        listing=listing,
        errors=ErrorShape.read(surface.get("errors")),
        collections=collections,
        authorize=tuple(surface.get("authorize", ())),
        refusals=tuple(surface.get("refusals", (409, 422))),
        audit=tuple(surface.get("audit", ())),
        observe=tuple(surface.get("observe", ())),
        leniency=_leniency(name, surface.get("leniency") or {}),
        bindings=bindings,
        rate_limit=_rate_limit(name, spec, surface.get("rate_limit")),
    )


def _rate_limit(name: str, spec: dict[str, Any], decl: Any) -> RateLimit | None:
    """``credentials`` names security schemes; the rule counts the headers they are sent in."""
    if decl is None:
        return None
    schemes = spec.get("components", {}).get("securitySchemes", {})
    unknown = [c for c in decl.get("credentials", ()) if c not in schemes]
    if unknown:
        raise BindingError(f"{name}: rate_limit names unknown security schemes {unknown}")
    headers = tuple(
        "Authorization" if schemes[c].get("type") == "http" else schemes[c]["name"]
        for c in decl.get("credentials", ())
    )
    try:
        rule = RateLimit(
            limit=int(decl["limit"]),
            window=float(decl.get("window", 1)),
            credentials=headers,
            per=decl.get("per"),
            message=str(decl.get("message", "Too many requests")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BindingError(f"{name}: rate_limit needs a number `limit`: {exc}") from None
    if rule.limit < 1 or rule.window <= 0:
        raise BindingError(f"{name}: rate_limit limit and window must be positive")
    return rule


def _collection(spec: dict[str, Any], name: str, decl: dict[str, Any]) -> Collection:
    schema_name = decl["schema"]
    try:
        schema = spec["components"]["schemas"][schema_name]
    except KeyError:
        raise BindingError(f"collection {name}: no schema {schema_name}") from None
    fields = flatten_fields(spec, schema)
    rules = tuple(_rule(r) for r in decl.get("rules", ()))
    for rule in rules:
        missing = [f for f in rule.fields if f not in fields]
        if missing:
            raise BindingError(f"collection {name}: rule on unknown fields {missing}")
    lifecycle = None
    if "lifecycle" in decl:
        lc = decl["lifecycle"]
        lifecycle = Lifecycle(
            field=lc["field"],
            initial=lc["initial"],
            transitions=tuple(
                Transition(
                    to=t["to"],
                    sources=frozenset(t["from"]),
                    action=t.get("action"),
                    stamp=t.get("stamp", {}),
                    forbid_self=t.get("forbid_self"),
                )
                for t in lc["transitions"]
            ),
        )
    return Collection(
        name=name,
        schema=schema_name,
        id_prefix=decl.get("id_prefix"),
        fields=fields,
        search=tuple(decl.get("search", ())),
        defaults=decl.get("defaults", {}),
        rules=rules,
        lifecycle=lifecycle,
        id_field=decl.get("id_field", "id"),
        id_style=decl.get("id_style", "ulid"),
        derive=tuple(decl.get("derive", ())),
        default_sort=decl.get("default_sort"),
        hide=tuple(decl.get("hide", ())),
    )


def _rule(decl: dict[str, Any]) -> Rule:
    if "refers" in decl:
        return Rule("refers", (decl["refers"],), decl["to"])
    ((kind, fields),) = ((k, v) for k, v in decl.items())
    if kind not in ("order", "less", "together"):
        raise BindingError(f"unknown rule {decl!r}")
    return Rule(kind, tuple(fields))


def flatten_fields(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Field]:
    """The properties of an object schema, through ``allOf`` and ``$ref``s."""
    schema = specs.resolve(spec, schema)
    fields: dict[str, Field] = {}
    for part in schema.get("allOf", ()):
        fields.update(flatten_fields(spec, part))
    for name, prop in schema.get("properties", {}).items():
        fields[name] = _field(spec, name, prop)
    return fields


def _field(spec: dict[str, Any], name: str, prop: dict[str, Any]) -> Field:
    read_only = bool(prop.get("readOnly"))
    nullable = bool(prop.get("nullable"))
    default = prop.get("default", NO_DEFAULT)
    node = specs.resolve(spec, prop)
    while "type" not in node and len(node.get("allOf", ())) == 1:
        read_only = read_only or bool(node.get("readOnly"))
        nullable = nullable or bool(node.get("nullable"))
        node = specs.resolve(spec, node["allOf"][0])
    read_only = read_only or bool(node.get("readOnly"))
    nullable = nullable or bool(node.get("nullable"))
    if default is NO_DEFAULT:
        default = node.get("default", NO_DEFAULT)
    return Field(name, node.get("type"), node.get("format"), nullable, read_only, default)


def _binding(
    spec: dict[str, Any],
    method: str,
    path: str,
    op: dict[str, Any],
    decl: dict[str, Any],
    collections: dict[str, Collection],
    reserved: set[Any],
    listing: dict[str, Any],
    where: str,
) -> Binding:
    kind = decl.get("kind")
    if kind not in KINDS:
        raise BindingError(f"{where}: kind {kind!r} is not one of {sorted(KINDS)}")
    collection = None
    if "collection" in decl:
        try:
            collection = collections[decl["collection"]]
        except KeyError:
            raise BindingError(f"{where}: unknown collection {decl['collection']!r}") from None
    elif kind != "computed":
        raise BindingError(f"{where}: kind {kind} needs a collection")
    if kind == "computed" and not decl.get("handler"):
        raise BindingError(f"{where}: kind computed needs a handler")
    if kind == "action" and not (decl.get("action") or decl.get("handler") or decl.get("into")):
        raise BindingError(f"{where}: kind action needs an action, a handler or into")
    path_params = re.findall(r"{([^}]+)}", path)
    scope = decl.get("scope", ())
    scope_params = dict(scope) if isinstance(scope, dict) else {p: p for p in scope}
    missing = [p for p in scope_params.values() if p not in path_params]
    if missing:
        raise BindingError(f"{where}: scope names no path parameter {missing}")
    id_param = decl.get("id")
    if id_param is None and kind in ("get", "replace", "patch", "delete", "action"):
        candidates = [p for p in path_params if p not in scope_params.values()]
        id_param = candidates[-1] if candidates else None
    action = decl.get("action")
    if (
        kind == "action"
        and collection
        and action
        and not (collection.lifecycle and collection.lifecycle.for_action(action))
    ):
        raise BindingError(f"{where}: no lifecycle transition for action {decl['action']!r}")
    success = min(
        (int(s) for s in op["responses"] if s.isdigit() and s.startswith("2")), default=200
    )
    lenient = listing.get("unmatched_params") == "ignore"
    filters = _filters(spec, op, collection, reserved, lenient, where) if kind == "list" else ()
    known = {"kind", "collection", "id", "scope", "action", "key", "handler", "paging"}
    return Binding(
        operation_id=op["operationId"],
        method=method,
        path=path,
        kind=kind,
        collection=collection,
        success=success,
        id_param=id_param,
        scope_params=scope_params,
        action=decl.get("action"),
        key=tuple(decl.get("key", ())),
        handler=decl.get("handler"),
        filters=filters,
        paging=Paging.read(listing, decl.get("paging"), where),
        options={k: v for k, v in decl.items() if k not in known},
    )


def _filters(
    spec: dict[str, Any],
    op: dict[str, Any],
    collection: Collection | None,
    reserved: set[Any],
    lenient: bool,
    where: str,
) -> tuple[Filter, ...]:
    """Every query parameter of a list operation is a filter on a field: by declaration
    (``x-understudy-filter: {field, op}`` with op eq, gte, lte, contains or ``present: true``;
    ``{ignore: true}`` for a parameter that selects nothing), by name (equality), or
    ``<field>_from``/``_to`` (a range). A surface whose list declares
    ``unmatched_params: ignore`` accepts other parameters without applying them."""
    if collection is None:
        return ()
    found = []
    for param in op.get("parameters", ()):
        param = specs.resolve(spec, param)
        name = param["name"]
        if param["in"] != "query" or name in reserved:
            continue
        decl = param.get("x-understudy-filter")
        if decl and decl.get("ignore"):
            continue
        if decl:
            op_name = "present" if decl.get("present") else decl.get("op", "eq")
            found.append(Filter(name, decl["field"], op_name))
        elif name in collection.fields:
            found.append(Filter(name, name, "eq"))
        elif name.endswith(("_from", "_to")) and name.rsplit("_", 1)[0] in collection.fields:
            base, suffix = name.rsplit("_", 1)
            found.append(Filter(name, base, "gte" if suffix == "from" else "lte"))
        elif not lenient:
            raise BindingError(f"{where}: query parameter {name!r} filters no field")
    return tuple(found)


# Each leniency a surface may declare, and the one value that turns it on:
# unknown_query: ignore  — query parameters the operation does not declare are ignored
# null_optional: absent  — null in an optional, non-nullable body field means "not sent"
# textual_scalars: coerce — "true"/"false" and numeric strings stand for the boolean or
#                          number a body field declares (Jackson's default coercion)
LENIENCIES = {"unknown_query": "ignore", "null_optional": "absent", "textual_scalars": "coerce"}


def _leniency(name: str, decl: dict[str, Any]) -> dict[str, str]:
    for key, value in decl.items():
        if LENIENCIES.get(key) != value:
            known = ", ".join(f"{k}: {v}" for k, v in LENIENCIES.items())
            raise BindingError(f"{name}: unknown leniency {key}: {value} (known: {known})")
    return dict(decl)

"""Example values and error bodies read off a spec, for bindings inferred by convention
(``understudy.infer``): the answer of an operation no collection backs, an example request
body where the spec has none (built from its properties' own examples: the harness must not
depend on the fixtures' generator), and the error bodies the spec declares, as templates.
"""

from __future__ import annotations

import re
from typing import Any

from understudy import specs

JSON_MEDIA = re.compile(r"^application/([\w.+-]*\+)?json")


def merged(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A schema with its ``allOf`` parts folded in (properties and required merged)."""
    out = {k: v for k, v in node.items() if k != "allOf"}
    props = dict(out.get("properties", {}))
    required = list(out.get("required", ()))
    for part in node.get("allOf", ()):
        part = specs.resolve(spec, part)
        if part.get("allOf"):
            part = merged(spec, part)
        for name, prop in part.get("properties", {}).items():
            # a property named by several parts must satisfy all of them (a trait's
            # ``type: string`` and a node's ``type: {enum: [CANVAS]}``): folded, not replaced
            props[name] = merged(spec, {"allOf": [props[name], prop]}) if name in props else prop
        required += part.get("required", [])
        for key, value in part.items():
            if key not in ("properties", "required"):
                out.setdefault(key, value)
    if props:
        out["properties"] = props
        out.setdefault("type", "object")
    if required:
        out["required"] = list(dict.fromkeys(required))
    return out


def error_shapes(spec: dict[str, Any]) -> dict[str, Any]:
    """Per status, the error body the spec declares, as a template the mock fills
    (``$status``, ``$detail``, ``$title``); problem+json where it declares none. Where
    operations declare different bodies for one status, the template carries the fields of
    all of them (each shape then validates: none forbids the others' fields here)."""
    shapes: dict[str, dict[str, Any]] = {}
    for _, _, op in specs.operations(spec):
        for status, response in op.get("responses", {}).items():
            if not (status == "default" or status.startswith(("4", "5"))):
                continue
            content = specs.resolve(spec, response).get("content", {})
            media = next((m for m in content if JSON_MEDIA.match(m)), None)
            if media is None or "schema" not in content[media]:
                continue
            body = template(spec, content[media]["schema"])
            if body is not None:
                shape = shapes.setdefault(status, {"media": media, "body": {}})
                shape["body"].update({k: v for k, v in body.items() if k not in shape["body"]})
    return shapes


def template(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    node = specs.resolve(spec, schema)
    node = merged(spec, node) if node.get("allOf") else node
    props = node.get("properties")
    if node.get("type", "object") != "object" or not props:
        return None
    body: dict[str, Any] = {}
    for name, prop in props.items():
        prop = specs.resolve(spec, prop)
        kind = prop.get("type")
        lowered = name.lower()
        if kind in ("integer", "number") and lowered in (
            "status",
            "code",
            "status_code",
            "statuscode",
        ):
            body[name] = "$status"
        elif kind == "string" and lowered in (
            "message",
            "err",
            "error",
            "detail",
            "msg",
            "error_description",
            "description",
        ):
            body[name] = "$detail"
        elif kind == "string" and lowered == "title":
            body[name] = "$title"
        elif kind == "string" and lowered == "type" and not prop.get("enum"):
            body[name] = "about:blank"
        elif prop.get("enum"):
            body[name] = prop["enum"][0]
        elif name in node.get("required", ()):
            body[name] = {"boolean": True, "integer": 0, "number": 0, "array": []}.get(
                kind or "", {} if kind == "object" else "error"
            )
    return body


def canned(spec: dict[str, Any], op: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The declaration of an operation answered from its spec: the lowest success status, its
    example (or the first of its examples), else a value generated from its schema."""
    responses = op.get("responses", {})
    ok = sorted(s for s in responses if s.startswith("2")) or sorted(
        s for s in responses if s.startswith("3")
    )
    status = int(ok[0]) if ok else 200
    response = specs.resolve(spec, responses.get(str(status), {})) if ok else {}
    content = response.get("content", {})
    reply: dict[str, Any] = {"status": status}
    how = "no body"
    if content:
        media = next((m for m in content if JSON_MEDIA.match(m)), next(iter(content)))
        entry = content[media]
        reply["media"] = media
        if "example" in entry:
            reply["body"], how = entry["example"], "its example"
        elif entry.get("examples"):
            first = specs.resolve(spec, next(iter(entry["examples"].values())))
            reply["body"], how = first.get("value"), "its first example"
        elif "schema" in entry:  # made by understudy.fixtures.instances.complete
            reply["schema"] = entry["schema"]
            how = "generated from its schema"
    return {"kind": "computed", "handler": "examples", "respond": reply}, how


def request_examples(spec: dict[str, Any]) -> None:
    """A JSON request body without an example gets one made of its properties' examples
    (defaults, first enum values, placeholders by format), so that the harness's semantic
    checks, which send the spec's examples, can write records."""
    for _, _, op in specs.operations(spec):
        body = specs.resolve(spec, op.get("requestBody", {}))
        for media, entry in body.get("content", {}).items():
            if not JSON_MEDIA.match(media) or "schema" not in entry:
                continue
            if {"example", "examples"} & set(entry) or "example" in specs.resolve(
                spec, entry["schema"]
            ):
                continue
            value = example(spec, entry["schema"])
            if isinstance(value, dict):
                entry["example"] = value


PLACEHOLDERS = {
    "date-time": "2026-01-05T09:00:00Z",
    "date": "2026-01-05",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "email": "ada@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "ipv4": "192.0.2.1",
}


def example(spec: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """A request value from the spec's own examples where it has them (no generator: the
    harness must not depend on the fixtures); read-only properties left out."""
    node = specs.resolve(spec, schema)
    for key in ("example", "default"):
        if key in node:
            return node[key]
    if node.get("enum"):
        return node["enum"][0]
    options = node.get("oneOf") or node.get("anyOf")
    if options and "properties" not in node:
        return example(spec, options[0], depth)
    if node.get("allOf"):
        node = merged(spec, node)
        if node.get("enum") or "example" in node:
            return node["enum"][0] if node.get("enum") else node["example"]
    kind = node.get("type") or ("object" if "properties" in node else None)
    if depth > 5:
        return None
    if kind == "object":
        return {
            k: example(spec, p, depth + 1)
            for k, p in node.get("properties", {}).items()
            if not specs.resolve(spec, p).get("readOnly")
        }
    if kind == "array":
        return [example(spec, node.get("items", {}), depth + 1)]
    if kind in ("integer", "number"):
        low = node.get("minimum", 1)
        return max(low, 1) if node.get("maximum", 1) >= 1 else low
    if kind == "boolean":
        return True
    if kind == "string":
        text = PLACEHOLDERS.get(node.get("format", ""), "example")
        return text.ljust(node.get("minLength", 0), "x")[: node.get("maxLength", 10_000)]
    return None

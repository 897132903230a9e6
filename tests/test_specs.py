"""The spec quality suite: every hand-written spec is valid, loadable and self-consistent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from understudy import specs

MOUNTS = [m for mounts in specs.surfaces().values() for m in mounts]
MOUNT_IDS = [m.name for m in MOUNTS]
ERROR_STATUSES = {"400", "401", "403", "404", "409", "413", "415", "422", "429"}


@pytest.fixture(scope="module", params=MOUNTS, ids=MOUNT_IDS)
def bundled(request: pytest.FixtureRequest) -> dict[str, Any]:
    return specs.bundle(request.param)


@pytest.mark.parametrize(
    "path", specs.spec_files(), ids=lambda p: str(p.relative_to(specs.SPEC_DIR))
)
def test_each_file_is_valid_openapi_303(path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    assert raw["openapi"] == "3.0.3"
    validate(raw, base_uri=path.as_uri())


def test_bundle_is_valid_and_self_contained(bundled: dict[str, Any]) -> None:
    validate(bundled)
    refs = list(_walk_refs(bundled))
    assert refs, "a bundle with no references is suspicious"
    assert all(ref.startswith("#/") for ref in refs)


def test_loads_in_connexion(bundled: dict[str, Any]) -> None:
    import connexion
    from connexion.resolver import Resolution, Resolver

    class Stub(Resolver):
        def resolve(self, operation: Any) -> Resolution:
            name = f"{operation.method}:{operation.path}"
            return Resolution(lambda **_: ({}, 200), name)

    app = connexion.FlaskApp(__name__)
    app.add_api(bundled, base_path="/spec-check", resolver=Stub())
    # connexion builds its middleware stack lazily: a request makes it parse every operation.
    response = app.test_client().get("/spec-check/openapi.json")
    assert response.status_code == 200
    assert response.json()["paths"].keys() == bundled["paths"].keys()


def test_loads_in_schemathesis(bundled: dict[str, Any]) -> None:
    import schemathesis

    schema = schemathesis.openapi.from_dict(bundled)
    loaded = [result.ok() for result in schema.get_all_operations()]
    assert len(loaded) == len(specs.operations(bundled))


def test_parameters_and_form_fields_declare_a_type(bundled: dict[str, Any]) -> None:
    # connexion parses query strings and form bodies by the schema's own `type` (no allOf
    # resolution): a schema without one answers 500 (KeyError: 'type'), measured.
    untyped = []
    for method, path, op in specs.operations(bundled):
        params = [*bundled["paths"][path].get("parameters", []), *op.get("parameters", [])]
        for param in (specs.resolve(bundled, p) for p in params):
            if "type" not in specs.resolve(bundled, param.get("schema", {})):
                untyped.append(f"{method} {path} parameter {param['name']}")
        body = specs.resolve(bundled, op.get("requestBody", {}))
        for media, content in body.get("content", {}).items():
            if media in ("multipart/form-data", "application/x-www-form-urlencoded"):
                schema = specs.resolve(bundled, content["schema"])
                for name, prop in schema.get("properties", {}).items():
                    if "type" not in specs.resolve(bundled, prop):
                        untyped.append(f"{method} {path} form field {name}")
    assert not untyped


def test_every_operation_is_documented(bundled: dict[str, Any]) -> None:
    problems: list[str] = []
    op_ids: set[str] = set()
    for method, path, op in specs.operations(bundled):
        where = f"{method} {path}"
        for key in ("operationId", "summary", "tags", "responses"):
            if not op.get(key):
                problems.append(f"{where}: no {key}")
        if op.get("operationId") in op_ids:
            problems.append(f"{where}: duplicate operationId {op['operationId']}")
        op_ids.add(op.get("operationId"))
        if not op.get("security", bundled.get("security")):
            problems.append(f"{where}: no security")
        statuses = set(op.get("responses", {}))
        if not statuses & {"200", "201", "202", "204"}:
            problems.append(f"{where}: no success response")
        if "401" not in statuses:
            problems.append(f"{where}: 401 not documented")
        if (op.get("parameters") or op.get("requestBody") or "{" in path) and "400" not in statuses:
            problems.append(f"{where}: 400 not documented")
        for status in statuses & ERROR_STATUSES:
            response = specs.resolve(bundled, op["responses"][status])
            if not any("schema" in media for media in response.get("content", {}).values()):
                problems.append(f"{where}: {status} has no schema")
        if not statuses & ERROR_STATUSES:
            problems.append(f"{where}: no error responses")
    assert not problems, "\n".join(problems)


def test_every_example_validates(bundled: dict[str, Any]) -> None:
    examples = list(_examples(bundled, bundled, ""))
    assert len(examples) > 20
    failures = []
    for pointer, schema_pointer, value in examples:
        errors = list(specs.validator(bundled, schema_pointer).iter_errors(value))
        failures += [f"{pointer}: {e.message}" for e in errors]
    assert not failures, "\n".join(failures)


def _walk_refs(node: Any):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _walk_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_refs(value)


def _examples(spec: dict[str, Any], node: Any, pointer: str):
    """``(where, schema pointer, example)`` for every example in the spec.

    Examples sit on schemas (``example``), and beside a schema on parameters and media types
    (``example`` or ``examples: {name: {value}}``).
    """
    if isinstance(node, dict):
        is_schema_holder = "schema" in node and isinstance(node["schema"], dict)
        if is_schema_holder:
            target = pointer + "/schema"
            if "example" in node:
                yield pointer + "/example", target, node["example"]
            for name, example in (node.get("examples") or {}).items():
                example = specs.resolve(spec, example)
                if "value" in example:
                    yield f"{pointer}/examples/{name}", target, example["value"]
        elif "example" in node and _looks_like_schema(node):
            yield pointer + "/example", pointer, node["example"]
        for key, value in node.items():
            if key in ("example", "examples"):
                continue
            yield from _examples(spec, value, f"{pointer}/{_escape(key)}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _examples(spec, value, f"{pointer}/{i}")


def _looks_like_schema(node: dict[str, Any]) -> bool:
    keys = {"type", "properties", "allOf", "anyOf", "oneOf", "items", "enum", "pattern", "format"}
    return bool(keys & node.keys()) or "nullable" in node


def _escape(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")

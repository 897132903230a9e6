"""Answers shaped as the seed document shows them: every response sample of
clockify-api-v1.txt validates against the spec's schema for its operation and status, and
the mock's answer to each documented read carries the sample's keys, spelt the same way."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from tests.mock.surfaces.clockify.kit import Kit, _pointer
from tests.mock.surfaces.clockify.samples import (
    Sample,
    comparable,
    key_differences,
    samples,
    seed_document,
)
from understudy import specs

DOCUMENT = seed_document()
pytestmark = pytest.mark.skipif(DOCUMENT is None, reason="../shared/seeds is not beside the repo")
SAMPLES = samples(DOCUMENT.read_text()) if DOCUMENT else []

# What the renderer prints in place of a value: placeholders such as "string", ids that are
# not hex ("21s687e2…"), "60000" for a duration, and collapsed objects without their
# required fields. The schema's types, names and nesting are still checked.
PLACEHOLDER_CHECKS = {"pattern", "format", "required", "minLength", "maxLength"}
# Where the document contradicts itself, the spec follows the majority (the decision named)
CONTRADICTIONS = {
    ("ccEmails", "array"): "DECISIONS-approvals-expenses.md: an array, as the update request says",
    ("automaticTimeEntryCreation", "boolean"): "DECISIONS-approvals-expenses.md: holiday samples",
}


@cache
def kit() -> Kit:
    return Kit()


def _operation(sample: Sample) -> tuple[str, dict[str, Any]]:
    spec = kit().spec
    op = spec["paths"].get(sample.path, {}).get(sample.method.lower())
    assert op, f"{sample.label}: no such operation in the spec"
    return op["operationId"], op


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.label)
def test_the_sample_validates_against_the_spec(sample: Sample) -> None:
    operation_id, op = _operation(sample)
    assert sample.status in op["responses"], f"{sample.label}: status not in the spec"
    bound = kit().surface.bindings[operation_id]
    validator = specs.validator(kit().spec, _pointer(kit().spec, bound, int(sample.status)))
    problems = []
    for error in validator.iter_errors(comparable(sample.value)):
        if error.validator in PLACEHOLDER_CHECKS or error.instance == "string":
            continue
        field = next((str(p) for p in reversed(error.absolute_path) if isinstance(p, str)), "")
        if (field, error.validator_value) in CONTRADICTIONS:
            continue
        path = ".".join(map(str, error.absolute_path))
        problems.append(f"{path}: {error.message}")
    assert not problems, f"{sample.label}: {problems[:5]}"


def test_the_samples_cover_the_document() -> None:
    assert len(SAMPLES) == 130  # as the document has "Response samples"
    assert DOCUMENT is not None
    assert DOCUMENT.read_text().count("Response samples") == len(SAMPLES)


READS = [s for s in SAMPLES if s.method == "GET"]
# a path parameter names a record of this collection
PARAMETERS = {
    "projectId": "projects",
    "taskId": "tasks",
    "expenseId": "expenses",
    "invoiceId": "invoices",
    "webhookId": "webhooks",
    "templateId": "templates",
    "policyId": "time_off_policies",
    "addonId": "webhooks",
}


def _params(sample: Sample, op: dict[str, Any], collection: str | None) -> dict[str, Any]:
    """Path parameters naming records of the demo workspace, required query parameters from
    the spec's examples."""
    k = kit()
    params: dict[str, Any] = {"workspaceId": k.workspace, "userId": k.user}
    names = [p for p in _path_names(sample.path) if p not in params]
    if names:
        last = names[-1]
        target = PARAMETERS.get(last, collection)
        assert target, f"{sample.label}: which collection does {last} name?"
        record = next(
            r for r in k.records(target) if r.get("workspaceId", k.workspace) == k.workspace
        )
        params[last] = record.get("addonId") if last == "addonId" else record["id"]
        for name in names[:-1]:  # parents: the record's own reference
            params[name] = record[name]
    for parameter in op.get("parameters", ()):
        parameter = specs.resolve(k.spec, parameter)
        if parameter["in"] == "query" and parameter.get("required"):
            schema = specs.resolve(k.spec, parameter.get("schema", {}))
            params[parameter["name"]] = parameter.get("example", schema.get("example"))
    for name in set(params) & {"start", "end"}:  # the demo world's weeks
        params[name] = WINDOW[name]
    if "assigned-to" in params:
        params["assigned-to"] = k.user
    if sample.path.endswith("/entities/created"):  # the demo's entries, as time entries
        params.update(WINDOW, type=["TIME_ENTRY"])
    return params


WINDOW = {"start": "2025-12-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}


def _write_an_entry() -> None:
    k = kit()
    entry = next(e for e in k.records("time_entries", userId=k.user) if e["timeInterval"]["end"])
    body = {
        "start": entry["timeInterval"]["start"],
        "end": entry["timeInterval"]["end"],
        "description": "Sample comparison",
        "projectId": entry.get("projectId"),
    }
    assert k.call("updateTimeEntry", {"id": entry["id"]}, body).status == 200


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


@pytest.mark.parametrize("sample", READS, ids=lambda s: s.label)
def test_the_mock_answers_with_the_samples_keys(sample: Sample) -> None:
    operation_id, op = _operation(sample)
    bound = kit().surface.bindings[operation_id]
    collection = bound.collection.name if bound.collection else None
    if sample.path.endswith(("/entities/created", "/entities/updated")):
        _write_an_entry()  # the feeds show the changes made since the mock started
    reply = kit().call(operation_id, _params(sample, op, collection))
    assert reply.status == int(sample.status), f"{sample.label}: {reply.status} {reply.body}"
    differences = key_differences(comparable(sample.value), reply.body)
    assert not differences, f"{sample.label}: {differences[:8]}"

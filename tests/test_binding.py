"""Reading x-understudy: a spec that binds badly is refused at start-up, with the place named."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from understudy import binding, specs

EDM = specs.bundle(specs.mount("edm"))
ENTRIES = "/api/v1/work/time-entries"


def broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    spec = copy.deepcopy(EDM)
    change(spec)
    return spec


def test_the_edm_spec_binds_every_operation() -> None:
    surface = binding.read_surface("edm", EDM)
    assert len(surface.bindings) == 43
    kinds = {b.kind for b in surface.bindings.values()}
    assert kinds == {"list", "get", "create", "patch", "delete", "action", "upsert"}
    entries = surface.collections["time_entries"]
    assert entries.fields["hours"].type == "number" and not entries.fields["hours"].read_only
    assert entries.fields["created_at"].read_only and entries.fields["deleted_at"].nullable
    assert entries.fields["billable"].default is False
    listing = surface.bindings["listTimeEntries"]
    assert {(f.param, f.field, f.op) for f in listing.filters} >= {
        ("billable", "billable", "eq"),
        ("date_from", "date", "gte"),
        ("date_to", "date", "lte"),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["paths"][ENTRIES]["get"].pop("x-understudy"), "no x-understudy binding"),
        (
            lambda s: s["paths"][ENTRIES]["get"]["x-understudy"].update(kind="teleport"),
            "kind 'teleport'",
        ),
        (
            lambda s: s["paths"][ENTRIES]["get"]["x-understudy"].update(collection="nope"),
            "unknown collection",
        ),
        (
            lambda s: s["paths"][ENTRIES]["get"]["parameters"].append(
                {"name": "colour", "in": "query", "schema": {"type": "string"}}
            ),
            "'colour' filters no field",
        ),
        (
            lambda s: s["paths"]["/api/v1/operations/travel/{id}/book"]["post"][
                "x-understudy"
            ].update(action="teleport"),
            "no lifecycle transition for action 'teleport'",
        ),
        (
            lambda s: s["x-understudy"]["collections"]["travel"]["rules"].append(
                {"order": ["a", "b"]}
            ),
            "rule on unknown fields",
        ),
        (lambda s: s["x-understudy"].pop("surface"), "no x-understudy.surface"),
    ],
    ids=[
        "unbound",
        "bad-kind",
        "bad-collection",
        "unfiltered-param",
        "bad-action",
        "bad-rule",
        "no-surface",
    ],
)
def test_bad_bindings_are_refused(change: Callable[[dict[str, Any]], None], message: str) -> None:
    with pytest.raises(binding.BindingError, match=message):
        binding.read_surface("edm", broken(change))


def test_an_operation_naming_a_handler_that_does_not_exist_is_refused_at_start() -> None:
    from understudy.mock.behaviour import load
    from understudy.mock.engine import Engine
    from understudy.mock.store import MemoryStore

    spec = specs.bundle(specs.mount("tracker"))
    op = next(op for _, _, op in specs.operations(spec))
    op["x-understudy"] = {**op["x-understudy"], "handler": "noSuchHandler"}
    surface = binding.read_surface("tracker", spec)
    with pytest.raises(binding.BindingError, match="noSuchHandler"):
        Engine(
            surface, MemoryStore(), behaviour=load("understudy.mock.surfaces.tracker", "tracker")
        )

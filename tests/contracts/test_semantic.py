"""What the semantic checks send: a replace sends what the record was created with that a
read cannot show (write-only values) and what its body requires beyond what it declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from understudy import binding, userspecs
from understudy.contracts import semantic

SPECS = Path(__file__).parents[1] / "data" / "specs"


def plan_and_context(file: str, collection: str) -> tuple[semantic.Plan, semantic.Context]:
    spec = userspecs.load(str(SPECS / file)).spec
    surface = binding.read_surface(file.split(".")[0], spec)
    plan = next(p for p in semantic.plans(surface) if p.name == collection)
    probe: Any = None  # update_body sends nothing
    return plan, semantic.Context(spec, surface, probe, None)


def test_a_replace_sends_again_the_write_only_values_it_created_with() -> None:
    plan, ctx = plan_and_context("galaxy.yaml", "planets")
    creator = {"name": "Marc", "email": "marc@scalar.com", "password": "i-love-scalar"}
    ctx.sent[7] = {"name": "Mars", "creator": creator}
    read = {"id": 7, "name": "Mars", "creator": {"name": "Marc", "email": "marc@scalar.com"}}
    body = ctx.update_body(plan, read, {"name": "Mars II"})
    assert body["creator"] == creator and body["name"] == "Mars II"
    # a record the check did not create: only what was read
    assert ctx.update_body(plan, {**read, "id": 8}, {})["creator"] == read["creator"]


def test_a_replace_sends_what_its_body_requires_but_does_not_declare() -> None:
    plan, ctx = plan_and_context("figma.yaml", "webhooks")
    assert plan.update is not None and "team_id" not in ctx.body_properties(plan.update)
    read = {"id": "1", "event_type": "PING", "team_id": "42", "endpoint": "e", "passcode": "p"}
    assert ctx.update_body(plan, read, {"endpoint": "f"})["team_id"] == "42"

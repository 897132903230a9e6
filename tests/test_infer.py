"""Bindings by REST convention (understudy.infer), read back by understudy.binding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from understudy import binding, infer, userspecs

SPECS = Path(__file__).parent / "data" / "specs"


def bound(path: str) -> dict[str, str]:
    """``METHOD path`` → what it was bound to, for a spec file."""
    inferred = userspecs.load(str(SPECS / path)).inferred
    return {op: what for op, what, _ in inferred.bound}


def test_crud_paths_bind_to_a_collection() -> None:
    assert bound("petstore-expanded.yaml") == {
        "GET /pets": "list pets",
        "POST /pets": "create pets",
        "GET /pets/{id}": "get pets",
        "DELETE /pets/{id}": "delete pets",
    }


def test_envelopes_parents_and_examples() -> None:
    found = bound("figma.yaml")
    assert found["GET /v2/webhooks"] == "list webhooks"
    assert found["GET /v2/teams/{team_id}/webhooks"] == "list webhooks"  # scoped by team
    assert found["PUT /v2/webhooks/{webhook_id}"] == "replace webhooks"
    assert found["GET /v1/me"] == "example"
    spec = userspecs.load(str(SPECS / "figma.yaml")).spec
    surface = binding.read_surface("figma", spec)
    by_path = {(b.method, b.path): b for b in surface.bindings.values()}
    team_list = by_path[("GET", "/v2/teams/{team_id}/webhooks")]
    assert team_list.scope_params == {"team_id": "team_id"}
    assert team_list.options["envelope"]["data"] == "webhooks"


def test_ids_in_the_declared_type_and_paging_names() -> None:
    spec = userspecs.load(str(SPECS / "galaxy.yaml")).spec
    surface = binding.read_surface("galaxy", spec)
    planets = surface.collections["planets"]
    assert planets.id_style == "integer"
    assert surface.listing["page_size"] == "limit" and surface.listing["offset"] == "offset"
    listed = next(b for b in surface.bindings.values() if b.kind == "list")
    assert listed.options["envelope"] == {
        "data": "data",
        "pagination": "meta",
        "fields": {"limit": "page_size", "offset": "offset", "total": "total", "next": "none"},
    }
    assert "creator.password" in planets.hide  # write-only: taken, never answered


def test_declarations_win_over_inference() -> None:
    raw, _ = userspecs.read(str(SPECS / "petstore-expanded.yaml"))
    raw["paths"]["/pets"]["get"]["x-understudy"] = {"kind": "computed", "handler": "mine"}
    inferred = infer.complete(userspecs.prepare(raw, "pets"))
    found = {op: (what, how) for op, what, how in inferred.bound}
    assert found["GET /pets"] == ("computed mine", "declared")
    assert found["POST /pets"] == ("create pets", "")
    assert "/pets" not in inferred.added["paths"] or "get" not in inferred.added["paths"]["/pets"]


def test_a_fully_declared_spec_is_left_as_it_is() -> None:
    tracker = Path(binding.specs.SPEC_DIR) / "tracker" / "tracker.yaml"
    inferred = userspecs.load(str(tracker)).inferred
    assert inferred.added == {}
    assert {how for _, _, how in inferred.bound} == {"declared"}
    assert "nothing inferred" in infer.explain(inferred)


def test_explain_is_yaml_to_paste() -> None:
    inferred = userspecs.load(str(SPECS / "petstore-expanded.yaml")).inferred
    text = infer.explain(inferred)
    pasted: dict[str, Any] = yaml.safe_load(text)
    assert pasted["x-understudy"]["collections"]["pets"]["schema"] == "Pet"
    assert pasted["paths"]["/pets/{id}"]["delete"]["x-understudy"]["kind"] == "delete"
    # pasted into the document, it binds the same without inference
    raw, _ = userspecs.read(str(SPECS / "petstore-expanded.yaml"))
    raw["x-understudy"] = pasted["x-understudy"]
    for path, methods in pasted["paths"].items():
        for method, decl in methods.items():
            raw["paths"][path][method].update(decl)
    again = infer.complete(userspecs.prepare(raw, "pets"))
    assert again.added == {}
    assert binding.read_surface("p", again.spec).collections["pets"].id_style == "integer"


def test_a_3_1_spec_that_cannot_be_converted_says_where(tmp_path: Path) -> None:
    spec = tmp_path / "tuple.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
        "components: {schemas: {P: {type: array, prefixItems: [{type: number}]}}}\n"
    )
    try:
        userspecs.load(str(spec))
    except userspecs.specs.SpecError as exc:
        assert "prefixItems at #/components/schemas/P" in str(exc)
    else:
        raise AssertionError("a prefixItems schema was converted")

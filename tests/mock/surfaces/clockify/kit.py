"""Calling Clockify operations on the engine directly, each answer checked against the spec.

``Kit()`` bundles the regular-root files of the Clockify surface that exist (so handlers can be
tested while other files are still being written), loads the generated demo world into a
memory store, and ``kit.call(operation_id, params, body)`` runs the operation as the demo
user (or ``user=``), raising if the answer does not validate against the documented
response of its status.
"""

from __future__ import annotations

from typing import Any

from understudy import binding, specs
from understudy.fixtures import clockify as world
from understudy.mock import errors
from understudy.mock.behaviour import load as load_behaviour
from understudy.mock.engine import Call, Caller, Engine, Reply
from understudy.mock.store import MemoryStore

API_FILES = [
    "workspaces.yaml",
    "approvals-expenses.yaml",
    "invoices-projects.yaml",
    "scheduling-time.yaml",
    "time-off-groups.yaml",
]

CLOCKIFY = "understudy.mock.surfaces.clockify"


class Kit:
    def __init__(self, files: list[str] | None = None, seed: int = 42) -> None:
        folder = specs.SPEC_DIR / "clockify"
        present = [folder / f for f in (files or API_FILES) if (folder / f).exists()]
        present.append(folder / "reports.yaml")
        self.spec = specs.bundle(specs.Mount("clockify", "/clockify/api", tuple(present)))
        self.surface = binding.read_surface("clockify", self.spec)
        self.store = MemoryStore()
        self.tenant = world.build(self.spec, self.surface, dict(world.SIZES["small"]), seed)
        self.store.load(self.tenant.collections)
        self.engine = Engine(
            self.surface, self.store, behaviour=load_behaviour(CLOCKIFY, "clockify")
        )
        self.user = self.tenant.credentials["userId"]
        self.workspace = self.tenant.credentials["workspaceId"]

    def members(self) -> list[str]:
        """The demo workspace's members (the demo user first)."""
        workspace = self.store.get("workspaces", self.workspace)
        assert workspace
        ids = [m["userId"] for m in workspace["memberships"]]
        return sorted(ids, key=lambda u: u != self.user)

    def other(self) -> str:
        """A member of the demo workspace who is not the demo user."""
        return next(u for u in self.members() if u != self.user)

    def records(self, collection: str, **where: Any) -> list[dict[str, Any]]:
        return list(self.store.scan(collection, where))

    def call(
        self,
        operation_id: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        *,
        user: str | None = None,
    ) -> Reply:
        """Run the operation; an ApiError becomes its Reply (status, Clockify error body)."""
        bound = self.surface.bindings[operation_id]
        params = {"workspaceId": self.workspace, **(params or {})}
        caller = Caller(actor=user or self.user)
        try:
            reply = self.engine.handle(Call(bound, params, body, caller))
        except errors.ApiError as exc:
            return Reply(exc.status, {"message": exc.detail, "code": exc.status})
        self.check(bound, reply)
        return reply

    def check(self, bound: binding.Binding, reply: Reply) -> None:
        op = self.spec["paths"][bound.path][bound.method.lower()]
        documented = op["responses"].get(str(reply.status))
        if documented is None:
            raise AssertionError(f"{bound.operation_id}: undocumented status {reply.status}")
        content = specs.resolve(self.spec, documented).get("content", {})
        media = content.get("application/json")
        if media is None or reply.body is None:
            return
        pointer = _pointer(self.spec, bound, reply.status)
        problems = [e.message for e in specs.validator(self.spec, pointer).iter_errors(reply.body)]
        if problems:
            raise AssertionError(f"{bound.operation_id} {reply.status}: {problems[:3]}")


def _pointer(spec: dict[str, Any], bound: binding.Binding, status: int) -> str:
    """JSON pointer to the schema of the documented JSON answer (through a shared response)."""
    response = spec["paths"][bound.path][bound.method.lower()]["responses"][str(status)]
    if "$ref" in response:
        base = response["$ref"].removeprefix("#")
    else:
        path = bound.path.replace("~", "~0").replace("/", "~1")
        base = f"/paths/{path}/{bound.method.lower()}/responses/{status}"
    return base + "/content/application~1json/schema"

"""Observers (``observe: [name]`` on a surface) see every successful answer; one that fails
does not undo or fail the request it reacts to."""

from __future__ import annotations

from understudy import binding, specs
from understudy.mock.behaviour import Behaviour
from understudy.mock.engine import Call, Caller, Engine, Reply
from understudy.mock.store import MemoryStore
from understudy.mock.surfaces.tracker import durations

seen: list[tuple[str, int]] = []
behaviour = Behaviour("tracker")
behaviour.derivers.add("tracker.duration", durations.duration)


@behaviour.observer("test.records")
def records(engine: Engine, call: Call, reply: Reply) -> None:
    seen.append((call.binding.operation_id, reply.status))


@behaviour.observer("test.fails")
def fails(engine: Engine, call: Call, reply: Reply) -> None:
    raise RuntimeError("a broken reaction")


def tracker_engine(*observers: str) -> Engine:
    spec = specs.bundle(specs.mount("tracker"))
    spec["x-understudy"]["surface"]["observe"] = list(observers)
    return Engine(binding.read_surface("tracker", spec), MemoryStore(), behaviour=behaviour)


def test_observers_see_successes_and_a_failing_one_does_not_fail_the_request() -> None:
    engine = tracker_engine("test.fails", "test.records")
    create = engine.surface.bindings["logTimeEntry"]
    caller = Caller(
        tenant="7b1e2c3d-0000-4000-8000-00000000000a", actor="9a8b7c6d-0000-4000-8000-000000000002"
    )
    project = "3f2b8c1e-0000-4000-8000-000000000001"
    body = {"userId": caller.actor, "workDate": "2026-03-02", "minutes": 30}
    reply = engine.handle(Call(create, {"id": project}, body, caller))
    assert reply.status == 201
    assert seen[-1] == ("logTimeEntry", 201)
    assert len(list(engine.store.scan("time_entries", {}))) == 1

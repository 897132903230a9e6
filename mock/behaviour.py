"""What a surface's Python adds to its declarations, and how the mock finds it.

A surface that needs behaviour no declaration can say names a package in
``openapi/surfaces.yaml`` (``behaviour: understudy.mock.surfaces.clockify``). The package
holds one ``Behaviour`` (``behaviour`` in its ``__init__``) into which its modules register:

- ``@behaviour.handler(name)``: an operation's whole behaviour (``x-understudy: {handler}``);
- ``@behaviour.deriver(name)``: fields computed on every write of a collection (``derive``);
  gets the record about to be stored and the fields the write set, returns it completed;
- ``@behaviour.authorizer(name)``: access checks before every operation (``authorize``);
- ``@behaviour.observer(name)``: reactions to every successful answer (``observe``); they
  must not fail the request.

Each engine gets its own surface's registries, so two surfaces can never collide on a name.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from understudy.registry import Registry

if TYPE_CHECKING:
    from understudy.mock.engine import Call, Engine, Reply

Handler = Callable[["Engine", "Call"], "Reply"]
Deriver = Callable[[dict[str, Any], Mapping[str, Any] | None], dict[str, Any]]
Authorizer = Callable[["Engine", "Call"], None]
Observer = Callable[["Engine", "Call", "Reply"], None]


class Behaviour:
    def __init__(self, surface: str) -> None:
        self.surface = surface
        self.handlers: Registry[Handler] = Registry(f"{surface} handler")
        self.derivers: Registry[Deriver] = Registry(f"{surface} deriver")
        self.authorizers: Registry[Authorizer] = Registry(f"{surface} authorizer")
        self.observers: Registry[Observer] = Registry(f"{surface} observer")

    def handler(self, name: str) -> Callable[[Handler], Handler]:
        return self.handlers.register(name)

    def deriver(self, name: str) -> Callable[[Deriver], Deriver]:
        return self.derivers.register(name)

    def authorizer(self, name: str) -> Callable[[Authorizer], Authorizer]:
        return self.authorizers.register(name)

    def observer(self, name: str) -> Callable[[Observer], Observer]:
        return self.observers.register(name)


def load(package: str | None, surface: str) -> Behaviour:
    """The behaviour a surface's package registers (every module of it imported), or an
    empty one for a surface that declares everything."""
    if not package:
        return Behaviour(surface)
    root = importlib.import_module(package)
    for module in pkgutil.iter_modules(root.__path__):
        importlib.import_module(f"{package}.{module.name}")
    found = getattr(root, "behaviour", None)
    if not isinstance(found, Behaviour):
        raise ImportError(f"{package} has no `behaviour = Behaviour(...)` in its __init__")
    return found

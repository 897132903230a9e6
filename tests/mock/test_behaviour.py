"""Surface behaviour packages (mock/behaviour.py): found by the name surfaces.yaml gives, each
with its own registries, and each registered function documented — its docstring is the one
place that says what it does."""

from __future__ import annotations

import pytest

from understudy import specs
from understudy.mock.behaviour import Behaviour, load

PACKAGES = sorted(
    {
        (m.behaviour, m.surface)
        for mounts in specs.surfaces().values()
        for m in mounts
        if m.behaviour
    }
)


def test_the_declared_packages_are_found() -> None:
    assert {surface for _, surface in PACKAGES} == {"clockify", "tracker"}


@pytest.mark.parametrize(("package", "surface"), PACKAGES, ids=[s for _, s in PACKAGES])
def test_every_registered_function_says_what_it_does(package: str, surface: str) -> None:
    behaviour = load(package, surface)
    undocumented = [
        f"{registry.what} {name}"
        for registry in (
            behaviour.handlers,
            behaviour.derivers,
            behaviour.authorizers,
            behaviour.observers,
        )
        for name in registry
        if not (registry[name].__doc__ or "").strip()
    ]
    assert len(behaviour.handlers) + len(behaviour.derivers) > 0
    assert not undocumented


def test_a_name_is_registered_once_per_surface() -> None:
    behaviour = Behaviour("test")
    behaviour.handler("same")(lambda engine, call: None)
    with pytest.raises(ValueError, match="registered twice"):
        behaviour.handler("same")(lambda engine, call: None)
    other = Behaviour("other")
    other.handler("same")(lambda engine, call: None)  # another surface's registry is its own


def test_no_package_means_an_empty_behaviour() -> None:
    assert len(load(None, "edm").handlers) == 0

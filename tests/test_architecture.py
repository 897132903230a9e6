"""The import directions ARCHITECTURE.md declares, enforced: a forbidden import fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# folder → installed package (pyproject.toml maps the top-level folders into `understudy`)
PACKAGES = {
    "understudy": "understudy",
    "mock": "understudy.mock",
    "fixtures": "understudy.fixtures",
    "contracts": "understudy.contracts",
}
# the layer of a module → the layers it must never import
FORBIDDEN = {
    "core": ("understudy.mock", "understudy.fixtures", "understudy.contracts"),
    "fixtures": ("understudy.mock", "understudy.contracts"),
    "contracts": ("understudy.mock", "understudy.fixtures"),
    "mock": ("understudy.contracts", "understudy.mock.surfaces"),
    "surface": ("understudy.contracts",),
}


def modules() -> list[tuple[str, Path]]:
    found = []
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            found.append((name, path))
    return found


def layer(module: str) -> str | None:
    if module == "understudy.cli":
        return None  # the commands: the one place that wires the layers together
    if module.startswith("understudy.mock.surfaces"):
        return "surface"
    for name in ("mock", "fixtures", "contracts"):
        if module.startswith(f"understudy.{name}"):
            return name
    return "core"


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _ in modules()])
def test_imports_point_the_declared_way(module: str, path: Path) -> None:
    kind = layer(module)
    if kind is None:
        return
    bad = sorted(
        name
        for name in imported(path)
        for forbidden in FORBIDDEN[kind]
        if name == forbidden or name.startswith(forbidden + ".")
    )
    if kind == "surface":  # one surface's behaviour never reaches into another's
        own = ".".join(module.split(".")[:4])
        bad += sorted(
            n
            for n in imported(path)
            if n.startswith("understudy.mock.surfaces.") and not n.startswith(own)
        )
    assert not bad, f"{module} ({kind}) imports {', '.join(bad)}"


def test_the_rules_see_every_layer() -> None:
    """A rule over no modules would pass forever: each layer has modules to check."""
    kinds = {layer(m) for m, _ in modules()}
    assert {"core", "mock", "surface", "fixtures", "contracts"} <= kinds


MAX_LINES = 600  # past this a module holds more than one idea: split it (STYLE.md)


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _ in modules()])
def test_modules_stay_small(module: str, path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by what it holds"


def test_every_package_is_installed() -> None:
    """pyproject.toml lists packages by hand (the folders map into `understudy`): a folder
    left off works in the editable checkout and is missing from a wheel or the image."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    folders = {name for name, path in modules() if path.name == "__init__.py"}
    folders |= {"understudy.openapi"}  # specs, not modules
    assert folders == listed, (
        f"not installed: {sorted(folders - listed)}; gone: {sorted(listed - folders)}"
    )

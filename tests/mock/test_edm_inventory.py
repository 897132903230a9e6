"""The 43 operations the EDM documents list, each found in the EDM spec."""

from __future__ import annotations

import pytest

from understudy import specs

WORK = "/api/v1/work"
OPS = "/api/v1/operations"


def _crud(base: str, actions: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    pairs = [
        ("GET", base),
        ("POST", base),
        ("GET", base + "/{id}"),
        ("PATCH", base + "/{id}"),
        ("DELETE", base + "/{id}"),
    ]
    return pairs + [("POST", f"{base}/{{id}}/{action}") for action in actions]


# edm-work.txt: TimeEntry and Comment list/get/create/update/delete; edm-work-capacity.txt:
# Capacity list/get/set; edm-operations.txt: five resources with their actions.
DOCUMENTED = [
    *_crud(f"{WORK}/time-entries"),
    *_crud(f"{WORK}/comments"),
    ("GET", f"{WORK}/capacity"),
    ("GET", f"{WORK}/capacity/{{id}}"),
    ("PUT", f"{WORK}/capacity"),
    *_crud(f"{OPS}/access-requests", ("approve", "provision")),
    *_crud(f"{OPS}/hr-requests", ("fulfill",)),
    *_crud(f"{OPS}/pending"),
    *_crud(f"{OPS}/equipment", ("provision",)),
    *_crud(f"{OPS}/travel", ("book",)),
]


def test_the_documents_list_43_operations() -> None:
    assert len(DOCUMENTED) == len(set(DOCUMENTED)) == 43


@pytest.mark.parametrize(("method", "path"), DOCUMENTED, ids=[f"{m} {p}" for m, p in DOCUMENTED])
def test_documented_operation_is_in_the_spec(method: str, path: str) -> None:
    spec = specs.bundle(specs.mount("edm"))
    assert method.lower() in spec["paths"].get(path, {})


def test_the_spec_has_nothing_the_documents_do_not_list() -> None:
    spec = specs.bundle(specs.mount("edm"))
    assert sorted((m, p) for m, p, _ in specs.operations(spec)) == sorted(DOCUMENTED)

"""What a verification found: one ``Outcome`` per (check, operation) that ran."""

from __future__ import annotations

from dataclasses import dataclass, field

NOT_REACHED = frozenset({401, 403, 405})  # refused by authentication, authorization, routing


def reached(status: int) -> bool:
    """Whether an answer came from the operation rather than the gate in front of it (a 404
    counts as reached: for a path from the spec it is the operation finding no record)."""
    return status != 0 and status not in NOT_REACHED


@dataclass
class Counter:
    requests: int = 0
    reached: int = 0


@dataclass
class Outcome:
    check: str  # e.g. response_schema_conformance, tenant_isolation
    operation: str  # "GET /api/v1/work/time-entries/{id}", or a collection for semantic checks
    passed: bool
    message: str = ""
    curl: list[str] = field(default_factory=list)  # the requests that reproduce a failure
    skipped: bool = False  # could not run here (why in message)


@dataclass
class Result:
    surface: str
    base_url: str
    outcomes: list[Outcome] = field(default_factory=list)
    requests: int = 0
    reached: int = 0  # requests answered by an operation (``reached``)
    cases: int = 0  # schemathesis test cases
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # the run itself could not do something
    exports: list[str] = field(default_factory=list)  # how to set the curls' variables

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed and not o.skipped]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors

    def failed_checks(self) -> set[str]:
        return {o.check for o in self.failures}

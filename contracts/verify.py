"""``verify``: check an implementation of a surface against its spec.

Three layers, all from the spec alone: schemathesis' conformance checks over every operation
(``understudy.contracts.conformance``), the semantic checks the schema cannot express
(``understudy.contracts.semantic``) and the hostile inputs no generator sends
(``understudy.contracts.hostile``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from understudy import binding, specs, userspecs
from understudy.contracts import (
    conformance,
    credentials,
    derived,
    hostile,
    isolation,
    lifecycle,
    limits,
    lists,
    preflight,
    semantic,
    updates,
)
from understudy.contracts.outcome import Counter, Outcome, Result
from understudy.contracts.probe import Probe
from understudy.errors import UsageError

# the modules whose checks register themselves in ``semantic.REGISTRY`` when imported
CHECK_MODULES = (semantic, isolation, lifecycle, lists, updates, derived)
PHASES = (*conformance.PHASES, hostile.PHASE)


@dataclass
class Options:
    surface: str
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)  # identity A
    other_headers: dict[str, str] | None = None  # identity B, another tenant
    other_app_headers: dict[str, str] | None = None  # A's tenant through another application
    mount: int = 0  # which mount of the surface (clockify has two)
    max_examples: int = 10
    workers: int = 1  # schemathesis' worker threads (ast_lock makes 2+ safe on older CPythons)
    seed: int | None = None
    checks: list[str] = field(default_factory=list)  # empty: all
    operations: list[str] = field(default_factory=list)  # operationIds; empty: all
    phases: tuple[str, ...] = PHASES
    # fixed parameter values, e.g. {"workspaceId": "..."}: where the caller's data lives
    params: dict[str, str] = field(default_factory=dict)
    spec: str | None = None  # a team's own OpenAPI file or URL instead of a surface's


def all_checks() -> list[str]:
    return [*conformance.check_names(), *hostile.CHECKS, *semantic.REGISTRY, limits.CHECK]


def verify(options: Options, progress: Callable[[str], None] | None = None) -> Result:
    try:
        if options.spec:  # bindings declared or inferred by REST convention (understudy.infer)
            user = userspecs.load(options.spec)
            spec, name = user.spec, user.name
        else:
            spec, name = specs.bundle(specs.mount(options.surface, options.mount)), options.surface
    except (specs.SpecError, IndexError) as exc:
        raise UsageError(str(exc)) from None
    surface = binding.read_surface(name, spec)
    known = all_checks()
    unknown = [c for c in options.checks if c not in known]
    if unknown:
        raise UsageError(f"unknown check {', '.join(unknown)}; known: {', '.join(known)}")
    ids = {b.operation_id for b in surface.bindings.values()}
    missing = [o for o in options.operations if o not in ids]
    if missing:
        raise UsageError(f"no operation {', '.join(missing)} in {name}")
    identities = {"A": options.headers, "B": options.other_headers, "C": options.other_app_headers}
    try:
        preflight.check(surface, options.base_url, identities, options.params)
    except preflight.PreflightError as exc:
        raise UsageError(str(exc)) from None

    chosen = options.checks or known
    result = Result(name, options.base_url)
    result.exports = credentials.exports({k: v for k, v in identities.items() if v})
    started = time.perf_counter()
    schema_checks = [c for c in chosen if c in conformance.check_names()]
    if schema_checks:
        conformance.run(
            spec,
            result,
            base_url=options.base_url,
            headers=options.headers,
            checks=schema_checks,
            operations=options.operations,
            max_examples=options.max_examples,
            workers=options.workers,
            seed=options.seed,
            phases=options.phases,
            params=options.params,
            refusals=surface.refusals,
            leniency=surface.leniency,
            progress=progress,
            rate_limit=limits.pace(surface.rate_limit, options.headers),
            other_headers=options.other_headers,
        )
    semantic_checks = [c for c in chosen if c in semantic.REGISTRY]
    if semantic_checks:
        _semantic(spec, surface, options, semantic_checks, result, progress)
    hostile_checks = [c for c in chosen if c in hostile.CHECKS]
    if hostile_checks and hostile.PHASE in options.phases:
        hostile.run(
            spec,
            surface,
            result,
            base_url=options.base_url,
            headers=options.headers,
            params=options.params,
            operations=options.operations,
            checks=hostile_checks,
            progress=progress,
        )
    if limits.CHECK in chosen:  # last: its burst spends the credential's budget
        counter = Counter()
        result.outcomes.append(
            limits.check(spec, surface, options.base_url, options.headers, options.params, counter)
        )
        result.requests += counter.requests
        result.reached += counter.reached
    result.seconds = time.perf_counter() - started
    return result


def _semantic(
    spec: dict[str, Any],
    surface: binding.Surface,
    options: Options,
    names: list[str],
    result: Result,
    progress: Callable[[str], None] | None,
) -> None:
    counter = Counter()
    selected = set(options.operations)
    rule = surface.rate_limit  # keep under the declared limit when a credential counts
    identities = {
        "A": options.headers,
        "B": options.other_headers,
        "C": options.other_app_headers,
    }
    base_url = options.base_url.rstrip("/")
    clients = {
        label: (
            headers,
            httpx.Client(base_url=base_url, headers=headers, timeout=30),
            limits.Pacer(rule) if rule and limits.pace(rule, headers) else None,
        )
        for label, headers in identities.items()
        if headers is not None
    }
    try:
        _run_plans(spec, surface, options, names, result, progress, counter, clients, selected)
    finally:
        for _, client, _ in clients.values():
            client.close()
    result.requests += counter.requests
    result.reached += counter.reached


def _run_plans(
    spec: dict[str, Any],
    surface: binding.Surface,
    options: Options,
    names: list[str],
    result: Result,
    progress: Callable[[str], None] | None,
    counter: Counter,
    clients: dict[str, tuple[dict[str, str], httpx.Client, limits.Pacer | None]],
    selected: set[str],
) -> None:
    chosen = [plan for plan in semantic.plans(surface) if _selected(plan, selected)]
    expect = getattr(progress, "expect", None)
    if expect:
        expect(len(names) * len(chosen))
    for plan in chosen:
        for name in names:
            trail: list[str] = []
            probes = {
                label: Probe(
                    options.base_url, headers, label, counter, trail, pace=pacer, client=client
                )
                for label, (headers, client, pacer) in clients.items()
            }
            a, b, c = probes["A"], probes.get("B"), probes.get("C")
            ctx = semantic.Context(spec, surface, a, b, options.params, other_app=c)
            outcome = Outcome(name, plan.label, passed=True)
            try:
                semantic.REGISTRY[name](ctx, plan)
            except semantic.Skip as why:
                outcome.skipped, outcome.message = True, str(why)
            except semantic.Violation as violation:
                outcome.passed, outcome.message = False, str(violation)
                outcome.curl = trail[-6:]  # the requests that led to it
            except httpx.HTTPError as exc:
                outcome.passed, outcome.message = False, f"the request failed: {exc}"
                outcome.curl = trail[-1:]
            finally:
                ctx.cleanup()
                for probe in (a, b, c):
                    if probe:
                        probe.close()
            result.outcomes.append(outcome)
            if progress:
                progress(f"{name} {plan.name}")


def _selected(plan: semantic.Plan, operations: set[str]) -> bool:
    ops = [plan.create, plan.get, plan.list, plan.update, plan.delete, plan.handled_create]
    ops += plan.actions.values()
    return not operations or bool(operations & {op.operation_id for op in ops if op})

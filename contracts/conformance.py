"""Schema conformance, by schemathesis 4: every operation with valid and invalid data
(examples, coverage, fuzzing) and stateful workflows over the spec's links, against
schemathesis' own checks (status codes, content types, headers, bodies, 5xx, bad input
accepted, good input refused, ...)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NotSet
from schemathesis.engine import events, from_schema

from understudy import specs
from understudy.contracts import ast_lock, credentials
from understudy.contracts.outcome import Outcome, Result, reached
from understudy.leniency import tolerated

# statuses a schema-valid request may get, besides the surface's own refusals (EDM: 409 for
# conflicts and refused transitions, 422 for rules such as period_end before period_start)
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "429", "5xx"]
PHASES = ("examples", "coverage", "fuzzing", "stateful")


def check_names() -> list[str]:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    return list(CHECKS.get_all_names())


def run(
    spec: dict[str, Any],
    result: Result,
    *,
    base_url: str,
    headers: dict[str, str],
    checks: list[str],
    operations: list[str],
    max_examples: int,
    workers: int,
    seed: int | None,
    phases: tuple[str, ...] = PHASES,
    params: dict[str, str] | None = None,
    refusals: tuple[int, ...] = (409, 422),
    leniency: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    rate_limit: str | None = None,  # "N/s": stay under the implementation's declared limit
    other_headers: dict[str, str] | None = None,
) -> None:
    ast_lock.install()  # schemathesis' threads parse source; some CPythons race on it
    config: dict[str, Any] = {
        "base-url": base_url,
        "headers": headers,
        # every generated request carries the caller's credentials: values generated for the
        # security schemes' headers (Clockify's X-Addon-Token) made most requests 401s; the
        # authentication checks (ignored_auth) send their own
        "generation": {"max-examples": max_examples, "with-security-parameters": False},
        "workers": workers,
        "checks": {
            "enabled": False,
            **{name: {"enabled": True} for name in checks},
            "positive_data_acceptance": {
                "enabled": "positive_data_acceptance" in checks,
                "expected-statuses": [*POSITIVE_STATUSES, *map(str, refusals)],
            },
        },
        "phases": {name: {"enabled": name in phases} for name in PHASES},
        "parameters": dict(params or {}),
        # reproduction commands name secrets by variable (credentials.scrub), not [Filtered]
        "output": {"sanitization": {"enabled": False}},
    }
    if rate_limit:
        config["rate-limit"] = rate_limit
    if len(operations) == 1:  # one operation has no links to follow: no stateful phase
        config["phases"]["stateful"]["enabled"] = False
    # the specs declare their links; inferred ones chained list answers into ids of "None"
    config["phases"]["stateful"]["inference"] = {"algorithms": []}
    if seed is not None:  # a seeded run is the same everywhere: no replay of saved examples
        config["seed"] = seed
        config["generation"]["database"] = "none"
    loaded = schemathesis.openapi.from_dict(spec, config=SchemathesisConfig.from_dict(config))
    schema = loaded.include(operation_id=operations) if operations else loaded
    expect = getattr(progress, "expect", None)
    if expect:  # one scenario per operation and phase, one for the stateful phase
        count = sum(1 for _ in schema.get_all_operations())
        stateful = config["phases"]["stateful"]["enabled"]
        expect(count * len([p for p in phases if p != "stateful"]) + int(stateful))
    identities = {"A": headers, **({"B": other_headers} if other_headers else {})}
    ran: dict[tuple[str, str], Outcome] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            result.cases += len(recorder.cases)
            for case_id, interaction in recorder.interactions.items():
                node = recorder.cases.get(case_id)
                if node is not None and node.parent_id is None and interaction.response:
                    result.reached += reached(interaction.response.status_code)
            for case_id, nodes in recorder.checks.items():
                for check in nodes:
                    _record(ran, recorder, case_id, check, spec, leniency or {}, identities)
            if progress:
                progress(recorder.label)
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            result.errors.append(f"schemathesis stopped: {event.exception}")
    result.requests += result.cases
    result.outcomes.extend(ran.values())


def _record(
    ran: dict[tuple[str, str], Outcome],
    recorder: Any,
    case_id: str,
    node: Any,
    spec: dict[str, Any],
    leniency: Mapping[str, str],
    identities: dict[str, dict[str, str]],
) -> None:
    case = recorder.cases[case_id].value
    label = f"{case.operation.method.upper()} {case.operation.path}"
    key = (node.name, label)
    outcome = ran.setdefault(key, Outcome(node.name, label, passed=True))
    info = node.failure_info
    if info is None or not outcome.passed:
        return  # keep the first failure of each (check, operation): the rest repeat it
    if node.name == "negative_data_rejection" and _lenient_body(case, spec, leniency):
        return  # the surface declares that the real service reads this body as valid
    interaction = recorder.interactions.get(case_id)
    status = interaction.response.status_code if interaction and interaction.response else None
    if _refused_without_a_documented_refusal(node.name, case, status):
        return  # the spec leaves no documented status for refusing invalid input
    if _unroutable_path(node.name, case, status):
        return  # a NUL or line feed in a path segment (DECISIONS.md)
    if _absent_body_that_needs_fields(node.name, case, status, spec):
        return  # an optional body whose schema requires fields, left out (DECISIONS.md)
    failure = info.failure
    outcome.passed = False
    outcome.message = f"{failure.title}: {failure.message}".strip().rstrip(":")
    steps = [step.curl for step in info.steps] if info.steps else []
    outcome.curl = [credentials.scrub(c, identities) for c in steps or [info.code_sample]]


def _negative(case: Any) -> bool:
    mode = case.meta.generation.mode if case.meta else None
    return str(getattr(mode, "value", mode)) == "negative"


def _refused_without_a_documented_refusal(check: str, case: Any, status: int | None) -> bool:
    """Invalid input refused with a 4xx by an operation that documents no 4xx at all
    (``responses: {201}``): no answer satisfies both schemathesis' status check and its
    ``negative_data_rejection``; the refusal is the right one."""
    if check != "status_code_conformance" or not _negative(case):
        return False
    documented = [str(s).upper() for s in case.operation.responses.status_codes]
    refusals = [s for s in documented if s.startswith("4") or s == "DEFAULT"]
    return status is not None and 400 <= status < 500 and not refusals


def _unroutable_path(check: str, case: Any, status: int | None) -> bool:
    """A schema-valid path value holding a NUL or a line feed, refused with a 4xx: Starlette's
    mounts cannot route a line feed, PostgreSQL's text holds no NUL (schemathesis itself
    offers ``allow-x00 = false`` for servers that refuse it)."""
    if check != "positive_data_acceptance" or status is None or not 400 <= status < 500:
        return False
    # the case holds them percent-encoded, as sent
    values = [unquote(v) for v in (case.path_parameters or {}).values() if isinstance(v, str)]
    return any("\n" in v or "\x00" in v for v in values)


def _absent_body_that_needs_fields(
    check: str, case: Any, status: int | None, spec: dict[str, Any]
) -> bool:
    """No body at all, refused with a 4xx, where the spec leaves the body optional (OpenAPI's
    ``requestBody.required`` defaults to false; specs forget it) but its schema requires
    fields: Galaxy's ``POST /planets`` without a planet has no ``name`` to create one by."""
    if check != "positive_data_acceptance" or status is None or not 400 <= status < 500:
        return False
    if not isinstance(case.body, NotSet):
        return False
    op = spec["paths"][case.operation.path][case.operation.method.lower()]
    content = specs.resolve(spec, op.get("requestBody", {})).get("content", {})
    schemas = [media.get("schema") for media in content.values() if "schema" in media]
    return bool(schemas) and all(specs.required(spec, s) for s in schemas)


def _lenient_body(case: Any, spec: dict[str, Any], leniency: Mapping[str, str]) -> bool:
    """A negative case whose only invalid part is a body the declared leniency makes valid
    (``null`` in an optional field, ``"true"`` for a boolean, ...)."""
    components = getattr(case.meta, "components", {}) if case.meta else {}
    negative = {
        str(getattr(loc, "value", loc))
        for loc, info in components.items()
        if getattr(info.mode, "value", info.mode) == "negative"
    }
    if not leniency or negative != {"body"} or not isinstance(case.body, dict | list):
        return False
    path = case.operation.path.replace("~", "~0").replace("/", "~1")
    pointer = f"/paths/{path}/{case.operation.method.lower()}/requestBody"
    request = spec["paths"][case.operation.path][case.operation.method.lower()]["requestBody"]
    if "$ref" in request:
        pointer = request["$ref"].lstrip("#")
    pointer += "/content/application~1json/schema"
    schema = specs.resolve(
        spec,
        specs.resolve(spec, request).get("content", {}).get("application/json", {}).get("schema"),
    )
    if not isinstance(schema, dict):
        return False
    validator = specs.validator(spec, pointer)
    return tolerated(
        case.body, schema, leniency, validator.is_valid, lambda node: specs.resolve(spec, node)
    )

"""verify's ``hostile`` phase: the inputs a careful tester types by hand and generators rarely
produce, sent to every operation that takes a body or parameters.

Bodies: invalid JSON (``NaN``, ``Infinity``, truncated, a trailing comma, bytes that are not
UTF-8), JSON that many parsers mishandle (a lone surrogate escape, ``1e400``, a 5,000-digit
integer, nesting 10,000 deep, instants beyond year 9999 once in UTC), wrong and missing
content types, an oversized body. Parameters: very long values, invalid UTF-8 escapes,
control characters, numbers and dates out of range. Every request carries the caller's
valid credentials, so it reaches the operation rather than its authentication.

Three checks, each per operation:

* ``hostile_server_error`` — no answer is a 5xx.
* ``hostile_invalid_json_accepted`` — no invalid JSON body is answered 2xx.
* ``hostile_state_change`` — what was refused changed nothing a list shows, and after the
  whole phase every list that answered before still answers, with JSON every client can
  parse (an implementation that stored a lone surrogate fails here).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from understudy import binding, specs
from understudy.contracts import limits
from understudy.contracts.outcome import Outcome, Result, reached

PHASE = "hostile"
SERVER_ERROR = "hostile_server_error"
INVALID_JSON_ACCEPTED = "hostile_invalid_json_accepted"
STATE_CHANGE = "hostile_state_change"
CHECKS = (SERVER_ERROR, INVALID_JSON_ACCEPTED, STATE_CHANGE)
DESCRIPTIONS = {
    SERVER_ERROR: "no hand-made hostile request is answered with a 5xx",
    INVALID_JSON_ACCEPTED: "no invalid JSON body (NaN, truncated, not UTF-8) is answered 2xx",
    STATE_CHANGE: "refused hostile requests change no list; every list still answers JSON",
}
OVERSIZED_OPERATIONS = 3  # operations that get a 2 MiB body: enough to see the limit, cheap
LONG = "x" * 10_000
_JSON_TYPES = ("application/json", "*/*")


@dataclass(frozen=True)
class Attempt:
    """One hostile request: what it is, and whether a 2xx for it is a failure."""

    name: str
    method: str
    url: str  # path and query, already percent-encoded
    body: bytes | None = None
    content_type: str | None = "application/json"  # None: no Content-Type header
    invalid_json: bool = False


def run(
    spec: dict[str, Any],
    surface: binding.Surface,
    result: Result,
    *,
    base_url: str,
    headers: dict[str, str],
    params: dict[str, str],
    operations: list[str],
    checks: list[str],
    progress: Callable[[str], None] | None = None,
) -> None:
    client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=60)
    if surface.rate_limit and limits.pace(surface.rate_limit, headers):
        # keep under a declared rate limit the credentials count against: a 429 is no finding
        pacer = limits.Pacer(surface.rate_limit)
        client.event_hooks["request"].append(lambda request: pacer())
    try:
        _run(spec, surface, result, client, params, operations, checks, progress)
    finally:
        client.close()


def _run(
    spec: dict[str, Any],
    surface: binding.Surface,
    result: Result,
    client: httpx.Client,
    params: dict[str, str],
    operations: list[str],
    checks: list[str],
    progress: Callable[[str], None] | None,
) -> None:
    observers = _observers(spec, surface, params)
    before = {label: _observe(client, result, url) for label, (url, _) in observers.items()}
    oversized = OVERSIZED_OPERATIONS
    for method, path, op in specs.operations(spec):
        if operations and op.get("operationId") not in operations:
            continue
        label = f"{method} {path}"
        attempts = list(_attempts(spec, method, path, op, params, oversized > 0))
        if not attempts:
            continue
        oversized -= any(a.name == "oversized body" for a in attempts)
        collection = _collection(surface, op)
        watched = {k: v for k, v in observers.items() if v[1] == collection and collection}
        watched_before = {k: _observe(client, result, url) for k, (url, _) in watched.items()}
        outcomes = {name: Outcome(name, label, passed=True) for name in checks}
        accepted = False
        for attempt in attempts:
            answer = _send(client, result, attempt)
            status = answer.status_code if answer is not None else 0
            accepted |= 200 <= status < 300
            if status >= 500 or answer is None:
                why = f"{attempt.name}: answered {status or 'nothing (the connection broke)'}"
                _fail(outcomes, SERVER_ERROR, why, attempt)
            if attempt.invalid_json and 200 <= status < 300:
                why = f"{attempt.name}: answered {status}"
                _fail(outcomes, INVALID_JSON_ACCEPTED, why, attempt)
        for name, (url, _) in watched.items():
            after = _observe(client, result, url)
            was = watched_before[name]
            if was[0] == 200 and (after[0] != 200 or (not accepted and after[1] != was[1])):
                how = f"now answers {after[0]}" if after[0] != 200 else "now shows other records"
                attempt = Attempt(f"GET {name} after", "GET", url, content_type=None)
                refused = "all refused" if not accepted else "some accepted"
                _fail(outcomes, STATE_CHANGE, f"{name} {how} ({refused})", attempt)
        result.outcomes.extend(outcomes.values())
        if progress:
            progress(f"hostile {label}")
    if STATE_CHANGE in checks:
        for name, (url, _) in observers.items():
            after = _observe(client, result, url)
            if before[name][0] == 200 and after[0] != 200:
                outcome = Outcome(STATE_CHANGE, name, passed=False)
                outcome.message = f"after the hostile phase {name} answers {after[0]}: {after[2]}"
                outcome.curl = [_attempt_curl(Attempt(name, "GET", url, content_type=None))]
                result.outcomes.append(outcome)


# ---------------------------------------------------------------- what to send
def _attempts(
    spec: dict[str, Any],
    method: str,
    path: str,
    op: dict[str, Any],
    fixed: dict[str, str],
    oversized: bool,
) -> Iterator[Attempt]:
    declared = [
        specs.resolve(spec, p)
        for p in (*spec["paths"][path].get("parameters", ()), *op.get("parameters", ()))
    ]
    values = _baseline(spec, declared, fixed)
    if values is None:
        return  # a path parameter with no example and no fixed value: cannot aim
    path_values, query = values
    url = _url(path, path_values, query)
    body = specs.resolve(spec, op.get("requestBody", {}))
    media = next((m for m in body.get("content", {}) if m in _JSON_TYPES), None)
    if media is not None:
        schema = specs.resolve(spec, body["content"][media].get("schema", {}))
        example = _example(spec, body["content"][media], schema)
        yield from _body_attempts(spec, method, url, example, schema, oversized)
    for param in declared:
        name = param["name"]
        if param["in"] not in ("path", "query") or name in fixed:
            continue
        schema = specs.resolve(spec, param.get("schema", {}))
        for what, raw in _param_values(schema):
            if param["in"] == "path":
                hostile_url = _url(path, {**path_values, name: raw}, query)
            else:
                hostile_url = _url(path, path_values, {**query, name: raw})
            yield Attempt(f"{param['in']} parameter {name}: {what}", method, hostile_url)


def _body_attempts(
    spec: dict[str, Any],
    method: str,
    url: str,
    example: dict[str, Any],
    schema: dict[str, Any],
    oversized: bool,
) -> Iterator[Attempt]:
    props = specs.properties(spec, schema)

    def field(*kinds: str) -> str:
        for name, prop in props.items():
            prop = specs.resolve(spec, prop)
            if prop.get("readOnly"):
                continue
            if prop.get("type") in kinds or prop.get("format") in kinds:
                return name
        return next(iter(props), "hostile")

    def with_raw(name: str, raw: str) -> bytes:
        rest = json.dumps({k: v for k, v in example.items() if k != name})[1:-1]
        return ("{" + (rest + ", " if rest else "") + f"{json.dumps(name)}: {raw}" + "}").encode()

    text, number = field("string"), field("number", "integer")
    instant = field("date-time", "date")
    valid = json.dumps(example).encode()
    invalid = {
        f"body {number}: NaN": with_raw(number, "NaN"),
        f"body {number}: Infinity": with_raw(number, "Infinity"),
        f"body {number}: -Infinity": with_raw(number, "-Infinity"),
        "truncated JSON": valid[: max(1, len(valid) // 2)],
        "a trailing comma": valid[:-1] + b",}",
        "a body that is not UTF-8": with_raw(text, '"@@"').replace(b"@@", b"\xff\xfe"),
    }
    for what, raw_body in invalid.items():
        yield Attempt(what, method, url, raw_body, invalid_json=True)
    hostile_json = (
        (f"body {text}: a lone surrogate", text, '"\\ud800"'),
        (f"body {text}: a lone low surrogate", text, '"a\\udfffb"'),
        (f"body {number}: 1e400", number, "1e400"),
        (f"body {number}: a 5000-digit integer", number, "9" * 5000),
        (f"body {text}: nested 10,000 deep", text, "[" * 10_000 + "]" * 10_000),
        (f"body {instant}: beyond year 9999 in UTC", instant, '"9999-12-31T23:59:59-23:59"'),
        (f"body {instant}: year 0", instant, '"0000-01-01T00:00:00Z"'),
    )
    for what, name, raw in hostile_json:
        yield Attempt(what, method, url, with_raw(name, raw))
    for content_type in ("text/plain", "", None, "application/xml"):
        shown = "no Content-Type" if content_type is None else f"Content-Type {content_type!r}"
        yield Attempt(f"valid JSON with {shown}", method, url, valid, content_type)
    if oversized:
        big = with_raw(text, json.dumps("x" * (2 * 1024 * 1024)))
        yield Attempt("oversized body", method, url, big)


def _param_values(schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(what, percent-encoded value) for a parameter of this schema."""
    yield "10,000 characters", LONG
    yield "an invalid UTF-8 escape", "%ED%A0%80"
    yield "a control character", "a%00b"
    kind, fmt = schema.get("type"), schema.get("format")
    if kind in ("integer", "number"):
        yield "a 5000-digit number", "9" * 5000
        yield "NaN", "NaN"
    if fmt in ("date-time", "date"):
        yield "beyond year 9999 in UTC", quote("9999-12-31T23:59:59-23:59", safe="")


def _baseline(
    spec: dict[str, Any], declared: list[dict[str, Any]], fixed: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]] | None:
    """Path values and required query values a valid request would carry, or None."""
    path_values: dict[str, str] = {}
    query: dict[str, str] = {}
    for param in declared:
        if param["in"] not in ("path", "query"):
            continue
        schema = specs.resolve(spec, param.get("schema", {}))
        value = fixed.get(param["name"], param.get("example", schema.get("example")))
        if value is None:
            value = schema.get("default", (schema.get("enum") or [None])[0])
        if param["in"] == "path":
            if value is None:
                return None
            path_values[param["name"]] = quote(str(value), safe="")
        elif param.get("required") and value is not None:
            query[param["name"]] = quote(_scalar(value), safe="")
    return path_values, query


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def _url(path: str, values: dict[str, str], query: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    if not query:
        return path
    return path + "?" + "&".join(f"{quote(k, safe='')}={v}" for k, v in query.items())


def _example(spec: dict[str, Any], media: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    example = media.get("example", schema.get("example"))
    if example is None:
        examples: dict[str, Any] = media.get("examples") or {}
        first: dict[str, Any] = next(iter(examples.values()), {})
        example = first.get("value")
    return dict(example) if isinstance(example, dict) else {}


# ---------------------------------------------------------------- what to watch
def _collection(surface: binding.Surface, op: dict[str, Any]) -> str | None:
    bound = surface.bindings.get(op.get("operationId", ""))
    return bound.collection.name if bound and bound.collection else None


def _observers(
    spec: dict[str, Any], surface: binding.Surface, fixed: dict[str, str]
) -> dict[str, tuple[str, str | None]]:
    """Every list the caller can read: ``"GET path"`` → (url, collection)."""
    found = {}
    for bound in surface.bindings.values():
        if bound.kind != "list" or bound.path not in spec["paths"]:
            continue
        op = spec["paths"][bound.path][bound.method.lower()]
        declared = [
            specs.resolve(spec, p)
            for p in (*spec["paths"][bound.path].get("parameters", ()), *op.get("parameters", ()))
        ]
        values = _baseline(spec, declared, fixed)
        if values is not None:
            url = _url(bound.path, *values)
            found[f"GET {bound.path}"] = (url, bound.collection.name if bound.collection else None)
    return found


def _observe(client: httpx.Client, result: Result, url: str) -> tuple[int, Any, str]:
    """(status, parsed body, why it is not JSON) of a list."""
    try:
        answer = client.get(url)
    except httpx.HTTPError as exc:
        return 0, None, str(exc)
    _count(result, answer.status_code)
    try:
        body = json.loads(answer.content, parse_constant=_refuse)
        _strict(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return (answer.status_code if answer.status_code != 200 else 599), None, str(exc)
    return answer.status_code, body, ""


def _refuse(name: str) -> Any:
    raise ValueError(f"the answer holds {name}, which JSON.parse refuses")


def _strict(value: Any) -> None:
    """Raise ValueError if a parsed answer holds what a browser cannot take back."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            node.encode("utf-8")  # a lone surrogate: UnicodeEncodeError, a ValueError
        elif isinstance(node, float) and not math.isfinite(node):
            raise ValueError("the answer holds a number beyond the double range")
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


# ---------------------------------------------------------------- sending
def _send(client: httpx.Client, result: Result, attempt: Attempt) -> httpx.Response | None:
    headers = {}
    if attempt.content_type is not None:
        headers["Content-Type"] = attempt.content_type
    try:
        answer = client.request(attempt.method, attempt.url, content=attempt.body, headers=headers)
    except httpx.HTTPError:
        result.requests += 1
        return None
    _count(result, answer.status_code)
    return answer


def _count(result: Result, status: int) -> None:
    result.requests += 1
    result.reached += reached(status)


def _fail(outcomes: dict[str, Outcome], check: str, why: str, attempt: Attempt) -> None:
    outcome = outcomes.get(check)
    if outcome is None or not outcome.passed:
        return  # not asked for, or already failed: the first failure says it
    outcome.passed = False
    outcome.message = why
    outcome.curl = [_attempt_curl(attempt)]


def _attempt_curl(attempt: Attempt) -> str:
    parts = ["curl", "-X", attempt.method, f'"$UNDERSTUDY_BASE_URL{attempt.url[:300]}"']
    if attempt.content_type is not None:
        parts += ["-H", f"'Content-Type: {attempt.content_type}'"]
    if attempt.body is not None:
        shown = attempt.body[:200].decode("utf-8", "backslashreplace").replace("'", "'\\''")
        more = " …" if len(attempt.body) > 200 else ""
        parts += ["--data-binary", f"'{shown}{more}'"]
    return " ".join(parts)

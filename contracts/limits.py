"""A surface's declared rate limit, seen from outside (``x-understudy.surface.rate_limit``).

verify keeps its own requests under the limit when its credentials count (``pace``), and the
``rate_limit`` check sends one burst past it: the implementation must refuse beyond the limit
with 429, say when to come back (``Retry-After``), and serve the credential again after that.
A limit the document states is part of the contract — clients are built to back off on it.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from understudy import binding, specs
from understudy.contracts.outcome import Counter, Outcome
from understudy.contracts.probe import Probe

CHECK = "rate_limit"
SHARE = 0.8  # of the declared rate that verify allows itself: clocks and networks jitter
MAX_BURST = 2000  # requests; a limit not reached by then cannot be told from a slow server
MAX_WAIT = 60.0  # seconds verify waits for Retry-After before calling the wait a violation
CANDIDATES = 5  # operations tried for one that answers 2xx before the burst


def limited_header(rule: binding.RateLimit | None, headers: dict[str, str]) -> str | None:
    """The header of ``headers`` the declared limit counts, if any."""
    if rule is None:
        return None
    return next((h for h in headers if rule.applies_to(h)), None)


def pace(rule: binding.RateLimit | None, headers: dict[str, str]) -> str | None:
    """schemathesis' ``rate-limit`` (``N/s`` or ``N/m``) that keeps verify under the declared
    limit, when the credentials it sends count; None when they do not."""
    if rule is None or limited_header(rule, headers) is None:
        return None
    per_second = rule.limit / rule.window * SHARE
    return f"{int(per_second)}/s" if per_second >= 1 else f"{max(1, int(per_second * 60))}/m"


class Pacer:
    """Spaces the semantic checks' requests as ``pace`` spaces schemathesis'."""

    def __init__(self, rule: binding.RateLimit) -> None:
        self.interval = rule.window / (rule.limit * SHARE)
        self._next = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            now = time.monotonic()
            wait, self._next = self._next - now, max(now, self._next) + self.interval
        if wait > 0:
            time.sleep(wait)


def check(
    spec: dict[str, Any],
    surface: binding.Surface,
    base_url: str,
    headers: dict[str, str],
    params: dict[str, str],
    counter: Counter,
) -> Outcome:
    rule = surface.rate_limit
    outcome = Outcome(CHECK, f"{surface.name} rate limit", passed=True)
    header = limited_header(rule, headers)
    if rule is None or header is None:
        outcome.skipped = True
        outcome.message = (
            "the surface declares no rate limit"
            if rule is None
            else f"verify's credentials are not rate limited; send one of "
            f"{', '.join(rule.credentials)} to check the limit"
        )
        return outcome
    outcome.operation = f"{surface.name} rate limit ({rule.limit} per {rule.window:g} s)"
    trail: list[str] = []
    probe = Probe(base_url, headers, "A", counter, trail)
    try:
        path = _served_path(spec, rule, header, params, probe)
        if path is None:
            outcome.skipped = True
            outcome.message = "no GET operation answered 2xx with these credentials and --param"
            return outcome
        outcome.operation = f"{outcome.operation}: GET {path}"
        _burst(rule, probe, path)
    except _TooSlow as slow:
        outcome.skipped, outcome.message = True, str(slow)
    except Violation as violation:
        outcome.passed, outcome.message, outcome.curl = False, str(violation), trail[-1:]
    except httpx.HTTPError as exc:
        outcome.passed, outcome.message, outcome.curl = False, f"request failed: {exc}", trail[-1:]
    finally:
        probe.close()
    return outcome


class Violation(Exception):
    """The limit is not enforced as declared."""


def _served_path(
    spec: dict[str, Any],
    rule: binding.RateLimit,
    header: str,
    params: dict[str, str],
    probe: Probe,
) -> str | None:
    """A GET the credential may call whose parameters ``params`` fill (the rule's partition
    first), that answers 2xx."""
    candidates = []
    for method, path, op in specs.operations(spec):
        if method.lower() != "get" or not _accepts(spec, op, header):
            continue
        declared = [specs.resolve(spec, p) for p in op.get("parameters", ())]
        declared += [specs.resolve(spec, p) for p in spec["paths"][path].get("parameters", ())]
        required = [p for p in declared if p.get("required") and p["in"] != "path"]
        holes = [p["name"] for p in declared if p["in"] == "path"]
        if required or any(h not in params for h in holes):
            continue
        concrete = path
        for hole in holes:
            concrete = concrete.replace("{" + hole + "}", params[hole])
        candidates.append((rule.per not in holes, len(holes), concrete))
    for _, _, path in sorted(candidates)[:CANDIDATES]:
        if probe.request("GET", path).is_success:
            return path
    return None


def _accepts(spec: dict[str, Any], op: dict[str, Any], header: str) -> bool:
    schemes = spec.get("components", {}).get("securitySchemes", {})
    for requirement in op.get("security", spec.get("security", [])):
        for name in requirement:
            scheme = schemes.get(name, {})
            sent_in = "Authorization" if scheme.get("type") == "http" else scheme.get("name", "")
            if sent_in.lower() == header.lower():
                return True
    return False


def _burst(rule: binding.RateLimit, probe: Probe, path: str) -> None:
    """Requests as fast as 32 connections go, until 429s come (and twice the limit went) or
    more were served than the limit allows: beyond the limit they must be 429s that say
    when to come back, and after that wait the credential is served again."""
    probe.trail.append(probe.curl("GET", path, None, None, None))
    answers: list[httpx.Response] = []
    lock = threading.Lock()
    started = time.monotonic()
    verdict: list[str] = []  # "refused", "served" (too many) or "budget"

    def served_bound() -> int:  # a sliding window serves `limit` per window, a bucket one more
        return rule.limit * (math.ceil((time.monotonic() - started) / rule.window) + 1)

    def send() -> None:
        while not verdict:
            answer = probe.client.get(path)
            with lock:
                answers.append(answer)
                served = sum(a.is_success for a in answers)
                if served > served_bound():
                    verdict.append("served")
                elif len(answers) >= 2 * rule.limit and any(a.status_code == 429 for a in answers):
                    verdict.append("refused")
                elif len(answers) >= MAX_BURST:
                    verdict.append("budget")

    with ThreadPoolExecutor(32) as pool:
        for running in [pool.submit(send) for _ in range(32)]:
            running.result()
    elapsed = time.monotonic() - started
    probe.counter.requests += len(answers)
    served = sum(a.is_success for a in answers)
    refused = [a for a in answers if a.status_code == 429]
    other = sorted({a.status_code for a in answers if not a.is_success and a.status_code != 429})
    if other:
        raise Violation(f"{len(answers)} quick requests got statuses {other} besides 2xx and 429")
    if verdict[0] == "served":
        raise Violation(
            f"{served} of {len(answers)} requests in {elapsed:.2f} s were served with one "
            f"credential; the declared limit is {rule.limit} per {rule.window:g} s"
        )
    if not refused:
        raise _TooSlow(elapsed)
    waits = []
    for answer in refused:
        wait = _retry_after(answer.headers.get("Retry-After"))
        if wait is None:
            raise Violation(
                f"a 429 has no usable Retry-After ({answer.headers.get('Retry-After')!r})"
            )
        if rule.message and rule.message.lower() not in answer.text.lower():
            raise Violation(f"a 429 does not say {rule.message!r}: {answer.text[:200]}")
        waits.append(wait)
    if max(waits) > MAX_WAIT:
        raise Violation(f"Retry-After asks for {max(waits):.0f} s, over {MAX_WAIT:.0f} s")
    time.sleep(max(waits))
    again = probe.request("GET", path)
    if not again.is_success:
        raise Violation(
            f"after waiting Retry-After ({max(waits):g} s) it answered {again.status_code}"
        )


class _TooSlow(Violation):
    def __init__(self, elapsed: float) -> None:
        super().__init__(
            f"the burst took {elapsed:.2f} s and got no 429, but was too slow to prove the "
            "limit missing"
        )


def _retry_after(value: str | None) -> float | None:
    """Seconds from ``Retry-After`` (delay-seconds or an HTTP-date), None when unusable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None

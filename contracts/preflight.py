"""Before a verification spends minutes: does the base URL serve this spec, and are the
credentials accepted? Either "no" stops the run with one clear line (exit 2) instead of a
report in which every request was a 404 or a 401 and half the checks still say "ok"."""

from __future__ import annotations

import re
from typing import Any

import httpx

from understudy import binding
from understudy.errors import UsageError


class PreflightError(UsageError):
    """The implementation cannot be verified as asked (exit 2)."""


def check(
    surface: binding.Surface,
    base_url: str,
    identities: dict[str, dict[str, str] | None],
    params: dict[str, str],
) -> None:
    """One read as each identity, on an operation needing no data of its own."""
    probe = _probe(surface, params)
    url = base_url + (probe or "")
    for who, headers in identities.items():
        if headers is None:
            continue
        try:
            answer = httpx.get(url, headers=headers, timeout=15)
        except httpx.HTTPError as exc:
            raise PreflightError(f"cannot reach {base_url}: {exc}") from None
        if probe is None:
            return  # nothing to read without data: reaching it is all we can tell
        said = _detail(answer)
        if answer.status_code == 404:
            raise PreflightError(
                f"{base_url} does not serve the {surface.name} API: GET {url} answered 404"
                f"{said} (is the base URL missing a prefix?)"
            )
        if answer.status_code in (401, 403):
            whose = {"B": "the other tenant's credentials", "C": "the other app's credentials"}.get(
                who, "the credentials"
            )
            refused = f"GET {url} answered {answer.status_code}{said}"
            if not headers:
                raise PreflightError(f"credentials are needed (--token or --header): {refused}")
            raise PreflightError(f"{whose} were refused: {refused}")


def _probe(surface: binding.Surface, params: dict[str, str]) -> str | None:
    """The path of a GET (a list first) whose path parameters --param fills, or None."""
    for kind in ("list", "get", "computed"):
        for bound in surface.bindings.values():
            if bound.method != "GET" or bound.kind != kind:
                continue
            path = re.sub(r"{([^}]+)}", lambda m: params.get(m.group(1), "\0"), bound.path)
            if "\0" not in path:
                return path
    return None


def _detail(answer: httpx.Response) -> str:
    try:
        data: Any = answer.json()
    except ValueError:
        text = " ".join(answer.text.split())[:120]
        return f": {text}" if text else ""
    if isinstance(data, dict):
        text = data.get("detail") or data.get("message") or data.get("title") or ""
        return f": {' '.join(str(text).split())[:160]}" if text else ""
    return ""

"""Credentials in reproduction commands: every ``curl`` a report prints names a secret header
by an environment variable (``-H "Authorization: $UNDERSTUDY_AUTH_A"``), the same way for
schemathesis' failures and the semantic checks' requests, so a command runs as printed once
the variables are exported and a CI log never holds a token. Other headers stay as they are.
"""

from __future__ import annotations

import shlex

# a header whose name holds one of these carries a secret (schemathesis' own markers)
MARKERS = ("auth", "token", "key", "secret", "password", "session", "cookie", "credential")


def is_secret(name: str) -> bool:
    if name.lower() == "x-understudy-session":  # names a session of the mock, grants nothing
        return False
    return any(marker in name.lower() for marker in MARKERS)


def variables(headers: dict[str, str], who: str) -> dict[str, str]:
    """Secret header name → the variable that holds its value: ``UNDERSTUDY_AUTH_A``, then
    ``UNDERSTUDY_AUTH_A_2`` … for more than one."""
    names = [name for name in headers if is_secret(name)]
    base = f"UNDERSTUDY_AUTH_{who}"
    return {name: base if i == 0 else f"{base}_{i + 1}" for i, name in enumerate(names)}


def header_args(headers: dict[str, str], who: str) -> list[str]:
    """``-H`` arguments for a curl command sent with ``headers`` as identity ``who``."""
    named = variables(headers, who)
    args = []
    for name, value in headers.items():
        shown = f'"{name}: ${named[name]}"' if name in named else shlex.quote(f"{name}: {value}")
        args += ["-H", shown]
    return args


def scrub(command: str, identities: dict[str, dict[str, str]]) -> str:
    """A curl written by someone else (schemathesis) with each identity's secret values
    replaced by their variables; ``identities`` maps "A"/"B" to the headers passed."""
    named = [
        (name, headers[name], variable)
        for who, headers in identities.items()
        for name, variable in variables(headers, who).items()
    ]
    # whole headers first: one header's value may hold another's (Figma's demo X-Figma-Token
    # inside its "Authorization: Bearer …"), whose variable would not expand in quotes
    for name, value, variable in named:
        command = command.replace(shlex.quote(f"{name}: {value}"), f'"{name}: ${variable}"')
    for _, value, variable in sorted(named, key=lambda n: len(n[1]), reverse=True):
        command = command.replace(value, f"${variable}")  # anywhere else it shows
    return command


def exports(identities: dict[str, dict[str, str]]) -> list[str]:
    """How to set the variables the commands use (the values are never printed)."""
    lines = []
    for who, headers in identities.items():
        tenant = {"A": "the first tenant", "B": "the other tenant"}.get(who, "the other app")
        for name, variable in variables(headers, who).items():
            lines.append(f"export {variable}='<the {name} header you passed for {tenant}>'")
    return lines

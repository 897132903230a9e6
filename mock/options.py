"""The ``serve`` options, one table: the command-line flags, the ``UNDERSTUDY_*`` environment
variables (named after the flags, exactly) and the README's table all come from it.

Every value is parsed and checked here, before anything loads: a mistake is one line that
says what was wrong and what is accepted (:class:`OptionError`), never a traceback after the
specs have loaded. A new option is one more row of :data:`SERVE`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from understudy.errors import UsageError

ENV_PREFIX = "UNDERSTUDY_"
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
# UNDERSTUDY_* variables that are not serve options (read by other commands, or by ./dev)
OTHER_VARIABLES = frozenset(
    {
        "UNDERSTUDY_AUTH_A",  # the credentials verify's reproduction commands read
        "UNDERSTUDY_AUTH_B",
        "UNDERSTUDY_AUTH_C",
        "UNDERSTUDY_BASE_URL",  # the hostile phase's reproduction commands
        "UNDERSTUDY_CACHE_DIR",  # where start-up caches live (understudy/cache.py)
    }
)


class OptionError(UsageError):
    """A serve option or environment variable that cannot be used: one line, exit 2."""


@dataclass(frozen=True)
class Option:
    flag: str  # "--port"
    field: str  # the Config field it sets
    help: str
    default: str  # as the README and --help show it
    parse: Callable[[str], Any] = str  # text → value; ValueError says what is accepted
    switch: Any = None  # a flag without a value: sets the field to this when given
    repeat: bool = False  # repeatable flag; comma-separated in the environment
    metavar: str | None = None

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.flag.removeprefix("--").upper().replace("-", "_")


def suggest(word: str, choices: Sequence[str]) -> str:
    """ " (did you mean X?)" when one of ``choices`` is close to ``word``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def one_of(choices: Callable[[], Sequence[str]], what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        known = list(choices())
        if text not in known:
            raise ValueError(f"no {what} {text!r}{suggest(text, known)}; known: {', '.join(known)}")
        return text

    return parse


def port(text: str) -> int:
    if not text.strip().isdigit() or int(text) > 65535:
        raise ValueError(f"{text!r} is not a port: expected 0-65535 (0 picks a free one)")
    return int(text)


def integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.strip().isdigit() or int(text) < low:
            raise ValueError(f"{text!r} is not a whole number of at least {low}")
        return int(text)

    return parse


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def nonempty(text: str) -> str:
    if not text.strip():
        raise ValueError("expected a host name, an address, a network (CIDR) or *")
    return text.strip()


def nonempty_token(text: str) -> str:
    if not text.strip():
        raise ValueError("expected a non-empty token")
    return text


def origin(text: str) -> str:
    if text != "*" and not re.fullmatch(r"https?://[^/\s]+", text):
        raise ValueError(f"{text!r} is not an origin: expected '*' or scheme://host[:port]")
    return text


def size(text: str) -> str:
    """``small``/``medium``/``large`` or counts such as ``people=50,days=30`` (checked)."""
    parse_size(text)
    return text


def parse_size(text: str) -> str | dict[str, int]:
    """A size name, or the counts it sets."""
    from understudy import fixtures

    if "=" not in text:
        known = fixtures.size_names()
        if text not in known:
            raise ValueError(
                f"unknown size {text!r}{suggest(text, known)}; expected {', '.join(known)} "
                "or counts such as people=50,days=30"
            )
        return text
    counts: dict[str, int] = {}
    known_counts = fixtures.count_names()
    for part in text.split(","):
        name, _, value = (s.strip() for s in part.partition("="))
        if name not in known_counts:
            raise ValueError(
                f"unknown count {name!r}{suggest(name, known_counts)}; "
                f"known: {', '.join(known_counts)}"
            )
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"{name}={value}: expected a whole number of at least 1")
        counts[name] = int(value)
    return counts


def rate_limit(text: str) -> str:
    from understudy.mock.limits import parse_option

    try:
        parse_option(text)
    except ValueError:
        raise ValueError("expected 'off' or a whole number of requests, at least 1") from None
    return text


def _surfaces() -> list[str]:
    from understudy import specs

    return list(specs.surfaces())


def _fixtures() -> list[str]:
    from understudy.fixtures.named import names

    return names()


def _apps() -> list[str]:
    return ["async", "flask"]


SERVE: list[Option] = [
    Option("--host", "host", "interface to listen on", "127.0.0.1"),
    Option("--port", "port", "port; 0 picks a free one (the banner says which)", "8080", port),
    Option(
        "--surface",
        "surfaces",
        "serve only this surface (repeatable)",
        "all",
        one_of(_surfaces, "surface"),
        repeat=True,
        metavar="NAME",
    ),
    Option(
        "--root-surface",
        "root_surface",
        "serve this surface at / (for clients that cannot take a path prefix)",
        "",
        one_of(_surfaces, "surface"),
        metavar="NAME",
    ),
    Option(
        "--app",
        "app",
        "connexion's AsyncApp, or its FlaskApp (about half the throughput and a ten times "
        "longer tail; same behaviour, the test suite runs on both)",
        "async",
        one_of(_apps, "app class"),
        metavar="async|flask",
    ),
    Option("--secret", "secret", "HS256 secret for bearer tokens", "a dev secret"),
    Option(
        "--no-verify-signatures",
        "verify_signatures",
        "accept any well-formed JWT (keep your identity provider's tokens)",
        "off",
        switch=False,
    ),
    Option(
        "--cors-origin",
        "cors_origins",
        "allowed CORS origin (repeatable); credentials mode is allowed",
        "*",
        origin,
        repeat=True,
        metavar="ORIGIN",
    ),
    Option("--seed", "seed", "demo tenant seed", "42", integer),
    Option(
        "--size",
        "size",
        "demo tenant size: small, medium, large, or counts such as people=50,days=30",
        "small",
        size,
    ),
    Option(
        "--fixture",
        "fixture",
        "start on a named hand-curated tenant instead (fixtures/data/NAME.yaml)",
        "",
        one_of(_fixtures, "fixture"),
        metavar="NAME",
    ),
    Option("--empty", "demo", "start with no data", "off", switch=False),
    Option(
        "--validate-responses",
        "validate_responses",
        "check every response against the spec (slower; a 500 names the mismatch)",
        "off",
        switch=True,
    ),
    Option(
        "--rate-limit",
        "rate_limit",
        "the specs' rate limits (Clockify: 50 requests/s per add-on token and workspace → 429 "
        "with Retry-After): off, or N per window for every key, API keys included, to test a "
        "client's back-off",
        "as declared",
        rate_limit,
        metavar="off|N",
    ),
    Option(
        "--webhook-allow",
        "webhook_allow",
        "where webhooks may be delivered (repeatable; *.example.com for a domain, * for "
        "anywhere); never to the mock itself",
        "loopback",
        nonempty,
        repeat=True,
        metavar="HOST|CIDR|*",
    ),
    Option(
        "--webhook-attempts",
        "webhook_attempts",
        "attempts per webhook delivery, the first included",
        "5",
        at_least(1),
        metavar="N",
    ),
    Option(
        "--webhook-retry-delay",
        "webhook_retry_delay",
        "seconds before the first retry, doubling after each, with jitter",
        "2",
        seconds,
        metavar="SECONDS",
    ),
    Option(
        "--admin-token",
        "admin_token",
        "required by the admin API in X-Understudy-Admin-Token; bound beyond loopback the mock "
        "makes one up and prints it",
        "none on loopback",
        nonempty_token,
        metavar="TOKEN",
    ),
    Option(
        "--max-body",
        "max_body",
        "request body limit (413 beyond)",
        "1048576",
        at_least(1),
        metavar="BYTES",
    ),
    Option(
        "--max-header",
        "max_header",
        "all request headers together (431 beyond)",
        "65536",
        at_least(1),
        metavar="BYTES",
    ),
    Option(
        "--max-url",
        "max_url",
        "path and query string (414 beyond)",
        "16384",
        at_least(1),
        metavar="BYTES",
    ),
    Option(
        "--max-snapshot",
        "max_snapshot",
        "PUT /__understudy/snapshot body limit",
        "67108864",
        at_least(1),
        metavar="BYTES",
    ),
    Option(
        "--read-timeout",
        "read_timeout",
        "seconds for a whole request to arrive",
        "30",
        seconds,
        metavar="SECONDS",
    ),
    Option(
        "--journal-size",
        "journal_size",
        "requests the journal keeps",
        "200",
        at_least(1),
        metavar="N",
    ),
    Option(
        "--store",
        "store",
        "where state lives: memory, sqlite:///PATH (durable, one file) or "
        "postgresql://USER@HOST/DB (shared by workers and hosts)",
        "memory",
        nonempty_token,
        metavar="URL",
    ),
    Option(
        "--workers",
        "workers",
        "processes serving one sqlite or postgresql store",
        "1",
        at_least(1),
        metavar="N",
    ),
    Option(
        "--session-ttl",
        "session_ttl",
        "seconds an idle X-Understudy-Session lives; 0: until deleted",
        "3600",
        at_least(0),
        metavar="SECONDS",
    ),
    Option(
        "--log-format",
        "log_format",
        "one line per request: text, or json for machines",
        "text",
        one_of(lambda: ["text", "json"], "log format"),
        metavar="text|json",
    ),
    Option("--quiet", "quiet", "no line per request", "off", switch=True),
    Option(
        "--log-level",
        "log_level",
        "uvicorn's own log level",
        "warning",
        one_of(lambda: ["critical", "error", "warning", "info", "debug", "trace"], "log level"),
        metavar="LEVEL",
    ),
]


def known_variables(options: Sequence[Option] = SERVE) -> list[str]:
    return sorted({o.env for o in options} | OTHER_VARIABLES)


def from_environ(
    environ: Mapping[str, str], options: Sequence[Option] = SERVE, also: Sequence[str] = ()
) -> dict[str, Any]:
    """Config values from ``UNDERSTUDY_*`` variables; a misspelt one is an error (``also``:
    variables read elsewhere)."""
    known = [*known_variables(options), *also]
    stems = {name.removeprefix(ENV_PREFIX): name for name in known}
    for name in environ:
        if name.startswith(ENV_PREFIX) and name not in known:
            close = difflib.get_close_matches(name.removeprefix(ENV_PREFIX), stems, 1, 0.75)
            if close:  # only near misses: other tools may use the prefix for their own
                raise OptionError(
                    f"unknown environment variable {name} (did you mean {stems[close[0]]}?)"
                )
    values: dict[str, Any] = {}
    for option in options:
        raw = environ.get(option.env)
        if raw is None:
            continue
        where = f"{option.env}={raw!r}"
        if option.switch is not None:
            flag = raw.strip().lower()
            if flag not in TRUE + FALSE:
                raise OptionError(f"{where}: expected 1 or 0 (true/false, yes/no, on/off)")
            if flag in TRUE:
                values[option.field] = option.switch
            continue
        values[option.field] = _parse(option, raw, where)
    return values


def from_flags(given: Mapping[str, Any], options: Sequence[Option] = SERVE) -> dict[str, Any]:
    """Config values from parsed flags (argparse's namespace as a dict of raw strings)."""
    values: dict[str, Any] = {}
    for option in options:
        raw = given.get(_dest(option))
        if option.switch is not None:
            if raw:
                values[option.field] = option.switch
        elif option.repeat and raw:
            values[option.field] = tuple(_parse(option, r, f"{option.flag} {r!r}") for r in raw)
        elif raw is not None and not option.repeat:
            values[option.field] = _parse(option, raw, f"{option.flag} {raw!r}")
    return values


def _parse(option: Option, raw: str, where: str) -> Any:
    try:
        if option.repeat and not where.startswith("--"):
            return tuple(option.parse(part.strip()) for part in raw.split(",") if part.strip())
        return option.parse(raw)
    except ValueError as exc:
        message = str(exc)
        if message.startswith(repr(raw)):  # "'abc' is not a port" → "--port 'abc' is not …"
            raise OptionError(f"{where}{message[len(repr(raw)) :]}") from None
        raise OptionError(f"{where}: {message}") from None


def _dest(option: Option) -> str:
    return option.flag.removeprefix("--").replace("-", "_")


def add_arguments(parser: Any, options: Sequence[Option] = SERVE) -> None:
    """The options as argparse flags; values stay strings until :func:`from_flags`."""
    for option in options:
        text = f"{option.help} (default {option.default}; env {option.env})"
        if option.switch is not None:
            parser.add_argument(option.flag, action="store_true", help=text)
        elif option.repeat:
            parser.add_argument(option.flag, action="append", metavar=option.metavar, help=text)
        else:
            parser.add_argument(option.flag, metavar=option.metavar, help=text)


def markdown_table(options: Sequence[Option] = SERVE) -> str:
    """The README's options table (a test keeps the README's copy equal to it)."""
    rows = ["| option | environment | default | |", "|---|---|---|---|"]
    for option in options:
        flag = option.flag
        if option.switch is None:
            flag += " " + (option.metavar or option.flag.removeprefix("--").upper())
        default = f"`{option.default}`" if option.default else ""
        row = f"| `{flag}` | `{option.env}` | {default} | {option.help} |"
        for piped in ("async|flask", "off|N", "HOST|CIDR|*"):  # a pipe inside a cell
            row = row.replace(piped, piped.replace("|", "\\|"))
        rows.append(row)
    return "\n".join(rows)


def config_for_serve(given: Mapping[str, Any], environ: Mapping[str, str]) -> Any:
    """The ``serve`` command's Config: defaults < environment < flags, all checked."""
    from understudy.mock.config import Config

    values: dict[str, Any] = {"quiet": False}  # the terminal shows traffic by default
    values.update(from_environ(environ))
    values.update(from_flags(given))
    served = values.get("surfaces") or tuple(_surfaces())
    root = values.get("root_surface")
    if root and root not in served:
        raise OptionError(f"--root-surface {root} is not served (served: {', '.join(served)})")
    workers, store = values.get("workers", 1), str(values.get("store", "memory"))
    if workers > 1 and store.lower() in ("", "memory"):
        raise OptionError(
            f"--workers {workers} needs a store the processes share: the memory store lives "
            "inside one process; use --store sqlite:///state.db or --store postgresql://USER@HOST/DB"
        )
    fixture = values.get("fixture")
    if fixture:
        from understudy import specs
        from understudy.fixtures.named import DATA

        surface = specs.read_yaml(DATA / f"{fixture}.yaml").get("surface")
        if surface not in served:
            raise OptionError(
                f"--fixture {fixture} is a tenant of {surface}, which is not served "
                f"(served: {', '.join(served)})"
            )
    return Config(**values)

"""The mock's one configuration object: defaults that work on a fresh machine, overridden by
``UNDERSTUDY_*`` environment variables, overridden by command-line flags (both read and
checked by the option table in ``mock/options.py``)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from understudy.mock import options
from understudy.mock.auth import DEV_SECRET
from understudy.mock.outbound import DEFAULT_ALLOW

MiB = 1024 * 1024


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    surfaces: tuple[str, ...] = ()  # empty: every surface whose specs exist
    root_surface: str | None = None  # serve this one surface at "/" instead of its prefix
    specs: tuple[str, ...] = ()  # a team's own OpenAPI files or URLs (understudy serve PATH)
    prefixes: tuple[str, ...] = ()  # where each of them is served (default /<file name>)
    app: str = "async"  # the connexion app class: async (AsyncApp) or flask (FlaskApp)
    secret: str = DEV_SECRET
    verify_signatures: bool = True
    cors_origins: tuple[str, ...] = ("*",)
    seed: int = 42
    size: str = "small"
    fixture: str | None = None  # a named fixture (fixtures/data/<name>.yaml) instead of seed/size
    demo: bool = True  # load the deterministic demo tenant on start
    validate_responses: bool = False  # the test suite turns it on: the mock never lies
    log_format: str = "text"  # the access line per request: text or json
    quiet: bool = True  # no access lines (the library's default; `serve` turns them on)
    log_level: str = "warning"  # uvicorn's own log
    max_body: int = MiB
    max_snapshot: int = 64 * MiB  # PUT /__understudy/snapshot: a whole large tenant
    max_header: int = 64 * 1024  # all request headers together (431 beyond)
    max_url: int = 16 * 1024  # path and query string (414 beyond)
    read_timeout: float = 30.0  # seconds for a whole request to arrive (mock/server.py)
    journal_size: int = 200
    rate_limit: str | None = None  # None: as the specs declare; "off"; or N per window, any key
    webhook_allow: tuple[str, ...] = DEFAULT_ALLOW  # receivers webhooks may reach (mock.outbound)
    webhook_attempts: int = 5  # attempts per delivery, the first included
    webhook_retry_delay: float = 2.0  # seconds before the first retry, doubling after each
    # required in X-Understudy-Admin-Token by the admin API; bound beyond loopback without
    # one, the mock makes one up and prints it (mock/admin_access.py)
    admin_token: str | None = None
    store: str = "memory"  # memory, sqlite:///PATH or postgresql://USER@HOST/DB
    workers: int = 1  # processes serving one shared store (sqlite or postgresql)
    session_ttl: int = 3600  # seconds an idle X-Understudy-Session lives; 0: until deleted

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """Defaults < ``UNDERSTUDY_<OPTION>`` variables < ``overrides`` (None means unset).

        Raises ``options.OptionError`` (one line) for a value that cannot be used."""
        environ = os.environ if environ is None else environ
        plain = _without_option()  # fields no flag sets (a team's specs): UNDERSTUDY_<FIELD>
        values = options.from_environ(environ, also=[_env(f) for f in plain])
        for spec_field in plain:
            raw = environ.get(_env(spec_field))
            if raw is not None:
                values[spec_field.name] = (
                    tuple(p for p in raw.split(",") if p)
                    if str(spec_field.type).startswith("tuple")
                    else raw
                )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The configuration as the options' ``UNDERSTUDY_*`` variables (for worker
        processes, which read it back with ``from_env``)."""
        out = {}
        for option in options.SERVE:
            value = getattr(self, option.field)
            if option.switch is not None:
                out[option.env] = "1" if value == option.switch else "0"
            elif isinstance(value, tuple):
                out[option.env] = ",".join(value)
            elif value is not None:
                out[option.env] = str(value)
        for spec_field in _without_option():
            value = getattr(self, spec_field.name)
            out[_env(spec_field)] = ",".join(value) if isinstance(value, tuple) else str(value)
        return out


def _without_option() -> list[dataclasses.Field[Any]]:
    covered = {option.field for option in options.SERVE}
    return [f for f in dataclasses.fields(Config) if f.name not in covered]


def _env(spec_field: dataclasses.Field[Any]) -> str:
    return f"UNDERSTUDY_{spec_field.name.upper()}"

"""The ``understudy`` command line: thin commands over the library.

understudy serve     run the mock (every surface, demo tenant loaded)
understudy token     mint a bearer token for the mock's JWT surfaces
understudy seed      generate a demo tenant: to a file, into a mock, or through any API
understudy verify    check a running implementation against the spec
understudy surfaces  list the surfaces and their operations
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import difflib
import errno
import os
import re
import socket
import sys
import time
from collections.abc import Mapping
from typing import Any, NoReturn

from understudy import __version__, specs
from understudy.errors import UsageError
from understudy.mock.store import StoreError


def _surfaces(args: argparse.Namespace) -> int:
    for surface, mounts in specs.surfaces().items():
        for mount in mounts:
            ops = len(specs.operations(specs.bundle(mount)))
            files = ", ".join(f.name for f in mount.files)
            print(f"{surface:10} {mount.prefix:20} {ops:4} operations  {files}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from understudy.mock import options

    if args.explain:
        return _explain(args)
    config = options.config_for_serve(vars(args), os.environ)  # every mistake: one line, now
    if args.watch and config.workers > 1:  # worker processes build their own app, once
        raise options.OptionError(
            f"--watch reloads the specs of one process: it cannot reload --workers "
            f"{config.workers} (serve one worker while you edit the specs)"
        )
    if args.spec:  # a team's own specs, each at its --prefix
        config = dataclasses.replace(config, specs=tuple(args.spec), prefixes=tuple(args.prefix))
    if args.prepare:
        return _prepare(config)
    sock = _listen(config.host, config.port)  # before the banner: it shows the real port
    config = dataclasses.replace(config, port=sock.getsockname()[1])

    from understudy.mock import admin_access, demo, server
    from understudy.mock.app import create_app

    print(
        f"understudy {__version__}: loading specs and the demo tenant …",
        file=sys.stderr,
        flush=True,
    )
    mock = create_app(config)
    host = f"[{config.host}]" if ":" in config.host else config.host
    base = f"http://{host}:{config.port}"
    banner = _banner(base, mock, demo.credentials(mock, base))
    out = sys.stderr if config.log_format == "json" else sys.stdout  # JSON lines stay clean
    print(banner, file=out, flush=True)
    if mock.admin_token:
        print(
            f"  admin token: {mock.admin_token}  (send it as X-Understudy-Admin-Token)",
            file=out,
            flush=True,
        )
    if not admin_access.is_loopback(config.host):
        print(
            f"understudy: warning: listening on {config.host}, beyond this machine: anyone "
            "who reaches it can use the surfaces; the admin API needs the admin token",
            file=sys.stderr,
            flush=True,
        )
    for user in mock.user_specs:  # what a team's own spec was bound to
        print(f"  {user.name} ({user.source}) operations:", file=out)
        print("\n".join("    " + line for line in user.inferred.summary()), file=out, flush=True)
    app: Any = mock.app
    if args.watch:
        from understudy.mock.watch import Reloader

        app = Reloader(mock).start()
    if config.workers > 1:  # each worker process builds the app from the environment
        mock.close()  # and opens the store the parent prepared
        shared = dataclasses.replace(config, admin_token=mock.admin_token)
        os.environ.update(shared.to_env())
        app = "understudy.mock.app:worker_app"
    settings = server.config(
        app,
        factory=config.workers > 1,
        workers=config.workers,
        read_timeout=config.read_timeout,
        host=config.host,  # uvicorn serves the bound socket; these name it in its own log
        port=config.port,
        log_level=config.log_level,
        access_log=False,
    )
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled
        server.serve(settings, sock)
    return 0


def _prepare(config: Any) -> int:
    """Load what a start loads, in memory (the configured store is left as it is), so that
    the cache holds it."""
    from understudy import cache
    from understudy.mock.app import create_app

    started = time.perf_counter()
    create_app(dataclasses.replace(config, store="memory", workers=1)).close()
    where = cache.directory()
    print(
        f"understudy: start-up cache ready in {where} ({time.perf_counter() - started:.1f} s)"
        if where
        else "understudy: the cache is off (UNDERSTUDY_CACHE_DIR=off): nothing to prepare",
        file=sys.stderr,
    )
    return 0


def _explain(args: argparse.Namespace) -> int:
    """Print the x-understudy declarations inferred for each spec, to paste and refine."""
    from understudy import infer, userspecs
    from understudy.fixtures import instances

    if not args.spec:
        print("understudy serve --explain: name a spec (PATH_OR_URL)", file=sys.stderr)
        return 2
    for user in userspecs.load_all(tuple(args.spec), tuple(args.prefix)):
        instances.complete(user.spec)  # generated defaults, shown as they will be used
        print(f"# {user.source}: the bindings inferred by REST convention")
        print(infer.explain(user.inferred))
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or a one-line OptionError (in use, no such interface)."""
    from understudy.mock.options import OptionError

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno == errno.EADDRINUSE:
            reason += " (another server is on it: pick another --port, or 0 for a free one)"
        raise OptionError(f"cannot listen on {host}:{port}: {reason}") from None
    return sock


def _banner(base: str, mock: Any, credentials: dict[str, Any]) -> str:
    lines = [
        f"Understudy {__version__} serving on {base}",
        f"  {'start here':18} {base}/   (surfaces, docs, credentials, admin API)",
    ]
    for surface, entry in credentials.items():
        records = sum(mock.stores[surface].count().values())
        for name, url in entry["base_urls"].items():
            lines.append(f"  {name:18} {url}   docs: {url}/ui/")
        if entry.get("tenant_id"):
            who = f"demo tenant {entry['tenant_id']}, you are {entry.get('sub')}"
            lines.append(f"  {'':18} {who}, {records} records")
        if entry.get("token"):
            lines.append(f"  {'':18} token: {entry['token']}")
        elif entry.get("headers"):
            shown = ", ".join(f"{k}: {v}" for k, v in entry["headers"].items())
            lines.append(f"  {'':18} headers: {shown}")
        if entry.get("note"):
            lines.append(f"  {'':18} {entry['note']}")
    example = _example(mock, credentials)
    if example:
        lines.append(f"  try: {example}")
    workers = mock.config.workers
    lines.append(f"  store: {mock.backend.name}" + (f", {workers} workers" if workers > 1 else ""))
    lines.append(f"  admin: {base}/__understudy/  (credentials, health, reset, snapshot, journal)")
    return "\n".join(lines)


def _example(mock: Any, credentials: dict[str, Any]) -> str | None:
    """A curl that answers with demo data: the first list (or read) a served surface has
    whose path needs nothing but the demo identity or a demo record."""
    from understudy.mock import demo

    for surface, entry in credentials.items():
        if not entry.get("headers"):
            continue
        for mounted in (m for m in mock.mounted if m.mount.surface == surface):
            known = demo.path_values(mock, mounted)
            for kind in ("list", "get", "computed"):
                for bound in mounted.surface.bindings.values():
                    values = {**entry, **known.get(bound.path, {})}
                    path = _fill(bound.path, values)
                    if bound.method == "GET" and bound.kind == kind and "{" not in path:
                        url = entry["base_urls"][mounted.mount.name] + path
                        header = " ".join(f"-H '{k}: {v}'" for k, v in entry["headers"].items())
                        return f"curl {header} '{url}'"
    return None


def _fill(template: str, values: dict[str, Any]) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(values.get(m.group(1), m.group(0))), template)


def _token(args: argparse.Namespace) -> int:
    from understudy.mock import auth
    from understudy.mock.config import Config

    config = Config.from_env(secret=args.secret)
    claims = {"tenant_id": args.tenant, "sub": args.sub, "app_id": args.app}
    print(auth.mint(config.secret, claims, ttl=args.ttl))
    return 0


def _seed(args: argparse.Namespace) -> int:
    from understudy.fixtures import command

    return command.run(args)


def build_parser() -> _Parser:
    parser = _Parser(
        prog="understudy", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"understudy {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    surfaces = commands.add_parser(
        "surfaces", help="list the surfaces, their mounts and operation counts"
    )
    surfaces.set_defaults(run=_surfaces)

    serve = commands.add_parser(
        "serve",
        help="run the mock",
        description="Run the stateful mock. Every option can also be set as an environment "
        "variable: --root-surface as UNDERSTUDY_ROOT_SURFACE, --empty as UNDERSTUDY_EMPTY=1.",
    )
    serve.add_argument(
        "spec",
        nargs="*",
        metavar="PATH_OR_URL",
        help="your own OpenAPI file or URL (YAML/JSON, 3.0 or 3.1), served instead of the "
        "built-in surfaces (add --surface NAME to serve those beside it)",
    )
    serve.add_argument(
        "--prefix",
        action="append",
        default=[],
        help="where the n-th spec is served (default /<file name>; / for the root)",
    )
    serve.add_argument(
        "--explain",
        action="store_true",
        help="print the x-understudy bindings inferred for the specs as YAML, and exit",
    )
    serve.add_argument(
        "--watch", action="store_true", help="reload the specs when their files change"
    )
    serve.add_argument(
        "--prepare",
        action="store_true",
        help="build the start-up cache for these options (checked specs, demo tenant) and exit: "
        "the next start is ready in under a second (./dev and the image do it at install)",
    )
    from understudy.mock import options

    options.add_arguments(serve)
    serve.set_defaults(run=_serve)

    token = commands.add_parser("token", help="mint a bearer token for the mock")
    token.add_argument("--tenant", required=True, help="tenant id (claim tenant_id)")
    token.add_argument("--sub", required=True, help="person id of the caller (claim sub)")
    token.add_argument("--app", help="application id, for an app-scoped token (claim app_id)")
    token.add_argument(
        "--secret", help="HS256 secret (default: UNDERSTUDY_SECRET or the dev secret)"
    )
    token.add_argument(
        "--ttl", type=int, default=30 * 24 * 3600, help="lifetime in seconds (default 30 days)"
    )
    token.set_defaults(run=_token)

    from understudy.fixtures import command

    command.add_parser(commands).set_defaults(run=_seed)

    from understudy.contracts import command as verify_command

    verify_command.add_parser(commands).set_defaults(run=verify_command.run)
    parser.commands = dict(commands.choices)
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line with a "did you mean" (exit 2)."""

    commands: Mapping[str, argparse.ArgumentParser]

    def error(self, message: str) -> NoReturn:
        hint = ""
        if message.startswith("unrecognized arguments:"):
            flags = [f for a in self._actions for f in a.option_strings]
            unknown = message.split(":", 1)[1].split()
            for word in unknown:
                close = difflib.get_close_matches(word.split("=")[0], flags, n=1, cutoff=0.6)
                if word.startswith("-") and close:
                    hint = f" (did you mean {close[0]}?)"
                    break
        elif "invalid choice:" in message:
            bad = message.split("invalid choice: ", 1)[1].split("'")[1]
            choices = [c for a in self._actions for c in (a.choices or ())]
            close = difflib.get_close_matches(bad, [str(c) for c in choices], n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
        self.exit(2, f"{self.prog}: {message}{hint}; see {self.prog} --help\n")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if not argv:  # a bare `understudy` (or `./dev`) shows what it can do
        parser.print_help()
        return 0
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the command's own parser, which knows what the user meant
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return int(args.run(args))
    except (specs.SpecError, UsageError, StoreError) as exc:  # OptionError is a UsageError
        print(f"understudy {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

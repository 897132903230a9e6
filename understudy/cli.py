"""The ``understudy`` command line: thin commands over the library.

understudy serve     run the mock (every surface, demo tenant loaded)
understudy token     mint a bearer token for the mock's JWT surfaces
understudy seed      generate a demo tenant: to a file, into a mock, or through any API
understudy verify    check a running implementation against the spec
understudy surfaces  list the surfaces and their operations
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Any

from understudy import __version__, specs
from understudy.mock.store import StoreError


def _surfaces(args: argparse.Namespace) -> int:
    for surface, mounts in specs.surfaces().items():
        for mount in mounts:
            ops = len(specs.operations(specs.bundle(mount)))
            files = ", ".join(f.name for f in mount.files)
            print(f"{surface:10} {mount.prefix:20} {ops:4} operations  {files}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from understudy.mock import admin_access, demo, server
    from understudy.mock.app import create_app
    from understudy.mock.config import Config

    if args.explain:
        return _explain(args)
    config = Config.from_env(
        specs=tuple(args.spec) or None,
        prefixes=tuple(args.prefix) or None,
        host=args.host,
        port=args.port,
        surfaces=tuple(args.surface) or None,
        root_surface=args.root_surface,
        app=args.app,
        secret=args.secret,
        verify_signatures=False if args.no_verify_signatures else None,
        cors_origins=tuple(args.cors_origin) or None,
        seed=args.seed,
        size=args.size,
        fixture=args.fixture,
        demo=False if args.empty else None,
        validate_responses=True if args.validate_responses else None,
        rate_limit=args.rate_limit,
        webhook_allow=tuple(args.webhook_allow) or None,
        webhook_attempts=args.webhook_attempts,
        webhook_retry_delay=args.webhook_retry_delay,
        admin_token=args.admin_token,
        store=args.store,
        workers=args.workers,
        session_ttl=args.session_ttl,
    )
    if config.workers < 1:
        print("understudy: --workers must be 1 or more", file=sys.stderr)
        return 2
    if config.workers > 1 and config.store.lower() in ("", "memory"):
        print(
            f"understudy: --workers {config.workers} needs a store the processes share: the "
            "memory store lives inside one process; use --store sqlite:///state.db or "
            "--store postgresql://USER@HOST/DB",
            file=sys.stderr,
        )
        return 2
    print(
        f"understudy {__version__}: loading specs and the demo tenant …",
        file=sys.stderr,
        flush=True,
    )
    mock = create_app(config)
    base = f"http://{config.host}:{config.port}"
    print(_banner(base, mock, demo.credentials(mock, base)), flush=True)
    if mock.admin_token:
        print(
            f"  admin token: {mock.admin_token}  (send it as X-Understudy-Admin-Token)",
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
        print(f"  {user.name} ({user.source}) operations:")
        print("\n".join("    " + line for line in user.inferred.summary()), flush=True)
    app: Any = mock.app
    if args.watch:
        from understudy.mock.watch import Reloader

        app = Reloader(mock).start()
    if config.workers > 1:
        mock.close()  # each worker opens the store the parent prepared
        shared = dataclasses.replace(config, admin_token=mock.admin_token)
        os.environ.update(shared.to_env())
        uvicorn.run(
            "understudy.mock.app:worker_app",
            factory=True,
            workers=config.workers,
            host=config.host,
            port=config.port,
            log_level=args.log_level,
            timeout_keep_alive=server.KEEP_ALIVE,
        )
        return 0
    uvicorn.Server(
        server.config(
            app,
            read_timeout=config.read_timeout,
            host=config.host,
            port=config.port,
            log_level=args.log_level,
        )
    ).run()
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


def _banner(base: str, mock: Any, credentials: dict[str, Any]) -> str:
    lines = [f"Understudy {__version__} serving on {base}"]
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
    first = next((e for e in credentials.values() if e.get("token")), None)
    if first:
        url = next(iter(first["base_urls"].values()))
        example = (
            "/api/v1/work/time-entries?page_size=5" if url.endswith("/edm") or url == base else "/"
        )
        lines.append(f"  try: curl -H 'Authorization: Bearer {first['token']}' '{url}{example}'")
    workers = mock.config.workers
    lines.append(f"  store: {mock.backend.name}" + (f", {workers} workers" if workers > 1 else ""))
    lines.append(f"  admin: {base}/__understudy/  (credentials, health, reset, snapshot, journal)")
    return "\n".join(lines)


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
        description="Run the stateful mock. Every option can also be set as UNDERSTUDY_<OPTION>.",
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
    serve.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080)")
    serve.add_argument(
        "--surface", action="append", default=[], help="serve only this surface (repeatable)"
    )
    serve.add_argument("--root-surface", help="serve this surface at / instead of its prefix")
    serve.add_argument(
        "--app",
        choices=["flask", "async"],
        help="connexion app class: async (default) or flask (about half the throughput)",
    )
    serve.add_argument("--secret", help="HS256 secret for bearer tokens (default: a dev secret)")
    serve.add_argument(
        "--no-verify-signatures",
        action="store_true",
        help="accept any well-formed JWT without checking its signature",
    )
    serve.add_argument(
        "--cors-origin", action="append", default=[], help="allowed CORS origin (default *)"
    )
    serve.add_argument("--seed", type=int, help="demo tenant seed (default 42)")
    serve.add_argument("--size", help="demo tenant size: small, medium, large (default small)")
    serve.add_argument(
        "--fixture", help="start on a named fixture (fixtures/data/NAME.yaml), e.g. edm-demo"
    )
    serve.add_argument("--empty", action="store_true", help="start with no demo data")
    serve.add_argument(
        "--validate-responses",
        action="store_true",
        help="check every response against the spec (slower; a 500 names the mismatch)",
    )
    serve.add_argument(
        "--rate-limit",
        metavar="off|N",
        help="the specs' rate limits (Clockify: 50/s per add-on token and workspace): off, or"
        " N requests per window for every credential, API keys included",
    )
    serve.add_argument(
        "--webhook-allow",
        action="append",
        default=[],
        metavar="HOST|CIDR|*",
        help="where webhooks may be delivered (repeatable; *.example.com for a domain, * for"
        " anywhere; default loopback receivers); never to the mock itself",
    )
    serve.add_argument(
        "--webhook-attempts", type=int, help="attempts per webhook delivery (default 5)"
    )
    serve.add_argument(
        "--webhook-retry-delay",
        type=float,
        metavar="SECONDS",
        help="wait before the first retry, doubling after each, with jitter (default 2)",
    )
    serve.add_argument(
        "--admin-token",
        help="token the admin API requires in X-Understudy-Admin-Token (default: none on "
        "loopback, a generated one otherwise)",
    )
    serve.add_argument(
        "--store",
        help="where state lives: memory (default), sqlite:///PATH (durable, one file) or "
        "postgresql://USER@HOST/DB (shared by workers and hosts)",
    )
    serve.add_argument(
        "--workers", type=int, help="processes serving one sqlite or postgresql store (default 1)"
    )
    serve.add_argument(
        "--session-ttl",
        type=int,
        help="seconds an idle X-Understudy-Session lives (default 3600; 0: until deleted)",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (specs.SpecError, StoreError) as exc:
        print(f"understudy: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

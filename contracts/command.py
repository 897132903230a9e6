"""``understudy verify``: exit 0 when the implementation conforms, 1 on violations, 2 on
usage errors."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from understudy.arguments import output_file

DESCRIPTION = """\
Verify a running implementation of a surface against its spec: every operation with valid
and invalid data (schemathesis: status codes, content types, headers, bodies, server errors,
stateful workflows over the spec's links) and the rules a schema cannot express (tenant
isolation, server stamps, soft delete, lifecycles; idempotency and upsert where the spec
declares them). Each failure comes with curl commands that reproduce it.

  understudy verify --surface edm --base-url http://127.0.0.1:8080/edm \\
      --token "$TOKEN_A" --other-token "$TOKEN_B" --junit verify.xml
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    verify = commands.add_parser(
        "verify",
        help="check a running implementation against the spec (exit 1 on violations)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument("--surface", default="edm", help="the surface (default edm)")
    verify.add_argument(
        "--spec",
        metavar="PATH_OR_URL",
        help="verify against your own OpenAPI document (3.0 or 3.1) instead of a surface",
    )
    verify.add_argument("--base-url", required=True, help="where the surface is served")
    verify.add_argument(
        "--mount", type=int, default=0, help="which mount of the surface (clockify: 1 = reports)"
    )
    verify.add_argument("--token", help="bearer token of the first tenant")
    verify.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header for the first tenant's requests (repeatable), e.g. 'X-Api-Key: k'",
    )
    verify.add_argument("--other-token", help="bearer token of a second tenant (isolation checks)")
    verify.add_argument(
        "--other-header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header for the second tenant's requests (repeatable)",
    )
    verify.add_argument(
        "--other-app-token",
        help="bearer token of the first tenant for another application (app isolation checks)",
    )
    verify.add_argument(
        "--other-app-header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header for that application's requests (repeatable)",
    )
    verify.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a fixed value for every parameter of that name (repeatable), e.g. "
        "'workspaceId=64a6...' so requests reach the workspace the credentials belong to",
    )
    verify.add_argument(
        "--max-examples",
        type=int,
        default=10,
        help="generated cases per operation and phase (default 10)",
    )
    verify.add_argument("--workers", type=int, default=1, help="concurrent workers (default 1)")
    verify.add_argument(
        "--seed",
        type=int,
        help="random seed, to repeat a run exactly (saved examples not replayed)",
    )
    verify.add_argument(
        "--check",
        action="append",
        default=[],
        dest="checks",
        metavar="NAME",
        help="run only this check (repeatable); see --list-checks",
    )
    verify.add_argument(
        "--operation",
        action="append",
        default=[],
        dest="operations",
        metavar="OPERATION_ID",
        help="verify only this operation (repeatable)",
    )
    verify.add_argument(
        "--phase",
        action="append",
        default=[],
        dest="phases",
        choices=["examples", "coverage", "fuzzing", "stateful", "hostile"],
        help="phases to run (repeatable; default all): schemathesis' four, and hostile "
        "(hand-made inputs: invalid JSON, lone surrogates, huge numbers, wrong content types)",
    )
    verify.add_argument(
        "--session",
        metavar="NAME",
        help="run in this X-Understudy-Session of an understudy mock; 'new' opens a fresh "
        "one, so parallel runs against one mock share no state",
    )
    verify.add_argument("--junit", type=output_file, metavar="FILE", help="write JUnit XML")
    verify.add_argument("--list-checks", action="store_true", help="list the checks and exit")
    verify.add_argument("--verbose", action="store_true", help="also say what was skipped and why")
    verify.add_argument("--quiet", action="store_true", help="no progress output")
    return verify


def run(args: argparse.Namespace) -> int:
    from understudy.arguments import parse_headers, parse_params, session_headers
    from understudy.contracts import hostile, report, semantic
    from understudy.contracts.verify import PHASES, Options, UsageError, all_checks, verify

    if args.list_checks:
        for name in all_checks():
            doc = (semantic.REGISTRY[name].__doc__ or "") if name in semantic.REGISTRY else ""
            kind = "semantic " if name in semantic.REGISTRY else "schema   "
            if name in hostile.CHECKS:
                kind, doc = "hostile  ", hostile.DESCRIPTIONS[name]
            print(f"{kind} {name:30} {' '.join(doc.split())[:90]}")
        return 0
    try:
        session = session_headers(args.session)
        other = parse_headers(args.other_header, args.other_token)
        other_app = parse_headers(args.other_app_header, args.other_app_token)
        options = Options(
            surface=args.surface,
            spec=args.spec,
            base_url=args.base_url.rstrip("/"),
            headers={**parse_headers(args.header, args.token), **session},
            other_headers={**other, **session} if other else None,
            other_app_headers={**other_app, **session} if other_app else None,
            mount=args.mount,
            max_examples=args.max_examples,
            workers=args.workers,
            seed=args.seed,
            checks=args.checks,
            operations=args.operations,
            phases=tuple(args.phases) or PHASES,
            params=parse_params(args.param),
        )
        result = verify(options, progress=None if args.quiet else _progress())
    except (UsageError, ValueError) as exc:
        print(f"understudy verify: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(file=sys.stderr)
    print(report.summary(result, verbose=args.verbose))
    if args.junit:
        report.junit(result, args.junit)
        print(f"JUnit XML: {args.junit}")
    return 0 if result.ok else 1


def _progress() -> Any:
    done = [0]

    def tick(label: str) -> None:
        done[0] += 1
        print(f"\r  {done[0]:4} scenarios done, last: {label[:60]:60}", end="", file=sys.stderr)

    return tick

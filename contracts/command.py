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
    verify.add_argument("--base-url", help="where the surface is served (required to verify)")
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
    verify.add_argument(
        "--report",
        type=output_file,
        metavar="FILE",
        help="write the whole result as JSON (beside --junit, for CI tooling)",
    )
    verify.add_argument(
        "--list-checks", action="store_true", help="list the checks with what each one catches"
    )
    verify.add_argument("--verbose", action="store_true", help="also say what was skipped and why")
    verify.add_argument("--quiet", action="store_true", help="no progress output")
    return verify


# schemathesis' checks, in a line each (most of its functions carry no docstring)
SCHEMA_CHECKS = {
    "not_a_server_error": "no 5xx answer, whatever the input",
    "status_code_conformance": "every status answered is one the operation documents",
    "content_type_conformance": "every answer's Content-Type is one the operation documents",
    "response_headers_conformance": "headers the spec requires are present and valid",
    "response_schema_conformance": "every answer's body validates against its documented schema",
    "negative_data_rejection": "input the schema forbids is refused with a 4xx",
    "positive_data_acceptance": "input the schema allows is accepted (documented refusals aside)",
    "missing_required_header": "a request without a required header is refused",
    "unsupported_method": "an undocumented method on a documented path is a 405",
    "allow_header_conformance": "a 405 names the path's methods in Allow",
    "use_after_free": "a deleted resource is not found again (stateful phase)",
    "ensure_resource_availability": "a created resource can be read right after (stateful phase)",
    "ignored_auth": "an operation that requires credentials refuses a request without them",
    "object_level_authorization": "one identity cannot read an object another created",
}


def list_checks() -> int:
    from understudy.contracts import hostile, limits, semantic
    from understudy.contracts.verify import all_checks

    for name in all_checks():
        if name in semantic.REGISTRY:
            kind, doc = "semantic", semantic.REGISTRY[name].__doc__ or ""
        elif name in hostile.CHECKS:
            kind, doc = "hostile", hostile.DESCRIPTIONS[name]
        elif name == limits.CHECK:  # a rule the schema cannot say, checked by its own module
            kind = "semantic"
            doc = "past the declared rate limit: 429 with Retry-After, served again after it"
        else:
            kind, doc = "schema", SCHEMA_CHECKS.get(name, "")
        line = " ".join(doc.split()).split(". ")[0].rstrip(".")
        print(f"{kind:8}  {name:30}  {line}")
    return 0


def run(args: argparse.Namespace) -> int:
    from understudy.arguments import parse_headers, parse_params, session_headers
    from understudy.contracts import report
    from understudy.contracts.progress import Progress
    from understudy.contracts.verify import PHASES, Options, UsageError, verify

    if args.list_checks:
        return list_checks()
    if not args.base_url:
        print(
            "understudy verify: --base-url is required (where the implementation serves the "
            "surface, e.g. http://127.0.0.1:8080/edm)",
            file=sys.stderr,
        )
        return 2
    progress = None if args.quiet else Progress(sys.stderr)
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
        result = verify(options, progress=progress)
    except (UsageError, ValueError) as exc:
        print(f"understudy verify: {exc}", file=sys.stderr)
        return 2
    finally:
        if progress:
            progress.finish()
    print(report.summary(result, verbose=args.verbose, colour=report.colour_wanted(sys.stdout)))
    if args.junit:
        report.junit(result, args.junit)
        print(f"JUnit XML: {args.junit}")
    if args.report:
        report.write_json(result, args.report)
        print(f"JSON report: {args.report}")
    return 0 if result.ok else 1

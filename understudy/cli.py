"""The ``understudy`` command line: thin commands over the library."""

from __future__ import annotations

import argparse
import sys

from understudy import __version__, specs


def _surfaces(args: argparse.Namespace) -> int:
    for surface, mounts in specs.surfaces().items():
        for mount in mounts:
            ops = len(specs.operations(specs.bundle(mount)))
            print(f"{surface:10} {mount.prefix:20} {ops:4} operations  {', '.join(f.name for f in mount.files)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="understudy", description=__doc__)
    parser.add_argument("--version", action="version", version=f"understudy {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    surfaces = commands.add_parser("surfaces", help="list the surfaces, their mounts and operation counts")
    surfaces.set_defaults(run=_surfaces)
    serve = commands.add_parser("serve", help="run the mock (for now: list what it will serve)")
    serve.set_defaults(run=_surfaces)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except specs.SpecError as exc:
        print(f"understudy: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

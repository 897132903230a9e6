"""Values given on the command line (and to the pytest plugin), parsed once for every
command: ``Name: value`` headers and ``name=value`` parameters. Bad input is a ValueError
whose message names the pair and the expected form."""

from __future__ import annotations

import argparse
import os
import secrets
from pathlib import Path


def parse_headers(pairs: list[str], token: str | None = None) -> dict[str, str]:
    """``['Name: value', ...]`` and an optional bearer token, as request headers."""
    headers = {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"header {pair!r}: expected 'Name: value'")
        headers[name.strip()] = value.strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``['name=value', ...]`` as fixed parameter values."""
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"param {pair!r}: expected NAME=VALUE")
        params[name.strip()] = value.strip()
    return params


SESSION_HEADER = "X-Understudy-Session"


def session_headers(name: str | None) -> dict[str, str]:
    """``--session NAME``: the header that puts a run in its own session of an understudy
    mock (a real implementation ignores it); ``new`` names a fresh one, so that this run sees
    no other run's writes."""
    if not name:
        return {}
    if name == "new":
        name = f"run-{secrets.token_hex(6)}"
    return {SESSION_HEADER: name}


def output_file(text: str) -> Path:
    """A file the command will write (argparse ``type=``): its folder must exist, so the
    mistake shows before any work rather than as a traceback at the end."""
    path = Path(text).expanduser()
    folder = path.parent
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; expected a file name")
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: the folder {folder} is not writable")
    return path

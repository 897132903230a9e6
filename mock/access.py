"""One line per request on the terminal: method, path, status, milliseconds and, for a 4xx or
5xx, the error's own words — or one JSON object per line for machines (``--log-format json``).
"""

from __future__ import annotations

import json
import re
import sys
import threading
from typing import Any, TextIO

DETAIL_CHARS = 200
_COLOURS = {2: "32", 3: "36", 4: "33", 5: "31"}  # green, cyan, yellow, red
# what a terminal would act on rather than show: C0/C1 controls (escape sequences, carriage
# returns), DEL, and the bidirectional overrides that reorder what is shown
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class AccessLog:
    def __init__(
        self, log_format: str = "text", *, quiet: bool = False, stream: TextIO | None = None
    ):
        self.format = log_format
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.colour = self.stream.isatty() if hasattr(self.stream, "isatty") else False
        self._lock = threading.Lock()  # FlaskApp answers from a thread pool

    def write(self, entry: dict[str, Any]) -> None:
        if self.quiet:
            return
        detail = error_detail(entry) if entry["status"] >= 400 else ""
        if self.format == "json":
            fields = ("at", "method", "path", "query", "status", "ms")
            line = json.dumps({**{k: entry[k] for k in fields}, "detail": detail or None})
        else:
            target = shown(entry["path"] + (f"?{entry['query']}" if entry["query"] else ""))
            status = str(entry["status"])
            if self.colour:
                status = f"\033[{_COLOURS.get(entry['status'] // 100, '0')}m{status}\033[0m"
            line = f"{entry['method']} {target} {status} {entry['ms']:.1f} ms"
            if detail:
                line += f" - {shown(detail)}"
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()


def error_detail(entry: dict[str, Any]) -> str:
    """The error's own words from the journal entry's response body, on one line."""
    body = entry.get("response", {}).get("body", "")
    try:
        data = json.loads(body)
    except ValueError:
        return " ".join(body.split())[:DETAIL_CHARS]
    if not isinstance(data, dict):
        return ""
    text = str(data.get("detail") or data.get("message") or data.get("title") or "")
    return " ".join(text.split())[:DETAIL_CHARS]


def shown(text: str) -> str:
    """``text`` safe for a terminal: what a client sent (a path, an echoed value) can carry
    escape sequences; each such character is written as its ``\\x``/``\\u`` escape."""
    return _UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)

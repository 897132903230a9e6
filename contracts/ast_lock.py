"""One ``ast.parse`` at a time in this process, on the Pythons that need it.

CPython 3.11.0 to 3.11.7 and 3.12.0 to 3.12.1 keep the AST constructor's recursion counter in
state shared by every thread, and garbage collection can hand the GIL to another thread in
the middle of a parse; two threads parsing at once corrupt the counter and a parse fails with
"SystemError: AST constructor recursion depth mismatch" (python/cpython#106905, fixed in
3.11.8 and 3.12.2). Schemathesis' worker threads parse source while they generate
(Hypothesis's and its own constant extraction, traceback carets), so on those versions a
verify run could end in a spurious "Runtime Error" on any operation. Serialising the parses
costs nothing measurable: they are few and short.
"""

from __future__ import annotations

import ast
import functools
import sys
import threading
from typing import Any

_lock = threading.RLock()


def affected(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> bool:
    """Whether this CPython has the shared counter."""
    return version < (3, 11, 8) or (3, 12) <= version < (3, 12, 2)


def install() -> None:
    """Wrap ``ast.parse`` in a process-wide lock (once, and only where it is needed)."""
    if not affected() or getattr(ast.parse, "_understudy_locked", False):
        return
    parse = ast.parse

    @functools.wraps(parse)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return parse(*args, **kwargs)

    locked._understudy_locked = True  # type: ignore[attr-defined]
    ast.parse = locked

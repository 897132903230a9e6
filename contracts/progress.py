"""Progress of a verification on stderr: on a terminal one line rewritten in place with the
count, the total and an estimate of the time left; piped to a file or a CI log, one plain
line per finished scenario (no carriage returns)."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


def colour_wanted(stream: TextIO) -> bool:
    """ANSI colour on a terminal, unless NO_COLOR is set (no-color.org)."""
    return hasattr(stream, "isatty") and stream.isatty() and not os.environ.get("NO_COLOR")


class Progress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.total = 0
        self.done = 0
        self.started = time.monotonic()

    def expect(self, scenarios: int) -> None:
        """More scenarios are planned (each layer says how many it will run)."""
        self.total += scenarios

    def __call__(self, label: str) -> None:
        self.done += 1
        self.total = max(self.total, self.done)
        width = len(str(self.total))
        line = f"[{self.done:{width}}/{self.total}] {self._eta():>9}  {label}"
        if self.live:
            columns = os.get_terminal_size(self.stream.fileno()).columns if self._sized() else 100
            self.stream.write("\r" + line[: columns - 1].ljust(columns - 1))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.live and self.done:
            self.stream.write("\n")
            self.stream.flush()

    def _eta(self) -> str:
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        return f"~{int(left) // 60}:{int(left) % 60:02d} left" if self.done < self.total else "done"

    def _sized(self) -> bool:
        try:
            os.get_terminal_size(self.stream.fileno())
        except (OSError, ValueError, AttributeError):
            return False
        return True

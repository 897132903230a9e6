"""Every error Understudy raises on purpose descends from one root:

    UnderstudyError
    ├── UsageError           a command or option used wrongly: one line, exit 2
    ├── SpecError            a spec file missing, unreadable or not bundleable
    │   └── BindingError     an x-understudy declaration that cannot be bound
    ├── ApiError             a refusal the mock answers in the surface's shape
    │   │                    (understudy.mock.errors: BadRequest 400 … TooManyRequests 429)
    └── Violation            an implementation broke its contract
                             (understudy.contracts.semantic)

Anything else reaching the top is a bug: the CLI prints it with its traceback, the mock
answers a logged 500 in the surface's shape.
"""

from __future__ import annotations


class UnderstudyError(Exception):
    """The root: ``except UnderstudyError`` catches every deliberate refusal."""


class UsageError(UnderstudyError, ValueError):
    """A command or option used wrongly (exit 2)."""


class SpecError(UnderstudyError):
    """A spec file is missing, unreadable or cannot be bundled."""


class BindingError(SpecError):
    """An ``x-understudy`` declaration names something that does not exist or cannot work."""

"""connexion's per-request work that depends only on the operation, done once per operation.

connexion 3.3 rebuilds, on every request, the whole decorator chain of the operation's view:
a new ``StarletteDecorator`` (``FlaskDecorator`` on FlaskApp), then ``decorate`` — which
calls ``inspect.signature`` on the view and wraps it in the parameter and response
decorators — and a new URI parser from the operation's parameter definitions. None of it
depends on the request (the request reaches the chain only as the argument of the built
wrapper), so each operation builds it once. It also turns every parameter name into a
keyword with three regex substitutions per request; the names are the spec's, so the
answers are remembered. connexion is pinned exactly (pyproject.toml): the attributes
patched here are those of that version.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import connexion.decorators.parameter as parameters
from connexion.apps.asynchronous import AsyncOperation
from connexion.apps.flask import FlaskOperation
from connexion.decorators.main import BaseDecorator

_fn: dict[type, Any] = {kind: kind.fn for kind in (AsyncOperation, FlaskOperation)}
_decorate = BaseDecorator.decorate
_uri_parser = BaseDecorator.uri_parser
# bounded: a query may name parameters the spec does not have (strict validation refuses it)
_sanitized = functools.lru_cache(maxsize=4096)(parameters.sanitized)


def _operation_fn(self: Any) -> Callable[..., Any]:
    """The operation's decorated view, built on the first request."""
    built = self.__dict__.get("_understudy_fn")
    if built is None:
        built = self.__dict__["_understudy_fn"] = _fn[type(self)].fget(self)
    return built


def _decorate_once(self: BaseDecorator, function: Callable[..., Any]) -> Callable[..., Any]:
    built = self.__dict__.get("_understudy_decorated")
    if built is None or built[0] is not function:
        built = self.__dict__["_understudy_decorated"] = (function, _decorate(self, function))
    return built[1]


def _uri_parser_once(self: BaseDecorator) -> Any:
    parser = self.__dict__.get("_understudy_uri_parser")
    if parser is None:
        parser = self.__dict__["_understudy_uri_parser"] = _uri_parser.fget(self)
    return parser


def install() -> None:
    """Make every connexion app of this process build each operation's chain once."""
    for kind in _fn:
        setattr(kind, "fn", property(_operation_fn))  # noqa: B010 (the classes do not declare fn)
    BaseDecorator.decorate = _decorate_once
    BaseDecorator.uri_parser = property(_uri_parser_once)
    parameters.sanitized = _sanitized

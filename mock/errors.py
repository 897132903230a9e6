"""The mock's errors, and how each surface shapes them.

    ApiError                 any refusal the mock answers with a 4xx
    ├── BadRequest           400 malformed input
    ├── Unauthorized         401 no or bad credentials
    ├── Forbidden            403 allowed to call, not to do this
    ├── NotFound             404 no such record in the caller's scope
    ├── MethodNotAllowed     405 (carries the Allow header)
    ├── Conflict             409 the record's state forbids it
    ├── PayloadTooLarge      413
    ├── UnsupportedMedia     415
    ├── Unprocessable        422 a rule the schema cannot express
    ├── TooManyRequests      429 (carries Retry-After)
    └── NotImplementedHere   501 the mock has no behaviour for this yet

``ApiError`` descends from the project's root error (``understudy.errors``). Errors become
responses at one place, ``render``, in the shape the surface declares (``errors`` in its
``x-understudy``): RFC 9457 ``application/problem+json`` (EDM, tracker) or
``{"message", "code"}`` JSON (Clockify).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from understudy.binding import ErrorShape
from understudy.errors import UnderstudyError


class ApiError(UnderstudyError):
    status = 400

    def __init__(
        self,
        detail: str = "",
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMedia(ApiError):
    status = 415


class Unprocessable(ApiError):
    status = 422


class TooManyRequests(ApiError):
    status = 429


class NotImplementedHere(ApiError):
    """501: the spec has the operation, the mock has no behaviour for it yet."""

    status = 501


# RFC 9110 titles where http.HTTPStatus still has the older phrases
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def title(status: int) -> str:
    try:
        return _TITLES.get(status) or HTTPStatus(status).phrase
    except ValueError:  # no registered phrase (Prefer: code=599 asks for one anyway)
        return "Client Error" if status < 500 else "Server Error"


def render(
    style: ErrorShape | str,
    status: int,
    detail: str,
    instance: str = "",
    errors: list[dict[str, str]] | None = None,
) -> tuple[bytes, str]:
    """The body and content type of an error in a surface's declared shape."""
    shape = style if isinstance(style, ErrorShape) else ErrorShape.read(style)
    template = shape.templates.get(str(status)) or shape.templates.get("default")
    if shape.shape == "declared" and template:
        return json.dumps(_fill(template["body"], status, detail)).encode(), template["media"]
    if shape.shape == "message":
        code = shape.codes.get(status, status)
        body: dict[str, Any] = {"message": detail or title(status), "code": code}
        return json.dumps(body).encode(), "application/json"
    body = {"type": "about:blank", "title": title(status), "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return json.dumps(body).encode(), "application/problem+json"


def _fill(template: Any, status: int, detail: str) -> Any:
    """A declared error body with ``$status``, ``$detail`` and ``$title`` filled in."""
    if isinstance(template, dict):
        return {k: _fill(v, status, detail) for k, v in template.items()}
    values = {"$status": status, "$detail": detail or title(status), "$title": title(status)}
    return values.get(template, template) if isinstance(template, str) else template

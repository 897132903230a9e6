"""connexion's response validation, with what depends only on the answer's status and media
type worked out once per operation.

For every response, connexion 3.3's ``ResponseValidationOperation`` looks the response
definition up three times, rebuilds the media-type table of what the operation produces,
collects the required headers and attaches the spec's components to the schema again — none
of which depends on the response beyond its status and media type. Here each (status, media
type) of an operation is planned once: the same checks, in the same order, with the same
messages. Only ``--validate-responses`` uses it (connexion bypasses the operation otherwise).
connexion is pinned exactly (pyproject.toml): the class replaced is that version's.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from connexion import utils
from connexion.exceptions import NonConformingResponseHeaders
from connexion.middleware import response_validation
from starlette.types import Receive, Scope, Send

log = logging.getLogger("connexion.middleware.validation")


class _Plan(NamedTuple):
    refusal: str | None  # why the media type is not one the operation produces (status < 400)
    definition: dict[str, Any]  # the response definition: its headers, when some are required
    required_headers: bool
    validator: type | None  # the body validator for the media type; None: not validated
    schema: dict[str, Any]
    nullable: bool


CONNEXIONS = response_validation.ResponseValidationOperation


class Planned(CONNEXIONS):  # type: ignore[misc,valid-type]
    """connexion's operation of the response validation middleware, planned once per status
    and media type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[int, str], _Plan] = {}

    def _plan(self, status: int, mime: str) -> _Plan:
        refusal = None
        if status < 400:
            try:
                self.validate_mime_type(mime)
            except NonConformingResponseHeaders as exc:
                refusal = exc.detail
        definition = self._operation.response_definition(str(status), mime)
        required = any(h.get("required", False) for h in definition.get("headers", {}).values())
        try:  # a MediaTypeDict: its wildcards answer [], not .get
            validator = self._validator_map["response"][mime]
        except KeyError:
            validator = None
            log.info("Skipping validation. No validator registered for content type: %s.", mime)
        schema = self._operation.response_schema(str(status), mime)
        nullable = utils.is_nullable(definition)
        plan = _Plan(refusal, definition, required, validator, schema, nullable)
        self._plans[(status, mime)] = plan
        return plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def wrapped_send(message: Any) -> None:
            nonlocal send
            if message["type"] == "http.response.start":
                headers = message["headers"]
                mime_type, encoding = self.extract_content_type(headers)
                status = message["status"]
                plan = self._plans.get((status, mime_type)) or self._plan(status, mime_type)
                if plan.refusal is not None:
                    raise NonConformingResponseHeaders(detail=plan.refusal)
                if plan.required_headers:
                    self.validate_required_headers(headers, plan.definition)
                if plan.validator is not None:
                    validator = plan.validator(
                        scope, schema=plan.schema, nullable=plan.nullable, encoding=encoding
                    )
                    send = validator.wrap_send(send)
            await send(message)

        await self.next_app(scope, receive, wrapped_send)


def install() -> None:
    """Make connexion's response validation middleware build planned operations."""
    response_validation.ResponseValidationOperation = Planned

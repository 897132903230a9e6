"""connexion's body and parameter validators, compiled once per schema, checking every format.

connexion builds a fresh jsonschema validator for every request, checks only Draft 4's
formats, and refuses an absent body even where the spec makes it optional. This one caches
the compiled validator per operation schema, uses a format checker that knows ``date``,
``uuid``, the ranges of ``int32``/``int64`` and the rest, and lets an optional body be
absent. Its parameter validator also deep-copies and compiles each parameter's schema on
every request, and reports a failure with the whole schema dumped; this one compiles once
and names the parameter. Response validation (``--validate-responses``) compiled the
response schema for every response too; it is compiled once, with connexion's own format
checks (what it accepts is unchanged), and checked first by the fast path of
``response_schemas``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem, NonConformingResponseBody
from connexion.json_schema import Draft4RequestValidator, Draft4ResponseValidator
from connexion.utils import is_null, is_nullable
from connexion.validators import VALIDATOR_MAP as CONNEXION_VALIDATORS
from connexion.validators.form_data import FormDataValidator, MultiPartFormDataValidator
from connexion.validators.json import (
    JSONRequestBodyValidator,
    JSONResponseBodyValidator,
    TextResponseBodyValidator,
)
from connexion.validators.parameter import ParameterValidator
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import best_match
from starlette.datastructures import Headers, MutableHeaders

from understudy.leniency import relax
from understudy.mock import response_schemas, strict_json

FORMATS = FormatChecker()
_RFC3339 = FORMATS.checkers["date-time"][0]
_ISO_DATE = FORMATS.checkers["date"][0]
# the instants and days the mock can convert to UTC and move by a day (reports, periods,
# time zones) without leaving the calendar: a wider one is a 400 (openapi/DECISIONS.md)
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


# OpenAPI's integer formats are ranges: a client sending page-size=2147483648 to an int32
# parameter gets a 400 from a real (Java, Go, ...) service, not a silent success
@FORMATS.checks("int32")
def _int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@FORMATS.checks("int64")
def _int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


@FORMATS.checks("date-time", raises=(ValueError, OverflowError))
def _instant(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339(value):
        return False
    moment = datetime.fromisoformat(value.upper())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not EARLIEST <= moment.astimezone(UTC) <= LATEST:
        raise ValueError(f"{value} is outside {EARLIEST:%Y-%m-%d}..{LATEST:%Y-%m-%d} in UTC")
    return True


@FORMATS.checks("date", raises=ValueError)
def _day(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _ISO_DATE(value):
        return False
    day = date.fromisoformat(value)
    if not EARLIEST.date() <= day <= LATEST.date():
        raise ValueError(f"{value} is outside {EARLIEST:%Y-%m-%d}..{LATEST:%Y-%m-%d}")
    return True


_compiled: dict[tuple[Any, ...], tuple[Any, Any]] = {}


def _once(schema: Any, kind: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """What ``build`` makes of ``schema``, made once per schema and ``kind``."""
    # keyed by identity: connexion hands an operation the same schema dict every time; the
    # dict is kept in the cache entry so that its id cannot be reused by another object
    key = (id(schema), *kind)
    entry = _compiled.get(key)
    if entry is None or entry[0] is not schema:
        entry = (schema, build())
        _compiled[key] = entry
    return entry[1]


def _compiled_validator(
    schema: dict[str, Any], make: Any, format_checker: FormatChecker = FORMATS
) -> Any:
    return _once(
        schema, (make, id(format_checker)), lambda: make(schema, format_checker=format_checker)
    )


class CachedParameterValidator(ParameterValidator):
    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if is_nullable(param) and is_null(value):
            return None
        if value is not None:
            validator = _compiled_validator(param.get("schema", param), Draft4Validator)
            error = best_match(validator.iter_errors(value))
            if error is None:
                return None
            return f"{parameter_type} parameter '{param_name or param['name']}': {error.message}"
        if param.get("required"):
            return f"Missing {parameter_type} parameter '{param['name']}'"
        return None


class _JSONNull:
    """The body was the JSON literal ``null`` — unlike an absent body, it is validated."""


JSON_NULL = _JSONNull()


class CachedJSONBodyValidator(JSONRequestBodyValidator):
    _raw: bytes | None = None  # the body as sent, once read

    async def _parse(self, stream: Any, scope: Any) -> Any:
        self._raw = sent = b"".join([chunk async for chunk in stream])
        raw = sent.decode(self._encoding)
        if not raw:
            return None
        try:
            body = strict_json.loads(raw)
        except strict_json.NotJSON as exc:
            raise BadRequestProblem(detail=f"The request body is not valid JSON: {exc}") from None
        return JSON_NULL if body is None else body

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is JSON_NULL:
            body = None
        elif body is None and not self._required:  # an optional body may be absent (OpenAPI)
            return None
        return super()._validate(body)

    @property
    def _validator(self) -> Any:
        return _compiled_validator(self._schema, Draft4RequestValidator)


class _ExactBounds:
    """A form's URI parser that first holds numeric fields to their bounds exactly: coerced
    to a double, ``92233720368547761`` equals a maximum of ``92233720368547760``."""

    def __init__(self, parser: Any, schema: dict[str, Any]) -> None:
        self._parser = parser
        self._schema = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)

    def resolve_form(self, form: dict[str, Any]) -> Any:
        for name, values in form.items():
            prop = self._schema.get("properties", {}).get(name, {})
            if prop.get("type") not in ("number", "integer"):
                continue
            for raw in values if isinstance(values, list) else [values]:
                _check_bounds(name, raw, prop)
        return self._parser.resolve_form(form)


def _check_bounds(name: str, raw: Any, prop: dict[str, Any]) -> None:
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return  # not a number: the schema's type check says so
    if not value.is_finite():
        raise BadRequestProblem(detail=f"{name}: {raw} is not a number")
    if "maximum" in prop and value > Decimal(str(prop["maximum"])):
        raise BadRequestProblem(detail=f"{name}: {raw} is greater than {prop['maximum']}")
    if "minimum" in prop and value < Decimal(str(prop["minimum"])):
        raise BadRequestProblem(detail=f"{name}: {raw} is less than {prop['minimum']}")


class _ExactFormBounds:
    """For connexion's form validators: their field values are checked with ``_ExactBounds``."""

    _schema: Any

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        parser: Any = self.__dict__.get("_uri_parser")  # connexion leaves it unannotated
        if parser is not None:
            self._uri_parser = _ExactBounds(parser, self._schema)


class ExactFormValidator(_ExactFormBounds, FormDataValidator):
    pass


class ExactMultiPartValidator(_ExactFormBounds, MultiPartFormDataValidator):
    async def _parse(self, stream: Any, scope: Any) -> Any:
        """Without a Content-Type (connexion then assumes the operation's multipart/form-data)
        there is no boundary to parse by: starlette's parser raised KeyError, a 500. No body
        is an empty form, a body is refused."""
        if "content-type" in Headers(scope=scope):
            return await super()._parse(stream, scope)
        if b"".join([chunk async for chunk in stream]):
            raise BadRequestProblem(detail="A multipart body needs its Content-Type and boundary")
        return {}


class CachedJSONResponseValidator(JSONResponseBodyValidator):
    @property
    def validator(self) -> Any:
        return _compiled_validator(
            self._schema, Draft4ResponseValidator, Draft4Validator.FORMAT_CHECKER
        )

    _for_rust = False

    def _parse(self, stream: Any) -> Any:
        text = b"".join(stream).decode(self._encoding)
        if not text:
            return None
        try:
            body, self._for_rust = response_schemas.parse(text)
        except json.JSONDecodeError as exc:
            raise NonConformingResponseBody(str(exc)) from None
        return body

    def _validate(self, body: Any) -> None:
        # the fast check passes what it knows jsonschema accepts; the rest (a wrong body, or
        # one it doubts) goes to jsonschema for the verdict and the message
        schema = self._schema
        fast: response_schemas.FastCheck | None = _once(
            schema, ("fast",), lambda: response_schemas.compile_fast(schema, self.validator)
        )
        if not (self._for_rust and fast is not None and fast(body)):
            super()._validate(body)


class CachedTextResponseValidator(TextResponseBodyValidator):
    validator = CachedJSONResponseValidator.validator


class LenientJSONBodyValidator(CachedJSONBodyValidator):
    """Relaxes the body as the surface's real service reads it (``mock.leniency``) before
    validating it, and passes the relaxed body on — the original bytes when nothing changed."""

    LENIENCY: Mapping[str, str] = {}
    MUTABLE_VALIDATION = True
    _relaxed = False

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is not JSON_NULL and body is not None:
            self._relaxed = relax(body, self._schema, self.LENIENCY)
        return super()._validate(body)

    def _insert_body(self, receive: Any, *, body: Any, scope: Any) -> tuple[Any, Any]:
        if self._raw is None:  # before parsing: connexion's default-body path
            return super()._insert_body(receive, body=body, scope=scope)
        data = json.dumps(body).encode(self._encoding) if self._relaxed else self._raw
        new_scope = {**scope, "headers": copy.deepcopy(scope["headers"])}
        MutableHeaders(scope=new_scope)["content-length"] = str(len(data))
        message = {"type": "http.request", "body": data, "more_body": False}
        return self._insert_messages(receive, messages=[message]), new_scope


def validator_map(leniency: Mapping[str, str]) -> dict[str, Any]:
    """The validators of a surface: the lenient body validator where it declares leniency."""
    body: type[CachedJSONBodyValidator] = CachedJSONBodyValidator
    if {"null_optional", "textual_scalars"} & set(leniency):
        body = type("SurfaceJSONBodyValidator", (LenientJSONBodyValidator,), {"LENIENCY": leniency})
    # connexion matches media types with wildcards only through a MediaTypeDict: a plain
    # dict would silently skip body validation for application/json
    return {
        "parameter": CachedParameterValidator,
        "body": MediaTypeDict(
            {
                **CONNEXION_VALIDATORS["body"],
                "*/*json": body,
                "application/x-www-form-urlencoded": ExactFormValidator,
                "multipart/form-data": ExactMultiPartValidator,
            }
        ),
        "response": MediaTypeDict(
            {
                **CONNEXION_VALIDATORS["response"],
                "*/*json": CachedJSONResponseValidator,
                "text/plain": CachedTextResponseValidator,
            }
        ),
    }


VALIDATOR_MAP = validator_map({})

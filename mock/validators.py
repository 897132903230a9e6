"""connexion's JSON body validator, compiled once per schema and checking every format.

connexion builds a fresh jsonschema validator for every request, checks only Draft 4's
formats, and refuses an absent body even where the spec makes it optional. This one caches
the compiled validator per operation schema, uses a format checker that knows ``date``,
``uuid`` and the rest, and lets an optional body be absent.
"""

from __future__ import annotations

from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import VALIDATOR_MAP as CONNEXION_VALIDATORS
from connexion.validators.json import JSONRequestBodyValidator
from jsonschema import FormatChecker

FORMATS = FormatChecker()
_compiled: dict[int, tuple[dict[str, Any], Any]] = {}


class CachedJSONBodyValidator(JSONRequestBodyValidator):
    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is None and not self._required:  # an optional body may be absent (OpenAPI)
            return None
        return super()._validate(body)

    @property
    def _validator(self) -> Any:
        # keyed by identity: connexion hands each operation the same schema dict every time;
        # the dict is kept in the cache entry so its id cannot be reused
        entry = _compiled.get(id(self._schema))
        if entry is None or entry[0] is not self._schema:
            entry = (self._schema, Draft4RequestValidator(self._schema, format_checker=FORMATS))
            _compiled[id(self._schema)] = entry
        return entry[1]


# connexion matches media types with wildcards only through a MediaTypeDict: a plain dict
# would silently skip body validation for application/json
VALIDATOR_MAP = {
    "body": MediaTypeDict({**CONNEXION_VALIDATORS["body"], "*/*json": CachedJSONBodyValidator}),
}

"""connexion's loading of a spec, made cheaper: it is most of the mock's start-up.

connexion validates every spec it is given against the OpenAPI meta-schema, on every start
(about 2 s for the Clockify mount). A spec whose exact content already passed that check
under the same code and libraries (``understudy.cache`` keys on both) is added without it;
any other spec — a first start, an edited file, a new connexion — is checked as before, and
only a spec that passed is remembered.

connexion also deep-copies each spec twice with ``copy.deepcopy``; the specs are plain data
(what YAML or JSON gives), for which a pickle round trip is the same copy several times
faster.
"""

from __future__ import annotations

import contextvars
import copy
import pickle
from types import SimpleNamespace
from typing import Any

import connexion.json_schema
import connexion.spec
from connexion.spec import Specification

from understudy import cache

_checked_before = contextvars.ContextVar("understudy_spec_checked_before", default=False)
_validate = Specification._validate_spec.__func__


def _validate_unless_checked(cls: type, spec: dict[str, Any]) -> None:
    if not _checked_before.get():
        _validate(cls, spec)


def _deepcopy(value: Any, memo: Any = None) -> Any:
    try:
        return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # something pickle cannot copy: the general way
        return copy.deepcopy(value, memo)


_clone = Specification.clone


def _clone_checked(self: Specification) -> Specification:
    """A copy of a loaded spec (connexion clones one per request of ``openapi.json``): the
    spec passed the check when it was loaded."""
    token = _checked_before.set(True)
    try:
        return _clone(self)
    finally:
        _checked_before.reset(token)


Specification._validate_spec = classmethod(_validate_unless_checked)
Specification.clone = _clone_checked
connexion.spec.copy = SimpleNamespace(deepcopy=_deepcopy)
connexion.json_schema.deepcopy = _deepcopy


def add_api(app: Any, spec: dict[str, Any], **options: Any) -> None:
    """``app.add_api(spec, **options)``, skipping the meta-schema check of a known spec."""
    entry_key = cache.key(pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL))
    known = cache.get("valid-spec", entry_key) is not cache.MISS
    token = _checked_before.set(known)
    try:
        app.add_api(spec, **options)
    finally:
        _checked_before.reset(token)
    if not known:  # add_api raised if the spec was invalid: only a valid one gets here
        cache.put("valid-spec", entry_key, True)

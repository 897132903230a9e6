"""The deterministic demo tenant the mock starts with, and the credentials to use it.

Generating a tenant takes seconds (Faker's pools, every record); the same surface, size,
seed, spec and code give the same bytes, so a generated tenant is kept in the on-disk cache
(``understudy.cache``) under a key of all of them and read back on the next start.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from understudy import cache, specs, today
from understudy.mock import auth
from understudy.mock.options import parse_size

if TYPE_CHECKING:
    from understudy.mock.app import Mock, Mounted


def load(mock: Mock) -> dict[str, int]:
    """Generate each served surface's demo tenant into its store; records loaded per surface."""
    loaded = {}
    for surface, store in mock.stores.items():
        tenant = _tenant(mock, surface)
        if tenant is None:
            loaded[surface] = 0
            continue
        served = today.current(tenant.collections, datetime.now(UTC))
        loaded[surface] = store.load(served, replace=False)
    return loaded


_generated: dict[tuple[str, str, int], Any] = {}  # (surface, size or fixture, seed)
_CACHED_RECORDS = 50_000  # at most medium-sized tenants go to disk (large is ~280k records)


def credentials(mock: Mock, base: str | None = None) -> dict[str, Any]:
    """Per surface: base URLs, the demo identity and ready-to-use headers."""
    base = (base or f"http://{mock.config.host}:{mock.config.port}").rstrip("/")
    out: dict[str, Any] = {}
    for surface in mock.stores:
        mounts = [m for m in mock.mounted if m.mount.surface == surface]
        entry: dict[str, Any] = {
            "base_urls": {
                m.mount.name: base + m.prefix for m in sorted(mounts, key=lambda m: m.prefix)
            },
            "docs": [base + m.prefix + "/ui/" for m in sorted(mounts, key=lambda m: m.prefix)],
        }
        tenant = _tenant(mock, surface)
        auth_decl = mounts[0].surface.auth if mounts else {}
        identity = dict(tenant.credentials) if tenant else dict(auth_decl.get("demo", {}))
        if auth_decl.get("type") == "jwt" and identity:
            claims = {
                auth_decl.get("tenant", "tenant_id"): identity.get("tenant_id"),
                auth_decl.get("caller", "sub"): identity.get("sub"),
            }
            token = auth.mint(mock.config.secret, claims, ttl=None)  # stable across restarts
            identity["token"] = token
            identity["headers"] = {"Authorization": f"Bearer {token}"}
            if identity.get("app_id") and auth_decl.get("app"):
                app_claims = {**claims, auth_decl["app"]: identity["app_id"]}
                app_token = auth.mint(mock.config.secret, app_claims, ttl=None)
                identity["app_token"] = app_token
        if auth_decl.get("type") == "demo":  # a user's spec (mock.demoauth)
            from understudy.mock import demoauth

            identity["credential"] = demoauth.credential(mock.config.secret)
            identity["headers"] = demoauth.headers(mounts[0].spec, mock.config.secret)
        if auth_decl.get("type") == "api_key" and identity.get("api_key"):
            keys = auth_decl.get("collection", "api_keys")
            if mock.stores[surface].get(keys, identity["api_key"]) is None:
                # started empty, or on another surface's fixture: the user does not exist here
                identity = {"note": "no demo user: load one with `understudy seed --mock URL`"}
            else:
                header = auth_decl.get("header", "X-Api-Key")
                identity["headers"] = {header: identity["api_key"]}
        entry.update(identity)
        out[surface] = entry
    return out


def path_values(mock: Mock, mounted: Mounted) -> dict[str, dict[str, Any]]:
    """Path → {parameter: value} for lists scoped by a path parameter (a project's time
    entries): a demo record's value, so that a first try finds something."""
    store = mock.stores[mounted.mount.surface]
    out: dict[str, dict[str, Any]] = {}
    for bound in mounted.surface.bindings.values():
        if bound.kind != "list" or not bound.scope_params or bound.collection is None:
            continue
        record = next(iter(store.scan(bound.collection.name, {})), None)
        if record:
            out[bound.path] = {
                param: record[field]
                for field, param in bound.scope_params.items()
                if field in record
            }
    return out


def _tenant(mock: Mock, surface: str) -> Any:
    """The surface's demo tenant, generated once per (surface, size, seed)."""
    config = mock.config
    if surface not in specs.surfaces():  # a team's own spec (understudy serve PATH)
        return _generic(mock, surface)
    if config.fixture:
        key = (surface, config.fixture, 0)
        if key not in _generated:
            import understudy.fixtures as fixtures

            named = fixtures.load_named(config.fixture) if surface in fixtures.SURFACES else None
            _generated[key] = named if named and named.surface == surface else None
        return _generated[key]
    key = (surface, config.size, config.seed)
    if key not in _generated:
        _generated[key] = _generate(surface, config.size, config.seed)
    return _generated[key]


def _generate(surface: str, size: str, seed: int) -> Any:
    """``fixtures.generate`` (None for a surface without a world builder), through the disk
    cache: a hit does not even import the generators (and Faker)."""
    content = specs.fingerprint(specs.whole(surface))
    entry_key = cache.key("tenant", surface, size, str(seed), content)
    tenant = cache.get("tenant", entry_key)
    if tenant is not cache.MISS:
        return tenant
    import understudy.fixtures as fixtures

    if surface not in fixtures.SURFACES:
        return None
    counts = parse_size(size)
    if isinstance(counts, dict):  # counts another surface's world has (workspaces) are its own
        counts = {k: v for k, v in counts.items() if k in fixtures.count_names(surface)}
    generated = fixtures.generate(surface, size=counts, seed=seed)
    tenant = Demo(generated.collections, generated.credentials)
    if sum(generated.counts().values()) <= _CACHED_RECORDS:
        cache.put("tenant", entry_key, tenant)
    return tenant


@dataclass
class Demo:
    """What the mock uses of a generated tenant; a class of this module, so that reading it
    back from the cache does not import ``understudy.fixtures``."""

    collections: dict[str, list[dict[str, Any]]]
    credentials: dict[str, Any]


def _generic(mock: Mock, surface: str) -> Any:
    """A few records per collection of a team's own spec (``understudy serve PATH``)."""
    mounted = next((m for m in mock.mounted if m.mount.surface == surface), None)
    if mounted is None or not mounted.surface.collections:
        return None
    size = mock.config.size if mock.config.size in ("small", "medium", "large") else "small"
    schemas = json.dumps(mounted.spec.get("components", {}).get("schemas"), sort_keys=True)
    key = (surface, size + hashlib.sha256(schemas.encode()).hexdigest(), mock.config.seed)
    if key not in _generated:  # keyed by the schemas too: serve --watch reloads them
        import understudy.fixtures as fixtures

        _generated[key] = fixtures.generate_from(
            mounted.spec, mounted.surface, size=size, seed=mock.config.seed
        )
    return _generated[key]

"""Tokens: claims of the declared types, and a cache bounded by the bytes it holds."""

from __future__ import annotations

import pytest

from understudy.mock import auth, errors
from understudy.mock.auth import TokenCache

EDM = {"tenant": "tenant_id", "caller": "sub", "app": "app_id"}


@pytest.mark.parametrize("app", [1, ["app_a"], {"id": "app_a"}, True])
def test_an_app_claim_that_is_not_a_string_refuses_the_token(app: object) -> None:
    claims = {"tenant_id": "ten_a", "sub": "per_a", "app_id": app}
    with pytest.raises(errors.Unauthorized, match="app_id"):
        auth.caller_from_claims(claims, EDM)


def test_an_app_token_stays_an_app_token() -> None:
    caller = auth.caller_from_claims({"tenant_id": "t", "sub": "p", "app_id": "app_a"}, EDM)
    assert caller.app == "app_a"
    assert auth.caller_from_claims({"tenant_id": "t", "sub": "p"}, EDM).app is None


def _token(n: int, pad: int) -> str:
    return auth.mint(auth.DEV_SECRET, {"tenant_id": "t", "sub": f"p{n}", "pad": "x" * pad})


def test_the_token_cache_is_bounded_in_bytes() -> None:
    cache = TokenCache(max_bytes=200_000, max_token=16_000)
    for n in range(300):
        claims = cache.get(_token(n, 5_000), auth.DEV_SECRET, True)
        assert claims["sub"] == f"p{n}"
    assert 150_000 < cache.bytes <= 200_000  # kept the most recent, dropped the rest
    assert len(cache._entries) < 20


def test_a_large_token_is_checked_but_never_kept() -> None:
    cache = TokenCache(max_bytes=10_000_000, max_token=16_000)
    big = _token(1, 600_000)  # 600 kB: what filled the old 4,096-entry cache
    assert cache.get(big, auth.DEV_SECRET, True)["sub"] == "p1"
    assert cache.bytes == 0


def test_a_refused_token_stays_refused_from_the_cache() -> None:
    for _ in range(2):
        with pytest.raises(errors.Unauthorized, match="not valid"):
            auth.decode("not.a.token", auth.DEV_SECRET)

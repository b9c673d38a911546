"""Access tokens: signed with the install's key, checked against the platform's clock."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest

from penworks.auth import AuthError, Role
from penworks.auth.tokens import AccessClaims, AccessTokens, new_api_token, token_hash
from tests.unit.auth.support import KEY, T0

CLAIMS = AccessClaims(
    user_id=7,
    role=Role.TENANT_USER,
    tenant="acme",
    session="ses_1",
    token_id="at_1",
    issued=T0,
    expires=T0 + timedelta(minutes=15),
)


def test_a_token_carries_its_claims() -> None:
    tokens = AccessTokens(KEY)
    text = tokens.encode(CLAIMS)
    assert tokens.decode(text, T0 + timedelta(minutes=1)) == CLAIMS
    payload = jwt.decode(text, options={"verify_signature": False})
    assert {"sub", "role", "tenant", "sid", "jti", "iat", "exp", "iss", "aud"} <= payload.keys()
    assert payload["sub"] == "7"


def test_an_expired_token_is_refused_by_the_platforms_clock() -> None:
    tokens = AccessTokens(KEY)
    text = tokens.encode(CLAIMS)
    with pytest.raises(AuthError, match="expired"):
        tokens.decode(text, CLAIMS.expires)


def test_a_token_from_the_future_is_refused() -> None:
    tokens = AccessTokens(KEY)
    with pytest.raises(AuthError, match="invalid"):
        tokens.decode(tokens.encode(CLAIMS), T0 - timedelta(minutes=1))


@pytest.mark.parametrize(
    "other",
    [
        AccessTokens(bytes(32)),  # another install's key
        AccessTokens(KEY, issuer="elsewhere"),
        AccessTokens(KEY, audience="another-api"),
    ],
)
def test_a_token_of_another_key_issuer_or_audience_is_refused(other: AccessTokens) -> None:
    with pytest.raises(AuthError, match="invalid access token"):
        AccessTokens(KEY).decode(other.encode(CLAIMS), T0)


def _segment(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_an_unsigned_or_altered_token_is_refused() -> None:
    tokens = AccessTokens(KEY)
    header, payload, signature = tokens.encode(CLAIMS).split(".")
    claims = jwt.decode(tokens.encode(CLAIMS), options={"verify_signature": False})
    promoted = _segment(claims | {"role": "admin", "tenant": None})
    unsigned = _segment({"alg": "none", "typ": "JWT"}) + "." + payload + "."
    for forged in (f"{header}.{promoted}.{signature}", unsigned, "garbage", "a.b.c", "x" * 5000):
        with pytest.raises(AuthError, match="invalid access token"):
            tokens.decode(forged, T0)


def test_a_token_without_a_session_is_refused() -> None:
    payload = jwt.decode(AccessTokens(KEY).encode(CLAIMS), options={"verify_signature": False})
    del payload["sid"]
    text = jwt.encode(payload, KEY, algorithm="HS256")
    with pytest.raises(AuthError, match="invalid access token"):
        AccessTokens(KEY).decode(text, T0)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        AccessTokens(b"short")


def test_api_tokens_are_prefixed_random_and_stored_as_hashes() -> None:
    first, second = new_api_token(), new_api_token()
    assert first.startswith("pwk_")
    assert len(first) > 40
    assert first != second
    assert token_hash(first) != token_hash(second)
    assert first not in token_hash(first)
    assert len(token_hash("\ud800")) == 64  # a lone surrogate from JSON is no crash

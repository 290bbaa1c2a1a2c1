"""Access tokens verify against the published JWKS; refresh tokens carry their tenant; reuse is detected."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from reference_services.auth.tokens import (
    RefreshVerdict,
    SigningKey,
    StoredRefreshToken,
    hash_refresh_token,
    issue_refresh_token,
    judge_refresh,
    tenant_of_refresh_token,
)

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate(issuer="fleet-auth", audience="fleet")


def test_access_token_verifies_with_the_jwks_key_and_carries_the_claims(key: SigningKey) -> None:
    tenant = str(uuid.uuid4())
    # issued now, not at import: PyJWT checks exp against the clock, and a slow suite outlives a 900 s token
    token = key.access_token(sub="user-1", tenant_id=tenant, roles=["user"], now=datetime.now(UTC))
    jwk = key.jwks()["keys"][0]
    assert jwk["kid"] == key.kid == jwt.get_unverified_header(token)["kid"]
    assert "d" not in jwk  # the private exponent never leaves the process
    public = jwt.PyJWK(jwk).key
    claims = jwt.decode(token, public, algorithms=["RS256"], audience="fleet", issuer="fleet-auth")
    assert claims["tenant_id"] == tenant
    assert claims["roles"] == ["user"]
    assert claims["exp"] - claims["iat"] == 900


def test_token_of_another_key_does_not_verify(key: SigningKey) -> None:
    other = SigningKey.generate(issuer="fleet-auth", audience="fleet")
    token = other.access_token(sub="x", tenant_id=str(uuid.uuid4()), roles=[], now=NOW)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, jwt.PyJWK(key.jwks()["keys"][0]).key, algorithms=["RS256"], audience="fleet")


def test_refresh_token_names_its_tenant_and_is_stored_only_as_sha256() -> None:
    tenant = uuid.uuid4()
    issued = issue_refresh_token(tenant, NOW)
    assert tenant_of_refresh_token(issued.token) == tenant
    assert issued.token_hash == hash_refresh_token(issued.token) != issued.token
    assert len(issued.token_hash) == 64
    for junk in ("", "rt1.nothex.x", "abc", None, 42):
        assert tenant_of_refresh_token(junk) is None


def test_refresh_verdicts_rotate_reuse_expired_unknown() -> None:
    live = StoredRefreshToken(revoked_at=None, expires_at=NOW + timedelta(days=1))
    assert judge_refresh(live, NOW) is RefreshVerdict.ROTATE
    assert (
        judge_refresh(StoredRefreshToken(revoked_at=NOW, expires_at=NOW + timedelta(days=1)), NOW)
        is RefreshVerdict.REUSED
    )
    assert judge_refresh(StoredRefreshToken(revoked_at=None, expires_at=NOW), NOW) is RefreshVerdict.EXPIRED
    assert judge_refresh(None, NOW) is RefreshVerdict.UNKNOWN

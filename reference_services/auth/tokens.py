"""Token issuing: an RS256 signing key made at start-up, its JWKS, access tokens and rotating refresh tokens.

The signing key is a throwaway: generated in memory when the process starts and never written anywhere, so tokens
from a previous run stop verifying after a restart (fine for a reference service; a real fleet loads its key).

Refresh tokens are opaque random strings prefixed with the tenant id (``rt1.<tenant>.<secret>``) so that
``POST /auth/refresh``, which carries no tenant, can still look the token up inside the tenant's RLS transaction. Only
their SHA-256 is stored.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "ACCESS_TOKEN_TTL",
    "REFRESH_TOKEN_TTL",
    "IssuedRefreshToken",
    "RefreshVerdict",
    "SigningKey",
    "StoredRefreshToken",
    "hash_refresh_token",
    "issue_refresh_token",
    "judge_refresh",
    "tenant_of_refresh_token",
]

ACCESS_TOKEN_TTL = timedelta(seconds=900)
REFRESH_TOKEN_TTL = timedelta(days=7)
_REFRESH_PREFIX = "rt1"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An RSA private key with its key id; ``jwks()`` publishes the public half."""

    private_key: rsa.RSAPrivateKey
    kid: str
    issuer: str
    audience: str

    @classmethod
    def generate(cls, *, issuer: str, audience: str) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(private_key=key, kid=_thumbprint(key), issuer=issuer, audience=audience)

    @classmethod
    def from_pem_file(cls, path: str, *, issuer: str, audience: str) -> SigningKey:
        """The RSA private key of a PEM file (FLEET_JWT_SIGNING_KEY_FILE); a ConfigError names the variable if not."""
        from cryptography.hazmat.primitives import serialization

        from reference_services.kernel.config import ConfigError

        try:
            key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"FLEET_JWT_SIGNING_KEY_FILE: expected a PEM file with an RSA private key; {exc}"
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigError("FLEET_JWT_SIGNING_KEY_FILE: expected an RSA private key (RS256)")
        return cls(private_key=key, kid=_thumbprint(key), issuer=issuer, audience=audience)

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def access_token(self, *, sub: str, tenant_id: str, roles: Sequence[str], now: datetime) -> str:
        claims = {
            "sub": sub,
            "tenant_id": tenant_id,
            "roles": list(roles),
            "iat": int(now.timestamp()),
            "exp": int((now + ACCESS_TOKEN_TTL).timestamp()),
            "iss": self.issuer,
            "aud": self.audience,
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})


def _thumbprint(key: rsa.RSAPrivateKey) -> str:
    # RFC 7638 JWK thumbprint: stable for the key, so the kid names the key rather than the process
    numbers = key.public_key().public_numbers()

    def b64(n: int) -> str:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    canonical = f'{{"e":"{b64(numbers.e)}","kty":"RSA","n":"{b64(numbers.n)}"}}'
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class IssuedRefreshToken:
    token: str
    token_hash: str
    expires_at: datetime


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_refresh_token(tenant_id: uuid.UUID, now: datetime) -> IssuedRefreshToken:
    token = f"{_REFRESH_PREFIX}.{tenant_id.hex}.{secrets.token_urlsafe(32)}"
    return IssuedRefreshToken(token=token, token_hash=hash_refresh_token(token), expires_at=now + REFRESH_TOKEN_TTL)


def tenant_of_refresh_token(token: object) -> uuid.UUID | None:
    """The tenant a refresh token was issued in, or None when the string is not one of ours."""
    if not isinstance(token, str):
        return None
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != _REFRESH_PREFIX:
        return None
    try:
        return uuid.UUID(hex=parts[1])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class StoredRefreshToken:
    """The columns of a refresh_tokens row that decide a refresh."""

    revoked_at: datetime | None
    expires_at: datetime


class RefreshVerdict(enum.Enum):
    """What a refresh request gets; the value is the ``auth_token_refresh_total{status}`` label."""

    ROTATE = "success"
    REUSED = "reused"  # a rotated (revoked) token came back: assume theft, revoke the whole family
    EXPIRED = "expired"
    UNKNOWN = "invalid"


def judge_refresh(stored: StoredRefreshToken | None, now: datetime) -> RefreshVerdict:
    if stored is None:
        return RefreshVerdict.UNKNOWN
    if stored.revoked_at is not None:
        return RefreshVerdict.REUSED
    if now >= stored.expires_at:
        return RefreshVerdict.EXPIRED
    return RefreshVerdict.ROTATE

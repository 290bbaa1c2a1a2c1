"""The forged and broken bearer tokens of TENANCY-TOKENS-REFUSED, built from a real token of the owner tenant.

PyJWT signs what can be signed (an unknown RSA or EC key from ``cryptography``, an expired or other-issuer token with
the fleet's own signing key where the target gives one). Three attacks are assembled by hand on purpose, because
they are tokens no correct library produces (which is exactly what they test): an unsigned ``alg=none`` token, an
HS256 signature whose secret is the auth service's RSA public key (PyJWT rejects a PEM as an HMAC key), and a token
whose payload is changed while its original signature is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

if TYPE_CHECKING:
    from fleetcheck.contracts.fleet import TokenSpec

__all__ = ["forged_tokens"]

_OTHER_ISSUER = "https://issuer.fleetcheck.invalid"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    head, payload, signature = token.split(".")
    return _decoded(head), _decoded(payload), signature


def _decoded(part: str) -> dict[str, Any]:
    value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    if not isinstance(value, dict):
        raise ValueError("a JWT part that is not a JSON object")
    return value


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def _public_pem(jwk: dict[str, Any]) -> bytes:
    key: Any = jwt.PyJWK(jwk).key
    return bytes(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def _signed(claims: dict[str, Any], key: str, algorithm: str, kid: str | None) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def forged_tokens(
    token: str,
    spec: TokenSpec,
    tenant_claim: str,
    other_tenant: str,
    *,
    public_key: dict[str, Any] | None,
    signing_key: str | None,
    signing_kid: str | None,
) -> tuple[list[tuple[str, str | None]], list[tuple[str, str]]]:
    """``(attack, Authorization header value or None)`` for every attack that can be built, and the ones that cannot
    with the reason. ``token`` is a valid token of the owner; ``public_key`` the JWKS entry that verifies it."""
    try:
        header, claims, _signature = _parts(token)
    except ValueError:
        return [], [("all", "the owner's token is not a JWT (three base64url parts)")]
    kid = header.get("kid")
    now = int(time.time())
    made: list[tuple[str, str | None]] = [("missing", None), ("malformed", "Bearer not-a-jwt")]
    not_sent: list[tuple[str, str]] = []
    made.append(("alg=none", f"Bearer {_unsigned({'alg': 'none', 'typ': 'JWT'}, claims)}."))
    tampered = _unsigned(header, claims | {tenant_claim: other_tenant})
    made.append(("tampered-tenant", f"Bearer {tampered}.{token.rsplit('.', 1)[1]}"))
    if spec.algorithm == "HS256":
        made.append(("unknown-key", f"Bearer {_signed(claims, secrets.token_hex(32), 'HS256', kid)}"))
        not_sent.append(("hs256-public-key", "the fleet verifies HS256 tokens: there is no public key to misuse"))
    else:
        stranger = _stranger_key(spec.algorithm)
        made.append(("unknown-key", f"Bearer {_signed(claims, stranger, spec.algorithm, kid)}"))
        if public_key is None:
            not_sent.append(("hs256-public-key", "no public key: declare tenancy.tokens.jwks (<service> <path>)"))
        else:
            unsigned = _unsigned({"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}, claims)
            mac = hmac.new(_public_pem(public_key), unsigned.encode(), hashlib.sha256).digest()
            made.append(("hs256-public-key", f"Bearer {unsigned}.{_b64(mac)}"))
    if signing_key is None:
        why = "needs the fleet's signing key, for a token only the claim checks refuse: give credentials.signing_key"
        not_sent += [("expired", why), ("other-issuer", why)]
        return made, not_sent
    algorithm, key_kid = spec.algorithm, signing_kid or kid
    expired = claims | {"iat": now - 3600, "exp": now - 1800}
    made.append(("expired", f"Bearer {_signed(expired, signing_key, algorithm, key_kid)}"))
    if spec.issuer is None:
        not_sent.append(("other-issuer", "the fleet's tokens carry no issuer (tenancy.tokens.issuer)"))
    else:
        other = claims | {"iss": _OTHER_ISSUER, "exp": now + 600}
        made.append(("other-issuer", f"Bearer {_signed(other, signing_key, algorithm, key_kid)}"))
    return made, not_sent


def _stranger_key(algorithm: str) -> str:
    """A private key of the fleet's key type that no JWKS publishes, as PEM."""
    key: Any = (
        ec.generate_private_key(ec.SECP256R1()) if algorithm == "ES256" else rsa.generate_private_key(65537, 2048)
    )
    return bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    ).decode()

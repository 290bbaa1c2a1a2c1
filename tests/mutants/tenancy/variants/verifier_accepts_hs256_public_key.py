"""Mutant: the kernel's verifier (master-data's) takes the algorithm from the token and verifies an HS256 token with
the JWKS key's public PEM as the HMAC secret (the classic algorithm confusion) -> TENANCY-TOKENS-REFUSED."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import uuid

import jwt
from cryptography.hazmat.primitives import serialization

from reference_services.kernel.security import JwtVerifier, Principal

_real = JwtVerifier.verify


async def _verify(self: JwtVerifier, token: str) -> Principal:
    if jwt.get_unverified_header(token).get("alg") != "HS256":
        return await _real(self, token)
    key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
    pem = key.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signed, _, signature = token.rpartition(".")
    expected = base64.urlsafe_b64encode(hmac.new(pem, signed.encode(), hashlib.sha256).digest()).rstrip(b"=")
    if not hmac.compare_digest(expected, signature.encode()):
        return await _real(self, token)
    claims = jwt.decode(token, options={"verify_signature": False})
    return Principal(sub=str(claims["sub"]), tenant_id=uuid.UUID(str(claims["tenant_id"])))


JwtVerifier.verify = _verify  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")

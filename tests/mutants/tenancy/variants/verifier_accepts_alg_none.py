"""Mutant: the kernel's token verifier (master-data's) accepts an unsigned token whose header says ``alg: none``
-> TENANCY-TOKENS-REFUSED (the alg=none token answered 200)."""

from __future__ import annotations

import uuid

import jwt

from reference_services.kernel.security import JwtVerifier, Principal

_real = JwtVerifier.verify


async def _verify(self: JwtVerifier, token: str) -> Principal:
    if jwt.get_unverified_header(token).get("alg") == "none":
        claims = jwt.decode(token, options={"verify_signature": False})
        return Principal(sub=str(claims["sub"]), tenant_id=uuid.UUID(str(claims["tenant_id"])))
    return await _real(self, token)


JwtVerifier.verify = _verify  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")

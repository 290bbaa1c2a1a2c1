"""Token verification: RS256 JWTs against auth's JWKS, the tenant context, and the platform-admin credential."""

from __future__ import annotations

import asyncio
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler

    from .config import ServiceConfig

__all__ = ["JwtVerifier", "Principal", "bearer_token", "platform_admin_guard", "provide_principal"]

#: Verified tokens remembered at most (then forgotten all at once): a few clients' current tokens, not a leak.
_REMEMBERED = 1024


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller: subject, tenant and roles from the token's claims."""

    sub: str
    tenant_id: uuid.UUID
    roles: tuple[str, ...] = ()


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class JwtVerifier:
    """Verifies RS256 tokens with keys from FLEET_JWKS_URL (cached by PyJWKClient; fetched in a worker thread)."""

    def __init__(self, jwks_url: str, *, issuer: str, audience: str, cache_seconds: int = 300) -> None:
        self.issuer = issuer
        self.audience = audience
        self.cache_seconds = cache_seconds
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=cache_seconds, timeout=5)
        self._keys: dict[str | None, tuple[float, Any]] = {}  # kid -> (looked up at (monotonic), key)
        #: token -> (its principal, its exp claim (epoch s)), for tokens whose signature and claims were checked
        self._verified: dict[str, tuple[Principal, float]] = {}

    @classmethod
    def from_config(cls, config: ServiceConfig) -> JwtVerifier | None:
        if not config.jwks_url:
            return None
        return cls(config.jwks_url, issuer=config.jwt_issuer, audience=config.jwt_audience)

    async def verify(self, token: str) -> Principal:
        """The principal of ``token``; NotAuthorizedException (401) for anything not a valid, current token.

        A token whose signature and claims were checked is remembered (up to ``_REMEMBERED`` tokens) with its
        ``exp``: a client sends the same token with every request until it expires, and checking its RS256 signature
        again each time was a tenth of a short write's CPU. Only the expiry can change a verified token's verdict,
        and it is checked on every use.
        """
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known[1]:
                return known[0]
            del self._verified[token]
            raise NotAuthorizedException(detail="The bearer token has expired.")
        try:
            key = await self._signing_key(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iss", "aud", "sub", "tenant_id"]},
            )
            tenant = uuid.UUID(str(claims["tenant_id"]))
            expires = float(claims["exp"])
        except jwt.ExpiredSignatureError:
            raise NotAuthorizedException(detail="The bearer token has expired.") from None
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            raise NotAuthorizedException(detail="The bearer token is not valid.") from None
        roles = claims.get("roles") or ()
        principal = Principal(sub=str(claims["sub"]), tenant_id=tenant, roles=tuple(str(r) for r in roles))
        if len(self._verified) >= _REMEMBERED:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal

    async def _signing_key(self, token: str) -> Any:
        """The JWKS key that signed ``token``: fetched in a worker thread (network) only when its ``kid`` was not
        looked up in the last ``cache_seconds``; a thread hop per request cost more than the lookup."""
        kid = jwt.get_unverified_header(token).get("kid")
        hit = self._keys.get(kid)
        if hit is not None and time.monotonic() - hit[0] < self.cache_seconds:
            return hit[1]
        key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        self._keys[kid] = (time.monotonic(), key)  # only kids the JWKS has: an unknown one raised above
        return key


async def provide_principal(request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """Litestar dependency (``principal: Principal``): 401 without a valid token, 403 on tenant spoofing."""
    verifier: JwtVerifier | None = request.app.state.get("jwt_verifier")
    if verifier is None:
        raise NotAuthorizedException(detail="This service has no FLEET_JWKS_URL; it cannot verify tokens.")
    token = bearer_token(request)
    if token is None:
        raise NotAuthorizedException(detail="A bearer token is required (Authorization: Bearer <token>).")
    principal = await verifier.verify(token)
    claimed = request.headers.get("x-tenant-id")
    if claimed is not None and claimed.strip().lower() != str(principal.tenant_id):
        raise PermissionDeniedException(detail="X-Tenant-ID does not match the tenant of the bearer token.")
    return principal


def platform_admin_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Litestar guard: the bearer must equal FLEET_PLATFORM_ADMIN_TOKEN (constant-time comparison)."""
    expected: str | None = connection.app.state.get("platform_admin_token")
    token = bearer_token(connection)
    if token is None:
        raise NotAuthorizedException(detail="The platform-admin bearer credential is required.")
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise NotAuthorizedException(detail="The bearer is not the platform-admin credential.")

"""auth's app factory: kernel app + signing key + routes; it verifies its own tokens with its own key."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

import jwt
from litestar.exceptions import NotAuthorizedException

from reference_services.kernel import Database, KafkaCheck, PostgresCheck, ServiceMetrics, create_app
from reference_services.kernel.security import Principal

from .graphql import graphql_controller
from .metrics import AuthMetrics
from .routes import route_handlers
from .service import AuthService
from .tokens import SigningKey

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import ServiceConfig

__all__ = ["TOPICS", "LocalJwtVerifier", "build_app"]

SERVICE = "auth"
TOPICS = ("auth.user.registered", "auth.user.login", "auth.token.refresh", "auth.user.locked")


class LocalJwtVerifier:
    """The kernel's verifier contract (``await verify(token) -> Principal``) with the in-memory key, so auth needs no
    JWKS round trip to itself; the kernel's ``provide_principal`` still applies the 401/403 rules."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    async def verify(self, token: str) -> Principal:
        try:
            claims = await asyncio.to_thread(
                jwt.decode,
                token,
                self.key.private_key.public_key(),
                algorithms=["RS256"],
                issuer=self.key.issuer,
                audience=self.key.audience,
                options={"require": ["exp", "iss", "aud", "sub", "tenant_id"]},
            )
            tenant = uuid.UUID(str(claims["tenant_id"]))
        except jwt.ExpiredSignatureError:
            raise NotAuthorizedException(detail="The bearer token has expired.") from None
        except (jwt.PyJWTError, ValueError, KeyError):
            raise NotAuthorizedException(detail="The bearer token is not valid.") from None
        return Principal(sub=str(claims["sub"]), tenant_id=tenant, roles=tuple(str(r) for r in claims.get("roles", ())))


def build_app(config: ServiceConfig, *, database: Database | None = None, key: SigningKey | None = None) -> Litestar:
    """The auth app for ``config``; ``database``/``key`` can be given by tests, otherwise built from the config."""
    database = database or Database(config.require("database_app_url", "FLEET_DATABASE_APP_URL"))
    bootstrap = config.require("kafka_bootstrap", "FLEET_KAFKA_BOOTSTRAP")
    # a throwaway key per process (never written to disk), or the one the fleet's operator gives in a PEM file
    if key is None and config.jwt_signing_key_file:
        key = SigningKey.from_pem_file(
            config.jwt_signing_key_file, issuer=config.jwt_issuer, audience=config.jwt_audience
        )
    key = key or SigningKey.generate(issuer=config.jwt_issuer, audience=config.jwt_audience)
    metrics = ServiceMetrics(SERVICE)
    service = AuthService(database, key, AuthMetrics.register(metrics))

    async def stats() -> dict[str, Any]:
        return {"active_sessions": int(service.metrics.active_sessions._value.get()), "signing_key_id": key.kid}

    app = create_app(
        config=config,
        route_handlers=[*route_handlers(service), graphql_controller(service)],
        metrics=metrics,
        database=database,
        dependencies=[PostgresCheck(database), KafkaCheck(bootstrap, timeout_s=config.dependency_timeout_s)],
        stats=stats,
        event_topics=TOPICS,
    )
    app.state.jwt_verifier = LocalJwtVerifier(key)
    app.state.auth_service = service
    return app

"""auth's HTTP routes (service-env.md): register, login, refresh, JWKS, me, users/{user_id}."""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, ValidationException

from reference_services.kernel.errors import problem
from reference_services.kernel.security import Principal  # noqa: TC001 - Litestar reads handler annotations at runtime

from .passwords import PasswordPolicyError, check_password_policy
from .service import AccountLocked, InvalidCredentials, InvalidRefreshToken, Registration, user_json

if TYPE_CHECKING:
    from litestar.handlers import HTTPRouteHandler

    from .service import AuthService

__all__ = ["route_handlers"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NAME_MAX = 100


def _invalid(field: str, message: str) -> ValidationException:
    return ValidationException(
        detail=f"{field}: {message}", extra=[{"field": field, "message": message}], status_code=422
    )


async def _json_object(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ValidationException(detail="expected a JSON object as the request body; it is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValidationException(
            detail=f"expected a JSON object as the request body; got a JSON {type(body).__name__}"
        )
    return body


def _tenant(body: dict[str, Any]) -> uuid.UUID:
    raw = body.get("tenant_id")
    try:
        return uuid.UUID(raw) if isinstance(raw, str) else uuid.UUID("")
    except ValueError:
        raise _invalid("tenant_id", f"expected the tenant id as a uuid; got {raw!r}") from None


def _email(body: dict[str, Any]) -> str:
    raw = body.get("email")
    if not isinstance(raw, str) or not _EMAIL.fullmatch(raw.strip()) or len(raw.strip()) > 320:
        raise _invalid("email", f"expected an email address like name@example.com; got {raw!r}")
    # one spelling per address, so unique-per-tenant means what a person expects
    return raw.strip().lower()


def _name(body: dict[str, Any], field: str, *, required: bool) -> str | None:
    raw = body.get(field)
    if raw is None and not required:
        return None
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > _NAME_MAX:
        raise _invalid(field, f"expected a non-empty string of at most {_NAME_MAX} characters; got {raw!r}")
    return raw.strip()  # outer whitespace only: Bengali text is stored exactly as sent


def _registration(body: dict[str, Any]) -> Registration:
    try:
        password = check_password_policy(body.get("password"))
    except PasswordPolicyError as error:
        raise _invalid("password", str(error)) from None
    return Registration(
        tenant_id=_tenant(body),
        email=_email(body),
        password=password,
        first_name=_name(body, "first_name", required=True) or "",
        last_name=_name(body, "last_name", required=True) or "",
        first_name_bn=_name(body, "first_name_bn", required=False),
    )


def _credentials(body: dict[str, Any]) -> tuple[uuid.UUID, str, str]:
    tenant, email, password = _tenant(body), body.get("email"), body.get("password")
    if not isinstance(email, str) or not email.strip():
        raise _invalid("email", "expected the email as a non-empty string")
    if not isinstance(password, str) or not password:
        raise _invalid("password", "expected the password as a non-empty string")
    return tenant, email.strip().lower(), password


def _correlation(request: Request[Any, Any, Any]) -> str | None:
    return request.headers.get("x-correlation-id")


def _parse_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFoundException() from None


def route_handlers(service: AuthService) -> list[HTTPRouteHandler]:
    """The handlers, bound to one ``AuthService``."""

    @post("/auth/register", status_code=201)
    async def register(request: Request[Any, Any, Any]) -> dict[str, Any]:
        user = await service.register(_registration(await _json_object(request)), _correlation(request))
        return user_json(user)

    @post("/auth/login", status_code=200)
    async def login(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        tenant, email, password = _credentials(await _json_object(request))
        try:
            pair = await service.login(tenant, email, password, _correlation(request))
        except InvalidCredentials as error:
            return problem(401, str(error), title="Invalid credentials", headers={"WWW-Authenticate": "Bearer"})
        except AccountLocked as error:
            return problem(403, str(error), title="Account locked", headers={"Retry-After": str(error.retry_after_s)})
        return Response(pair.as_json(), headers={"Cache-Control": "no-store"})

    @post("/auth/refresh", status_code=200)
    async def refresh(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        body = await _json_object(request)
        try:
            pair = await service.refresh(body.get("refresh_token"), _correlation(request))
        except InvalidRefreshToken as error:
            return problem(401, str(error), title="Invalid refresh token", headers={"WWW-Authenticate": "Bearer"})
        return Response(pair.as_json(), headers={"Cache-Control": "no-store"})

    @get("/.well-known/jwks.json", sync_to_thread=False)
    def jwks() -> dict[str, Any]:
        return service.key.jwks()

    @get("/auth/me")
    async def me(principal: Principal) -> dict[str, Any]:
        user = await service.user(principal.tenant_id, _parse_id(principal.sub))
        if user is None:
            raise NotFoundException(detail="The user of this token no longer exists.")
        return {**user_json(user), "roles": list(principal.roles)}

    @get("/users/{user_id:str}")
    async def get_user(principal: Principal, user_id: str) -> dict[str, Any]:
        user = await service.user(principal.tenant_id, _parse_id(user_id))
        if user is None:
            raise NotFoundException()
        return user_json(user)

    return [register, login, refresh, jwks, me, get_user]

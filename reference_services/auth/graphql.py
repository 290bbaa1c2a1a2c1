"""auth's GraphQL subgraph at ``POST /graphql``: ``me`` and ``user(id)`` over the same ``AuthService`` as REST.

Resolvers run with the caller's verified ``Principal`` (the kernel's dependency: 401 problem+json without a valid
token), so a user of another tenant is ``null``, never its data. Resolver failures that are not deliberate
GraphQLErrors are masked ("Unexpected error.") so no SQL or stack trace reaches a client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry

from reference_services.kernel.graphql import parse_id, subgraph_controller

from .service import user_json

if TYPE_CHECKING:
    from litestar import Controller

    from reference_services.kernel.security import Principal

    from .service import AuthService

__all__ = ["graphql_controller"]


@strawberry.type
class User:
    id: strawberry.ID
    tenant_id: str
    email: str
    first_name: str
    last_name: str
    first_name_bn: str | None
    is_active: bool
    roles: list[str]


def _user(body: dict[str, Any], roles: list[str]) -> User:
    return User(id=strawberry.ID(body["id"]), tenant_id=body["tenant_id"], email=body["email"],
                first_name=body["first_name"], last_name=body["last_name"], first_name_bn=body["first_name_bn"],
                is_active=body["is_active"], roles=roles)  # fmt: skip


async def _find(info: strawberry.Info, raw_id: str) -> dict[str, Any] | None:
    service: AuthService = info.context["service"]
    principal: Principal = info.context["principal"]
    user_id = parse_id(raw_id)
    user = None if user_id is None else await service.user(principal.tenant_id, user_id)
    return None if user is None else user_json(user)


@strawberry.type
class Query:
    @strawberry.field(description="The user of the bearer token, with the token's roles.")
    async def me(self, info: strawberry.Info) -> User | None:
        principal: Principal = info.context["principal"]
        body = await _find(info, principal.sub)
        return None if body is None else _user(body, list(principal.roles))

    @strawberry.field(description="A user of the caller's tenant; null for a missing or foreign id.")
    async def user(self, info: strawberry.Info, id: strawberry.ID) -> User | None:
        body = await _find(info, str(id))
        return None if body is None else _user(body, [])


def graphql_controller(service: AuthService) -> type[Controller]:
    """The ``/graphql`` controller over ``service`` (the same instance the REST routes use)."""
    return subgraph_controller(Query, service=service)

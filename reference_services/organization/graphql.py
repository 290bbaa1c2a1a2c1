"""organization's GraphQL subgraph at ``POST /graphql``: the caller's organizations and divisions.

Resolvers run with the caller's verified ``Principal`` (the kernel's dependency: 401 problem+json without a valid
token) inside ``tenant_transaction`` (RLS) with an explicit tenant filter on top, and render rows with the REST
routes' own body functions, so both APIs answer the same shape: another tenant's organization is ``null``. Resolver
failures that are not deliberate GraphQLErrors are masked ("Unexpected error.").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry
from sqlalchemy import select

from reference_services.kernel.graphql import parse_id, subgraph_controller

from .models import Division
from .models import Organization as OrganizationRow
from .routes import _division_body, _organization_body

if TYPE_CHECKING:
    import uuid

    from litestar import Controller

    from reference_services.kernel.db import Database

__all__ = ["graphql_controller"]


@strawberry.type
class Organization:
    id: strawberry.ID
    tenant_id: str
    code: str
    name: str
    name_bn: str | None


@strawberry.type
class OrgDivision:
    id: strawberry.ID
    tenant_id: str
    code: str
    name: str
    organization_id: str


def _scope(info: strawberry.Info) -> tuple[Database, uuid.UUID]:
    return info.context["database"], info.context["principal"].tenant_id


@strawberry.type
class Query:
    @strawberry.field(description="The caller's tenant's organizations, ordered by code.")
    async def organizations(self, info: strawberry.Info) -> list[Organization]:
        database, tenant = _scope(info)
        async with database.tenant_transaction(tenant) as session:
            rows = await session.scalars(
                select(OrganizationRow).where(OrganizationRow.tenant_id == tenant).order_by(OrganizationRow.code)
            )
            return [Organization(**_organization_body(row)) for row in rows]

    @strawberry.field(description="One organization of the caller's tenant; null for a missing or foreign id.")
    async def organization(self, info: strawberry.Info, id: strawberry.ID) -> Organization | None:
        database, tenant = _scope(info)
        organization_id = parse_id(str(id))
        if organization_id is None:
            return None
        async with database.tenant_transaction(tenant) as session:
            row = await session.scalar(
                select(OrganizationRow).where(
                    OrganizationRow.id == organization_id, OrganizationRow.tenant_id == tenant
                )
            )
            return None if row is None else Organization(**_organization_body(row))

    @strawberry.field(description="The caller's tenant's divisions, ordered by code.")
    async def divisions(self, info: strawberry.Info) -> list[OrgDivision]:
        database, tenant = _scope(info)
        async with database.tenant_transaction(tenant) as session:
            rows = await session.scalars(select(Division).where(Division.tenant_id == tenant).order_by(Division.code))
            return [OrgDivision(**_division_body(row)) for row in rows]


def graphql_controller(database: Database) -> type[Controller]:
    """The ``/graphql`` controller over ``database`` (the instance the app's ``database`` dependency gives the REST
    routes)."""
    return subgraph_controller(Query, database=database)

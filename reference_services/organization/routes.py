"""HTTP routes: the tenant registry (platform admin) and tenant-scoped organizations and divisions (user JWT)."""

from __future__ import annotations

import uuid  # noqa: TC003 - Litestar reads handler annotations at runtime
from typing import TYPE_CHECKING, Any

from litestar import Controller, Router, delete, get, patch, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, JSONBody  # noqa: TC002 - Litestar reads annotations at runtime
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reference_services.kernel import Database, Principal, add_event, platform_admin_guard
from reference_services.kernel.handlers import visible_row

from .metrics import OrganizationMetrics  # noqa: TC001 - Litestar resolves the `stats` dependency by annotation
from .models import Division, Organization, Tenant
from .schemas import (  # noqa: TC001 - Litestar reads handler annotations at runtime
    DivisionCreate,
    DivisionUpdate,
    OrganizationCreate,
    OrganizationUpdate,
    TenantCreate,
    TenantUpdate,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["TOPICS", "route_handlers"]

SERVICE = "organization"
TOPICS = ("organization.tenant.created", "organization.tenant.updated", "organization.tenant.suspended")


def _tenant_body(tenant: Tenant) -> dict[str, Any]:
    return {"id": str(tenant.id), "name": tenant.name, "code": tenant.code, "status": tenant.status}


def _organization_body(org: Organization) -> dict[str, Any]:
    return {"id": str(org.id), "tenant_id": str(org.tenant_id), "code": org.code, "name": org.name,
            "name_bn": org.name_bn}  # fmt: skip


def _division_body(division: Division) -> dict[str, Any]:
    return {"id": str(division.id), "tenant_id": str(division.tenant_id), "code": division.code,
            "name": division.name, "organization_id": str(division.organization_id)}  # fmt: skip


def _tenant_event(session: AsyncSession, action: str, tenant: Tenant) -> None:
    add_event(session, topic=f"organization.tenant.{action}", key=tenant.id, data=_tenant_body(tenant),
              tenant_id=tenant.id, source=SERVICE)  # fmt: skip


async def _find_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await session.get(Tenant, tenant_id, with_for_update=True)
    if tenant is None:
        raise NotFoundException(detail=f"No tenant {tenant_id}.")
    return tenant


class TenantController(Controller):
    path = "/tenants"
    guards = [platform_admin_guard]  # noqa: RUF012 - Litestar reads the class attribute

    @staticmethod
    async def _run(database: Database, stats: OrganizationMetrics, operation: str, work: Any) -> dict[str, Any]:
        """Run one registry operation; the operations counter moves exactly once, with its outcome."""
        try:
            async with database.system_transaction() as session:
                body = await work(session)
        except (IntegrityError, NotFoundException):
            stats.operations.labels(operation=operation, status="failure").inc()
            raise
        stats.operations.labels(operation=operation, status="success").inc()
        await stats.refresh_tenants(database)
        return body

    @post("/")
    async def create_tenant(
        self, data: JSONBody[TenantCreate], database: Database, stats: OrganizationMetrics
    ) -> dict[str, Any]:
        async def work(session: AsyncSession) -> dict[str, Any]:
            tenant = Tenant(name=data.name, code=data.code, status="active")
            session.add(tenant)
            await session.flush()
            _tenant_event(session, "created", tenant)
            return _tenant_body(tenant)

        return await self._run(database, stats, "create", work)

    @get("/")
    async def list_tenants(self, database: Database) -> list[dict[str, Any]]:
        async with database.system_transaction() as session:
            tenants = (await session.scalars(select(Tenant).order_by(Tenant.created_at))).all()
        return [_tenant_body(t) for t in tenants]

    @get("/{tenant_id:uuid}")
    async def get_tenant(self, tenant_id: FromPath[uuid.UUID], database: Database) -> dict[str, Any]:
        async with database.system_transaction() as session:
            tenant = await session.get(Tenant, tenant_id)
        if tenant is None:
            raise NotFoundException(detail=f"No tenant {tenant_id}.")
        return _tenant_body(tenant)

    @patch("/{tenant_id:uuid}")
    async def update_tenant(
        self,
        tenant_id: FromPath[uuid.UUID],
        data: JSONBody[TenantUpdate],
        database: Database,
        stats: OrganizationMetrics,
    ) -> dict[str, Any]:
        async def work(session: AsyncSession) -> dict[str, Any]:
            tenant = await _find_tenant(session, tenant_id)
            for field in ("name", "code"):
                if getattr(data, field) is not None:
                    setattr(tenant, field, getattr(data, field))
            await session.flush()
            _tenant_event(session, "updated", tenant)
            return _tenant_body(tenant)

        return await self._run(database, stats, "update", work)

    @post("/{tenant_id:uuid}/suspend", status_code=200)
    async def suspend_tenant(
        self, tenant_id: FromPath[uuid.UUID], database: Database, stats: OrganizationMetrics
    ) -> dict[str, Any]:
        async def work(session: AsyncSession) -> dict[str, Any]:
            tenant = await _find_tenant(session, tenant_id)
            tenant.status = "suspended"
            await session.flush()
            _tenant_event(session, "suspended", tenant)
            return _tenant_body(tenant)

        return await self._run(database, stats, "suspend", work)


def _apply(target: Any, data: Any, fields: tuple[str, ...]) -> None:
    for field in fields:
        value = getattr(data, field)
        if value is not None:
            setattr(target, field, value)


class OrganizationController(Controller):
    path = "/organizations"

    @get("/")
    async def list_organizations(self, principal: Principal, database: Database) -> list[dict[str, Any]]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            rows = (await session.scalars(select(Organization).order_by(Organization.code))).all()
        return [_organization_body(o) for o in rows]

    @post("/")
    async def create_organization(
        self, data: JSONBody[OrganizationCreate], principal: Principal, database: Database
    ) -> dict[str, Any]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            org = Organization(tenant_id=principal.tenant_id, code=data.code, name=data.name, name_bn=data.name_bn)
            session.add(org)
            await session.flush()
            return _organization_body(org)

    @get("/{organization_id:uuid}")
    async def get_organization(
        self, organization_id: FromPath[uuid.UUID], principal: Principal, database: Database
    ) -> dict[str, Any]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            return _organization_body(await visible_row(session, Organization, organization_id, "organization"))

    @patch("/{organization_id:uuid}")
    async def update_organization(
        self,
        organization_id: FromPath[uuid.UUID],
        data: JSONBody[OrganizationUpdate],
        principal: Principal,
        database: Database,
    ) -> dict[str, Any]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            org = await visible_row(session, Organization, organization_id, "organization")
            _apply(org, data, ("code", "name", "name_bn"))
            await session.flush()
            return _organization_body(org)

    @delete("/{organization_id:uuid}")
    async def delete_organization(
        self, organization_id: FromPath[uuid.UUID], principal: Principal, database: Database
    ) -> None:
        async with database.tenant_transaction(principal.tenant_id) as session:
            await session.delete(await visible_row(session, Organization, organization_id, "organization"))


class DivisionController(Controller):
    path = "/divisions"

    @get("/")
    async def list_divisions(self, principal: Principal, database: Database) -> list[dict[str, Any]]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            rows = (await session.scalars(select(Division).order_by(Division.code))).all()
        return [_division_body(d) for d in rows]

    @post("/")
    async def create_division(
        self, data: JSONBody[DivisionCreate], principal: Principal, database: Database
    ) -> dict[str, Any]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            # Foreign-key checks bypass RLS, so the parent's visibility to this tenant is checked explicitly.
            if await session.get(Organization, data.organization_id) is None:
                raise ValidationException(detail=f"organization_id {data.organization_id} does not exist.")
            division = Division(tenant_id=principal.tenant_id, organization_id=data.organization_id,
                                code=data.code, name=data.name)  # fmt: skip
            session.add(division)
            await session.flush()
            return _division_body(division)

    @get("/{division_id:uuid}")
    async def get_division(
        self, division_id: FromPath[uuid.UUID], principal: Principal, database: Database
    ) -> dict[str, Any]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            return _division_body(await visible_row(session, Division, division_id, "division"))

    @patch("/{division_id:uuid}")
    async def update_division(
        self, division_id: FromPath[uuid.UUID], data: JSONBody[DivisionUpdate], principal: Principal, database: Database
    ) -> dict[str, Any]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            division = await visible_row(session, Division, division_id, "division")
            _apply(division, data, ("code", "name"))
            await session.flush()
            return _division_body(division)

    @delete("/{division_id:uuid}")
    async def delete_division(self, division_id: FromPath[uuid.UUID], principal: Principal, database: Database) -> None:
        async with database.tenant_transaction(principal.tenant_id) as session:
            await session.delete(await visible_row(session, Division, division_id, "division"))


def route_handlers(stats: OrganizationMetrics) -> list[Any]:
    provide_stats = Provide(lambda: stats, sync_to_thread=False)
    return [Router("/", route_handlers=[TenantController], dependencies={"stats": provide_stats}),
            OrganizationController, DivisionController]  # fmt: skip

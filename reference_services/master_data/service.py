"""master-data's CRUD, generic over the four entities: tenant-scoped queries, outbox events, metrics."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from reference_services.kernel.outbox import OutboxEvent, add_event

from .models import Account
from .schema import ENTITIES, FieldError, to_json

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.ext.asyncio import AsyncSession

    from reference_services.kernel.db import Database

    from .metrics import MasterDataMetrics
    from .schema import EntitySpec

__all__ = ["SOURCE", "DuplicateKey", "MasterDataService"]

SOURCE = "master-data"
_UNIQUE_VIOLATION = "23505"


class DuplicateKey(Exception):
    def __init__(self, spec: EntitySpec, value: object) -> None:
        super().__init__(
            f"a {spec.entity_type} with {spec.key} {value!r} already exists in this tenant; "
            f"choose another {spec.key} or update the existing {spec.entity_type}"
        )


def _is_unique_violation(error: IntegrityError) -> bool:
    orig = error.orig
    code = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    return code == _UNIQUE_VIOLATION


class MasterDataService:
    def __init__(self, database: Database, metrics: MasterDataMetrics) -> None:
        self.database = database
        self.metrics = metrics

    def _done(self, spec: EntitySpec, operation: str, started: float) -> None:
        """Count an operation that completed (committed); failed ones are not master-data operations."""
        labels = {"entity_type": spec.entity_type, "operation": operation}
        self.metrics.crud_operations.labels(**labels).inc()
        self.metrics.crud_duration.labels(**labels).observe(time.perf_counter() - started)

    def _event(
        self,
        session: AsyncSession,
        spec: EntitySpec,
        action: str,
        row: Any,
        data: dict[str, Any],
        correlation_id: str | None,
    ) -> None:
        add_event(
            session,
            topic=spec.topic(action),
            key=str(row.id),
            data=data,
            tenant_id=row.tenant_id,
            source=SOURCE,
            correlation_id=correlation_id,
        )

    async def create(
        self, spec: EntitySpec, tenant: uuid.UUID, values: dict[str, Any], correlation_id: str | None
    ) -> dict[str, Any]:
        started = time.perf_counter()
        async with self.database.tenant_transaction(tenant) as session:
            await self._check_parent(session, spec, tenant, values, own_id=None)
            row = await self._insert(session, spec, {"tenant_id": tenant, **values})
            body = to_json(spec, row)
            self._event(session, spec, "created", row, body, correlation_id)
        self._done(spec, "create", started)
        self.metrics.entity_count.labels(entity_type=spec.entity_type).inc()
        return body

    async def get(self, spec: EntitySpec, tenant: uuid.UUID, entity_id: uuid.UUID) -> dict[str, Any] | None:
        started = time.perf_counter()
        async with self.database.tenant_transaction(tenant) as session:
            row = await self._visible(session, spec, tenant, entity_id)
            body = None if row is None else to_json(spec, row)
        if body is not None:
            self._done(spec, "read", started)
        return body

    async def list(self, spec: EntitySpec, tenant: uuid.UUID, *, limit: int, offset: int) -> list[dict[str, Any]]:
        started = time.perf_counter()
        model: Any = spec.model
        async with self.database.tenant_transaction(tenant) as session:
            rows = await session.scalars(
                # explicit tenant filter on top of RLS: a missing policy must not leak rows
                select(model)
                .where(model.tenant_id == tenant)
                .order_by(getattr(model, spec.key))
                .limit(limit)
                .offset(offset)
            )
            body = [to_json(spec, row) for row in rows]
        self._done(spec, "list", started)
        return body

    async def update(
        self,
        spec: EntitySpec,
        tenant: uuid.UUID,
        entity_id: uuid.UUID,
        values: dict[str, Any],
        correlation_id: str | None,
    ) -> dict[str, Any] | None:
        started = time.perf_counter()
        async with self.database.tenant_transaction(tenant) as session:
            row = await self._visible(session, spec, tenant, entity_id, for_update=True)
            if row is None:
                return None
            await self._check_parent(session, spec, tenant, values, own_id=entity_id)
            for name, value in values.items():
                setattr(row, name, value)
            await self._flush(session, spec, values)
            await session.refresh(row)
            body = to_json(spec, row)
            self._event(session, spec, "updated", row, body, correlation_id)
        self._done(spec, "update", started)
        return body

    async def delete(
        self, spec: EntitySpec, tenant: uuid.UUID, entity_id: uuid.UUID, correlation_id: str | None
    ) -> bool:
        started = time.perf_counter()
        async with self.database.tenant_transaction(tenant) as session:
            row = await self._visible(session, spec, tenant, entity_id, for_update=True)
            if row is None:
                return False
            data = {"id": str(row.id), "tenant_id": str(row.tenant_id), spec.key: getattr(row, spec.key)}
            self._event(session, spec, "deleted", row, data, correlation_id)
            await session.delete(row)
        self._done(spec, "delete", started)
        self.metrics.entity_count.labels(entity_type=spec.entity_type).dec()
        return True

    async def _visible(
        self,
        session: AsyncSession,
        spec: EntitySpec,
        tenant: uuid.UUID,
        entity_id: uuid.UUID,
        *,
        for_update: bool = False,
    ) -> Any:
        model: Any = spec.model
        query = select(model).where(model.id == entity_id, model.tenant_id == tenant)
        return await session.scalar(query.with_for_update() if for_update else query)

    async def _insert(self, session: AsyncSession, spec: EntitySpec, values: dict[str, Any]) -> Any:
        """INSERT ... RETURNING: the row as stored (server defaults, numeric scale) in one round trip, not two."""
        try:
            return await session.scalar(insert(spec.model).values(**values).returning(spec.model))
        except IntegrityError as error:
            if _is_unique_violation(error):
                raise DuplicateKey(spec, values.get(spec.key)) from None
            raise

    async def _flush(self, session: AsyncSession, spec: EntitySpec, values: dict[str, Any]) -> None:
        try:
            await session.flush()
        except IntegrityError as error:
            if _is_unique_violation(error):
                raise DuplicateKey(spec, values.get(spec.key)) from None
            raise

    async def _check_parent(
        self,
        session: AsyncSession,
        spec: EntitySpec,
        tenant: uuid.UUID,
        values: dict[str, Any],
        own_id: uuid.UUID | None,
    ) -> None:
        # A foreign key check ignores RLS, so another tenant's account would pass it: look the parent up ourselves.
        parent = values.get("parent_id")
        if spec.model is not Account or parent is None:
            return
        if parent == own_id:
            raise FieldError("parent_id", "invalid_reference", "parent_id: an account cannot be its own parent")
        found = await session.scalar(select(Account.id).where(Account.id == parent, Account.tenant_id == tenant))
        if found is None:
            raise FieldError("parent_id", "invalid_reference", f"parent_id: no account {parent} in this tenant")

    async def count_entities(self) -> None:
        """Set ``master_data_entities`` from the database (at start-up).

        The runtime role cannot read across tenants (RLS), so the tenants are taken from the RLS-exempt outbox: every
        row was created together with its ``created`` event, so every tenant that owns a row has an outbox row.
        """
        async with self.database.system_transaction() as session:
            tenants = list(await session.scalars(select(OutboxEvent.tenant_id).distinct()))
        totals = dict.fromkeys((spec.entity_type for spec in ENTITIES), 0)
        for tenant in tenants:
            async with self.database.tenant_transaction(tenant) as session:
                for spec in ENTITIES:
                    model: Any = spec.model
                    totals[spec.entity_type] += (
                        await session.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant))
                        or 0
                    )
        for entity_type, total in totals.items():
            self.metrics.entity_count.labels(entity_type=entity_type).set(total)

    async def statistics(self) -> dict[str, Any]:
        return {
            f"{entity}_count": int(self.metrics.entity_count.labels(entity_type=entity)._value.get())
            for entity in (spec.entity_type for spec in ENTITIES)
        }

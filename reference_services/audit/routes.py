"""audit's HTTP routes (user JWT, tenant-scoped, read-only): ``GET /audit-logs``, ``GET /audit-logs/{audit_log_id}``."""

from __future__ import annotations

import uuid  # noqa: TC003 - Litestar reads handler annotations at runtime
from typing import Annotated, Any

from litestar import get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy import select

from reference_services.kernel import Database, Principal  # noqa: TC001 - Litestar reads annotations at runtime

from .models import AuditLog

__all__ = ["route_handlers"]

_MAX_LIMIT = 500


def _body(row: AuditLog) -> dict[str, Any]:
    return {"id": str(row.id), "tenant_id": str(row.tenant_id), "event_id": str(row.event_id),
            "event_type": row.event_type, "source": row.source, "subject": row.subject, "severity": row.severity,
            "outcome": row.outcome, "occurred_at": row.occurred_at.isoformat(),
            "created_at": row.created_at.isoformat(), "payload": row.payload}  # fmt: skip


@get("/audit-logs")
async def list_audit_logs(
    principal: Principal,
    database: Database,
    event_id: FromQuery[uuid.UUID | None] = None,
    event_type: Annotated[str | None, QueryParameter(max_length=255)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=_MAX_LIMIT)] = 100,
) -> list[dict[str, Any]]:
    query = select(AuditLog).order_by(AuditLog.occurred_at.desc(), AuditLog.id).limit(limit)
    if event_id is not None:
        query = query.where(AuditLog.event_id == event_id)
    if event_type is not None:
        query = query.where(AuditLog.event_type == event_type)
    async with database.tenant_transaction(principal.tenant_id) as session:
        rows = (await session.scalars(query)).all()
    return [_body(row) for row in rows]


@get("/audit-logs/{audit_log_id:uuid}")
async def get_audit_log(audit_log_id: FromPath[uuid.UUID], principal: Principal, database: Database) -> dict[str, Any]:
    async with database.tenant_transaction(principal.tenant_id) as session:
        row = await session.get(AuditLog, audit_log_id)
    if row is None:
        raise NotFoundException(detail=f"No audit log {audit_log_id} for this tenant.")
    return _body(row)


def route_handlers() -> list[Any]:
    return [list_audit_logs, get_audit_log]

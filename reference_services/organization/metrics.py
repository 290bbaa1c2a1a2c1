"""Business metrics of the organization service (SPEC.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from .models import TENANT_STATUSES, Tenant

if TYPE_CHECKING:
    from reference_services.kernel import Database, ServiceMetrics

__all__ = ["OPERATIONS", "OrganizationMetrics"]

OPERATIONS = ("create", "update", "suspend")


class OrganizationMetrics:
    """``organization_tenants{status}`` (recomputed from the table) and ``organization_tenant_operations_total``.

    SPEC.md names the gauge ``organization_tenant_total``; a gauge must not end in ``_total`` (promtool), so the
    fleet file and this service use ``organization_tenants``.
    """

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.tenants = metrics.gauge("organization_tenants", "Tenants in the registry, by status.", ["status"])
        self.operations = metrics.counter(
            "organization_tenant_operations_total", "Tenant operations, by outcome.", ["operation", "status"]
        )
        for status in TENANT_STATUSES:
            self.tenants.labels(status=status).set(0)
        for operation in OPERATIONS:
            for outcome in ("success", "failure"):
                self.operations.labels(operation=operation, status=outcome)

    async def refresh_tenants(self, database: Database) -> dict[str, int]:
        """Set the gauge from the registry (kept true after each change and at startup); returns the counts."""
        async with database.system_transaction() as session:
            rows = (await session.execute(select(Tenant.status, func.count()).group_by(Tenant.status))).all()
        counts = dict.fromkeys(TENANT_STATUSES, 0) | {status: int(n) for status, n in rows}
        for status, count in counts.items():
            self.tenants.labels(status=status).set(count)
        return counts

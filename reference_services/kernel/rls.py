"""Row-level security helpers for migrations: one policy per tenant table, failing closed when no tenant is set."""

from __future__ import annotations

from typing import Any

__all__ = ["POLICY_NAME", "disable_tenant_rls", "enable_tenant_rls", "rls_disable_sql", "rls_enable_sql"]

POLICY_NAME = "tenant_isolation"
_TENANT_EXPR = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def rls_enable_sql(table: str) -> list[str]:
    """The statements that enable and force RLS on ``table`` with the tenant policy."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {POLICY_NAME} ON {table} USING ({_TENANT_EXPR}) WITH CHECK ({_TENANT_EXPR})",
    ]


def rls_disable_sql(table: str) -> list[str]:
    """The exact inverse of :func:`rls_enable_sql`."""
    return [
        f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


def enable_tenant_rls(op: Any, table: str) -> None:
    """In an Alembic migration: ``enable_tenant_rls(op, "organizations")``."""
    for statement in rls_enable_sql(table):
        op.execute(statement)


def disable_tenant_rls(op: Any, table: str) -> None:
    """In an Alembic downgrade: ``disable_tenant_rls(op, "organizations")``."""
    for statement in rls_disable_sql(table):
        op.execute(statement)

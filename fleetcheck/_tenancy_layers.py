"""Database access for the defence-in-depth probe: which layer stops a cross-tenant read.

Row-level security is probed directly: as the service's runtime role, with the other tenant in the tenancy setting,
the owner's row must be invisible. The application's own filter is probed by switching row-level security off on
the table (``ALTER TABLE ... DISABLE ROW LEVEL SECURITY``, as a role that may) for the one cross-tenant request, and
on again in ``finally``. That needs the table owner or a superuser, so it runs on the reference fleet (its
PostgreSQL superuser) and where a target file gives ``databases.<svc>.owner`` (a test deployment only).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fleetcheck.targets import Target

__all__ = ["LayerAccess", "layer_access"]

_CONNECT_TIMEOUT_S = 5


def _table(name: str) -> sql.Composable:
    return sql.Identifier(*name.split("."))


@dataclass(frozen=True, slots=True)
class LayerAccess:
    """``runtime_dsn`` reads as the service's runtime role (or, with ``runtime_role``, a superuser that becomes it);
    ``owner_dsn`` may switch row-level security off and on."""

    runtime_dsn: str
    runtime_role: str | None = None
    owner_dsn: str | None = None

    @property
    def can_disable(self) -> bool:
        return self.owner_dsn is not None

    @property
    def owner_missing(self) -> str:
        if self.owner_dsn is not None:
            return ""
        return "the application layer alone is measured with row-level security off: give databases.<svc>.owner"

    def rls_hides(self, table: str, row_id: str, setting: str, *, owner: str, other: str) -> tuple[bool | None, str]:
        """Whether the runtime role, with ``other`` as the tenant, sees no row ``row_id`` (while ``owner`` does)."""
        try:
            seen_by_owner = self._count(table, row_id, setting, owner)
            seen_by_other = self._count(table, row_id, setting, other)
        except psycopg.Error as exc:
            return None, f"the row-level security probe of {table} failed: {str(exc).strip()[:200]}"
        if seen_by_owner != 1:
            return None, f"the owner's row {row_id} is not in {table} (saw {seen_by_owner}): declare the right table"
        return seen_by_other == 0, ""

    def _count(self, table: str, row_id: str, setting: str, tenant: str) -> int:
        with psycopg.connect(self.runtime_dsn, connect_timeout=_CONNECT_TIMEOUT_S) as conn, conn.transaction():
            if self.runtime_role:
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(self.runtime_role)))
            conn.execute("SELECT set_config(%s, %s, true)", [setting, tenant])
            query = sql.SQL("SELECT count(*) FROM {} WHERE id = %s").format(_table(table))
            row = conn.execute(query, [row_id]).fetchone()
        return int(row[0]) if row else 0

    @contextlib.contextmanager
    def rls_disabled(self, table: str) -> Iterator[None]:
        """Row-level security off on ``table`` for the block, on again afterwards whatever happens."""
        assert self.owner_dsn is not None
        with psycopg.connect(self.owner_dsn, autocommit=True, connect_timeout=_CONNECT_TIMEOUT_S) as conn:
            conn.execute(sql.SQL("ALTER TABLE {} DISABLE ROW LEVEL SECURITY").format(_table(table)))
            try:
                yield
            finally:
                conn.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(_table(table)))


def layer_access(target: Target, service: str) -> LayerAccess | str:
    """How to reach ``service``'s database for the probe, or why fleetcheck cannot (a string)."""
    runtime = getattr(target, "runtime_databases", None)
    if isinstance(runtime, dict):  # a target file
        owners = getattr(target, "owner_databases", {})
        if service not in runtime:
            return f"the target file gives no databases.{service}.runtime DSN for the row-level security probe"
        return LayerAccess(runtime[service], owner_dsn=owners.get(service))
    infra = getattr(target, "_infra", None)  # the reference fleet: its superuser, read and used, never changed
    if infra is None:
        return "the target gives no database access for the row-level security probe"
    from fleetcheck.events import _service_database
    from fleetcheck.fixtures.launcher import _with_database

    admin = str(infra.postgres.admin_dsn)
    name = _service_database(admin, service)
    if name is None:
        return f"no database of {service} found on the reference fleet's server"
    dsn = _with_database(admin, name)
    return LayerAccess(dsn, runtime_role=f"{name}_app", owner_dsn=dsn)

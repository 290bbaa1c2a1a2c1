"""Mutant: notification sets the tenant with ``SET`` (session scope) on one pooled connection, then runs the
request's transaction on whichever connection the pool hands out. One request at a time gets the same connection
back (the pool is LIFO), so every sequential check passes; under concurrency a request runs on a connection that
still carries another request's tenant, and RLS shows it that tenant's rows: only the load run catches it
(TENANCY-NO-FOREIGN-CANARY under load). Notification's reads by id rely on RLS alone, so the leak reaches the answer.
"""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from reference_services.kernel import db as kernel_db

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

_real_init = kernel_db.Database.__init__
_create = kernel_db.create_async_engine


def _lifo_engine(*args: Any, **kwargs: Any) -> Any:
    return _create(*args, pool_use_lifo=True, **kwargs)


@asynccontextmanager
async def _tenant_transaction(self: kernel_db.Database, tenant_id: Any) -> AsyncIterator[Any]:
    async with self.engine.connect() as conn:  # the bug: SET, not SET LOCAL, on a connection of its own
        await conn.execute(
            text("SELECT set_config('app.tenant_id', :tid, false)"), {"tid": str(uuid.UUID(str(tenant_id)))}
        )
        await conn.commit()
    async with self.sessionmaker() as session, session.begin():
        yield session


kernel_db.create_async_engine = _lifo_engine  # type: ignore[assignment]
kernel_db.Database.tenant_transaction = _tenant_transaction  # type: ignore[assignment,method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("notification")

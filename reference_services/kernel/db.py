"""Database access: the declarative base, the table mixins, and tenant-scoped transactions on the runtime role."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from datetime import datetime  # noqa: TC003 - SQLAlchemy resolves Mapped[...] annotations at runtime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, MetaData, Uuid, event, func, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, sessionmaker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "Database",
    "TenantScoped",
    "Timestamps",
    "UUIDPrimaryKey",
    "async_url",
    "sync_url",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every reference-service model (one process serves one service, so one MetaData)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UUIDPrimaryKey:
    """``id uuid PRIMARY KEY DEFAULT gen_random_uuid()``."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, server_default=func.gen_random_uuid())


class TenantScoped:
    """``tenant_id uuid NOT NULL`` with an index whose first column is tenant_id."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(Uuid, nullable=False, index=True)


class Timestamps:
    """``created_at timestamptz NOT NULL DEFAULT now()`` and ``updated_at`` (set on every ORM update)."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, onupdate=func.now())


def async_url(dsn: str) -> str:
    """``postgresql://...`` -> the asyncpg driver URL SQLAlchemy needs."""
    return make_url(dsn).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def sync_url(dsn: str) -> str:
    """``postgresql://...`` -> the psycopg (v3) driver URL used by migrations."""
    return make_url(dsn).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


class Database:
    """The async engine of the runtime role (FLEET_DATABASE_APP_URL) and its transactions.

    Connections carry a connect timeout and a command timeout so that a hung PostgreSQL (SIGSTOP) cannot hold pool
    slots forever; the pool is bounded and checkouts wait at most ``pool_timeout_s``. A connection that the server
    closed (PostgreSQL stopped or restarted) is replaced at checkout, without a round trip: SQLAlchemy's
    ``pool_pre_ping`` would cost three (BEGIN, a ping, ROLLBACK with asyncpg) before every transaction, a third of a
    short write's. A connection that breaks in use fails that use, and SQLAlchemy then replaces the whole pool.
    ``sessions`` is the sync sessionmaker behind every session, for session events (the outbox relay's wake-up).

    Example:
        >>> async with db.tenant_transaction(tenant_id) as session:  # doctest: +SKIP
        ...     session.add(Organization(tenant_id=tenant_id, code="HQ", name="Head office"))
    """

    def __init__(
        self,
        dsn: str,
        *,
        pool_size: int = 10,  # callers in flight, the relay and a consumer; an overflow connection closes on return
        max_overflow: int = 5,
        pool_timeout_s: float = 5.0,
        connect_timeout_s: float = 5.0,
        command_timeout_s: float = 15.0,
    ) -> None:
        self.engine: AsyncEngine = create_async_engine(
            async_url(dsn),
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout_s,
            pool_recycle=300,
            connect_args={"timeout": connect_timeout_s, "command_timeout": command_timeout_s},
        )
        event.listen(self.engine.sync_engine, "checkout", _refuse_closed_connection)
        self.sessions = sessionmaker()
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, sync_session_class=self.sessions)

    @asynccontextmanager
    async def tenant_transaction(self, tenant_id: uuid.UUID | str) -> AsyncIterator[AsyncSession]:
        """A transaction whose RLS context is ``tenant_id`` (``set_config(..., true)`` = SET LOCAL semantics)."""
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                text("SELECT set_config('app.tenant_id', :tid, true)"), {"tid": str(uuid.UUID(str(tenant_id)))}
            )
            yield session

    @asynccontextmanager
    async def system_transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction without tenant context: RLS tables read as empty; for RLS-exempt tables (outbox, registry)."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def _refuse_closed_connection(dbapi_connection: Any, _record: object, _proxy: object) -> None:
    # asyncpg notices the server's close (EOF on its socket) on the event loop; DisconnectionError makes the pool
    # discard this connection and check out (or open) another.
    if dbapi_connection._connection.is_closed():
        raise DisconnectionError("PostgreSQL closed this pooled connection")

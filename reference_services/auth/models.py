"""auth's tables (SPEC.md "Database"): users, roles, permissions (global catalogue), user_roles, refresh_tokens,
event_store, plus the kernel's outbox tables."""

from __future__ import annotations

# SQLAlchemy resolves Mapped[...] annotations at class creation, so these imports are needed at runtime.
import uuid  # noqa: TC003
from datetime import datetime  # noqa: TC003
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reference_services.kernel.db import Base, TenantScoped, Timestamps, UUIDPrimaryKey

# the outbox tables belong to this service's schema too (they are created by its first migration)
from reference_services.kernel.outbox import OutboxEvent, ProcessedEvent

__all__ = [
    "TENANT_TABLES",
    "Base",
    "EventRecord",
    "OutboxEvent",
    "Permission",
    "ProcessedEvent",
    "RefreshToken",
    "Role",
    "User",
    "UserRole",
]

TENANT_TABLES = ("users", "roles", "user_roles", "refresh_tokens", "event_store")


def _created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class User(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    email: Mapped[str] = mapped_column(String(320), nullable=False)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    first_name: Mapped[str] = mapped_column(String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    first_name_bn: Mapped[str | None] = mapped_column(String(100), nullable=True)
    failed_login_attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"), default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"), default=True)


class Role(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class Permission(UUIDPrimaryKey, Base):
    """The global permission catalogue: the same for every tenant, so not tenant-scoped (declared RLS exception)."""

    __tablename__ = "permissions"

    code: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = _created_at()


class UserRole(UUIDPrimaryKey, TenantScoped, Base):
    __tablename__ = "user_roles"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "role_id"),
        # the role_id foreign key's index (revision 0002): role deletes cascade here, "holders of a role" reads here
        Index("ix_user_roles_tenant_id_role_id", "tenant_id", "role_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    role_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("roles.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = _created_at()


class RefreshToken(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    """One refresh token; a login starts a family, every rotation adds a token to it and revokes the previous one."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("ix_refresh_tokens_tenant_id_family_id", "tenant_id", "family_id"),
        Index("ix_refresh_tokens_tenant_id_user_id", "tenant_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class EventRecord(UUIDPrimaryKey, TenantScoped, Base):
    """Append-only history of the user aggregate's domain events (the outbox carries them to Kafka)."""

    __tablename__ = "event_store"
    __table_args__ = (Index("ix_event_store_tenant_id_aggregate_id", "tenant_id", "aggregate_id"),)

    aggregate_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    event_type: Mapped[str] = mapped_column(String(200), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = _created_at()

"""Tables of the organization service (SPEC.md): tenants (the registry), organizations, divisions."""

from __future__ import annotations

import uuid  # noqa: TC003 - SQLAlchemy resolves Mapped[...] annotations at runtime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from reference_services.kernel.db import Base, TenantScoped, Timestamps, UUIDPrimaryKey

__all__ = ["TENANT_STATUSES", "Base", "Division", "Organization", "Tenant"]

TENANT_STATUSES = ("active", "suspended")


class Tenant(UUIDPrimaryKey, Timestamps, Base):
    """The tenant registry: not tenant-scoped and RLS-exempt (declared in the fleet file)."""

    __tablename__ = "tenants"
    # GET /tenants lists the registry oldest first (revision 0002)
    __table_args__ = (Index("ix_tenants_created_at", "created_at"),)

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="active")


class Organization(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "organizations"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_bn: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Division(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "divisions"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)

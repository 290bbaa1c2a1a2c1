"""file-storage's tables (SPEC.md "Database"): files, tenant-scoped with RLS, plus the kernel's outbox tables.

The package has its own declarative base (the kernel's naming convention, the kernel's outbox tables copied in) so
that its tables never collide with another service's tables of the same name when several services' models are
imported into one process (a test session).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Index, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from reference_services.kernel.db import NAMING_CONVENTION, TenantScoped, Timestamps, UUIDPrimaryKey
from reference_services.kernel.outbox import OutboxEvent, ProcessedEvent

__all__ = ["TENANT_TABLES", "Base", "StoredFile"]

TENANT_TABLES = ("files",)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


for _kernel_table in (OutboxEvent.__table__, ProcessedEvent.__table__):
    _kernel_table.to_metadata(Base.metadata)


class StoredFile(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "files"
    __table_args__ = (
        UniqueConstraint("tenant_id", "storage_key"),
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
        Index("ix_files_tenant_id_created_at", "tenant_id", "created_at"),  # GET /files, newest first
    )

    name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(255), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # generated (tenant id + random uuid), never derived from the caller's file name
    storage_key: Mapped[str] = mapped_column(String(128), nullable=False)

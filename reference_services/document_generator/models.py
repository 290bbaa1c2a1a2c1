"""document-generator's tables (SPEC.md "Database"): templates and documents, tenant-scoped with RLS, plus the
kernel's outbox tables.

The package has its own declarative base (the kernel's naming convention, the kernel's outbox tables copied in):
``templates`` is also a table name of notification, and both services' models may be imported into one process.
"""

from __future__ import annotations

# SQLAlchemy resolves Mapped[...] annotations at class creation, so this import is needed at runtime.
import uuid  # noqa: TC003

from sqlalchemy import CheckConstraint, Index, MetaData, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from reference_services.kernel.db import NAMING_CONVENTION, TenantScoped, Timestamps, UUIDPrimaryKey
from reference_services.kernel.outbox import OutboxEvent, ProcessedEvent

__all__ = ["DOCUMENT_STATUSES", "TENANT_TABLES", "Base", "Document", "Template"]

TENANT_TABLES = ("templates", "documents")
DOCUMENT_STATUSES = ("generated", "failed")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


for _kernel_table in (OutboxEvent.__table__, ProcessedEvent.__table__):
    _kernel_table.to_metadata(Base.metadata)


class Template(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    """A tenant's own Jinja2 template (rendered in a sandbox); built-in templates live in the code."""

    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    format: Mapped[str] = mapped_column(String(16), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)


class Document(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint("status IN ('generated', 'failed')", name="status_known"),
        Index("ix_documents_tenant_id_created_at", "tenant_id", "created_at"),  # GET /documents, newest first
    )

    template: Mapped[str] = mapped_column(String(64), nullable=False)
    format: Mapped[str] = mapped_column(String(16), nullable=False)
    # the file in file-storage (another service's id: no foreign key); null when generation failed
    file_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

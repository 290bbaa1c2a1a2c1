"""import-export's tables (SPEC.md "Database"): jobs and job_errors, tenant-scoped with RLS, plus the kernel's
outbox tables.

The package has its own declarative base (the kernel's naming convention, the kernel's outbox tables copied in):
``jobs`` is also a table name of scheduler, and both services' models may be imported into one process.
"""

from __future__ import annotations

# SQLAlchemy resolves Mapped[...] annotations at class creation, so these imports are needed at runtime.
import uuid  # noqa: TC003
from datetime import datetime  # noqa: TC003

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, MetaData, String, Text, Uuid, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from reference_services.kernel.db import NAMING_CONVENTION, TenantScoped, Timestamps, UUIDPrimaryKey
from reference_services.kernel.outbox import OutboxEvent, ProcessedEvent

__all__ = ["TENANT_TABLES", "Base", "Job", "JobError"]

TENANT_TABLES = ("jobs", "job_errors")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


for _kernel_table in (OutboxEvent.__table__, ProcessedEvent.__table__):
    _kernel_table.to_metadata(Base.metadata)


class Job(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("direction IN ('import', 'export')", name="direction_known"),
        CheckConstraint("status IN ('completed', 'failed')", name="status_known"),
    )

    direction: Mapped[str] = mapped_column(String(16), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(32), nullable=False)
    format: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    total_count: Mapped[int] = mapped_column(Integer, nullable=False)
    success_count: Mapped[int] = mapped_column(Integer, nullable=False)
    error_count: Mapped[int] = mapped_column(Integer, nullable=False)


class JobError(UUIDPrimaryKey, TenantScoped, Base):
    """One rejected row of an import (append-only: no updated_at)."""

    __tablename__ = "job_errors"
    # GET /imports/{id} reads one job's errors in row order
    __table_args__ = (Index("ix_job_errors_tenant_id_job_id_row_number", "tenant_id", "job_id", "row_number"),)

    job_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False,
                                              index=True)  # fmt: skip
    # the CSV record number as a spreadsheet shows it: the header is row 1, the first data row is row 2
    row_number: Mapped[int] = mapped_column(Integer, nullable=False)
    field: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())

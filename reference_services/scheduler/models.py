"""scheduler's tables (SPEC.md "Database"): jobs and job_runs (RLS), job_schedule (RLS-exempt), the outbox tables."""

from __future__ import annotations

# SQLAlchemy resolves Mapped[...] annotations at class creation, so these imports are needed at runtime.
import uuid  # noqa: TC003
from datetime import datetime  # noqa: TC003
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, UniqueConstraint, Uuid, func, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reference_services.kernel.db import Base, TenantScoped, Timestamps, UUIDPrimaryKey
from reference_services.kernel.outbox import OutboxEvent, ProcessedEvent

__all__ = ["DEFAULT_TIMEZONE", "TENANT_TABLES", "Base", "Job", "JobRun", "JobSchedule", "OutboxEvent",
           "ProcessedEvent"]  # fmt: skip

TENANT_TABLES = ("jobs", "job_runs")
DEFAULT_TIMEZONE = "Asia/Dhaka"


class Job(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64), nullable=False)
    job_type: Mapped[str] = mapped_column(String(64), nullable=False)
    cron: Mapped[str] = mapped_column(String(120), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, server_default=DEFAULT_TIMEZONE)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=true())


class JobRun(UUIDPrimaryKey, TenantScoped, Base):
    """One execution (immutable once written: it is inserted when the run has finished)."""

    __tablename__ = "job_runs"
    # GET /jobs/{id}/runs reads one job's runs, latest first
    __table_args__ = (Index("ix_job_runs_tenant_id_job_id_started_at", "tenant_id", "job_id", "started_at"),)

    job_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False,
                                              index=True)  # fmt: skip
    trigger: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class JobSchedule(UUIDPrimaryKey, Base):
    """When each enabled job is next due. RLS-exempt (declared in the fleet file): the loop scans every tenant's
    due jobs here, then does the work in that tenant's transaction. Holds ids and times only, no job content."""

    __tablename__ = "job_schedule"

    __table_args__ = (UniqueConstraint("job_id"),)

    job_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    next_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, onupdate=func.now())

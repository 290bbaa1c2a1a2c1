"""import-export's jobs: a CSV import row by row into master-data, an export of the tenant's rows as CSV.

master-data is called with the caller's own token, so its tenancy and its Bangladesh rules apply unchanged; a row it
refuses becomes a job error on that row and the other rows go on. The job, its errors and its event are written in
one transaction when the job ends. Rows master-data already accepted stay imported when a later row cannot be sent
(master-data down): the job is then ``failed`` and its counts say how far it got.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from reference_services.kernel.outbox import add_event

from .csv_format import read_rows, write_rows
from .master_data_client import MasterDataUnavailable
from .models import Job, JobError

if TYPE_CHECKING:
    from reference_services.kernel.db import Database

    from .csv_format import CsvEntity
    from .master_data_client import MasterDataClient
    from .metrics import ImportExportMetrics

__all__ = ["SOURCE", "ImportExportService", "JobFailed"]

SOURCE = "import-export"
FORMAT = "csv"


class JobFailed(Exception):
    """The job could not finish (master-data unavailable); ``job`` is the recorded failed job."""

    def __init__(self, job: dict[str, Any]) -> None:
        super().__init__(job.get("reason", "failed"))
        self.job = job


@dataclass(slots=True)
class _Outcome:
    total: int = 0
    success: int = 0
    errors: list[tuple[int, str | None, str]] = field(default_factory=list)
    reason: str | None = None


def job_json(job: Job, errors: list[JobError]) -> dict[str, Any]:
    return {
        "id": str(job.id), "tenant_id": str(job.tenant_id), "direction": job.direction,
        "entity_type": job.entity_type, "format": job.format, "status": job.status, "total_count": job.total_count,
        "success_count": job.success_count, "error_count": job.error_count, "created_at": job.created_at.isoformat(),
        "errors": [{"row_number": e.row_number, "field": e.field, "message": e.message} for e in errors],
    }  # fmt: skip


class ImportExportService:
    def __init__(self, database: Database, master_data: MasterDataClient, metrics: ImportExportMetrics) -> None:
        self.database = database
        self.master_data = master_data
        self.metrics = metrics

    async def run_import(
        self,
        tenant: uuid.UUID,
        entity: CsvEntity,
        body: bytes,
        *,
        authorization: str,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """Import ``body`` (CsvInvalid, before anything is sent, when the file as a whole is unusable). The caller's
        correlation id (default: the job id) goes to master-data with every row and onto the job's event."""
        rows = read_rows(entity, body)
        job_id, outcome = uuid.uuid4(), _Outcome(total=len(rows))
        correlation = correlation_id or str(job_id)
        key = entity.required[0]
        async with self.master_data.session(authorization, correlation) as client:
            for row in rows:
                if row.problem:
                    outcome.errors.append((row.number, None, row.problem))
                    continue
                try:
                    rejected = await self.master_data.create(client, entity.collection, key, row.values)
                except MasterDataUnavailable as error:
                    outcome.reason = str(error)
                    break
                if rejected is None:
                    outcome.success += 1
                else:
                    outcome.errors.append((row.number, rejected.field, rejected.message))
        return await self._finish(tenant, job_id, "import", entity, outcome, correlation)

    async def run_export(
        self, tenant: uuid.UUID, entity: CsvEntity, *, authorization: str, correlation_id: str | None = None
    ) -> tuple[dict[str, Any], str]:
        job_id, outcome = uuid.uuid4(), _Outcome()
        correlation = correlation_id or str(job_id)
        rows: list[dict[str, Any]] = []
        try:
            async with self.master_data.session(authorization, correlation) as client:
                rows = await self.master_data.list_all(client, entity.collection)
        except MasterDataUnavailable as error:
            outcome.reason = str(error)
        outcome.total = outcome.success = len(rows)
        job = await self._finish(tenant, job_id, "export", entity, outcome, correlation)
        return job, write_rows(entity, rows)

    async def _finish(
        self,
        tenant: uuid.UUID,
        job_id: uuid.UUID,
        direction: str,
        entity: CsvEntity,
        outcome: _Outcome,
        correlation_id: str,
    ) -> dict[str, Any]:
        status = "failed" if outcome.reason else "completed"
        async with self.database.tenant_transaction(tenant) as session:
            job = Job(id=job_id, tenant_id=tenant, direction=direction, entity_type=entity.entity_type, format=FORMAT,
                      status=status, total_count=outcome.total, success_count=outcome.success,
                      error_count=len(outcome.errors))  # fmt: skip
            session.add(job)
            await session.flush()
            errors = [JobError(tenant_id=tenant, job_id=job_id, row_number=number, field=(name or None) and name[:64],
                               message=message) for number, name, message in outcome.errors]  # fmt: skip
            session.add_all(errors)
            await session.flush()
            await session.refresh(job)
            body = job_json(job, errors)
            if outcome.reason:
                body["reason"] = outcome.reason
            add_event(session, topic=f"import-export.job.{status}", key=str(job_id), tenant_id=tenant, source=SOURCE,
                      correlation_id=correlation_id, data={k: v for k, v in body.items() if k != "errors"})  # fmt: skip
        self.metrics.jobs.labels(direction=direction, entity_type=entity.entity_type, status=status).inc()
        if outcome.success:
            self.metrics.records.labels(direction=direction, outcome="success").inc(outcome.success)
        if outcome.errors:
            self.metrics.records.labels(direction=direction, outcome="error").inc(len(outcome.errors))
        if outcome.reason:
            raise JobFailed(body)
        return body

    async def get(self, tenant: uuid.UUID, job_id: uuid.UUID, *, direction: str | None = None) -> dict[str, Any] | None:
        async with self.database.tenant_transaction(tenant) as session:
            query = select(Job).where(Job.id == job_id, Job.tenant_id == tenant)
            job = await session.scalar(query if direction is None else query.where(Job.direction == direction))
            if job is None:
                return None
            errors = await session.scalars(
                select(JobError)
                .where(JobError.job_id == job_id, JobError.tenant_id == tenant)
                .order_by(JobError.row_number)
            )
            return job_json(job, list(errors))

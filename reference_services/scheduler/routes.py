"""scheduler's HTTP routes (user JWT, tenant-scoped): jobs CRUD, run now, and a job's runs."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

from litestar import Controller, Request, Response, Router, delete, get, patch, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import select

from reference_services.kernel import Database, Principal, problem
from reference_services.kernel.handlers import correlation_id

from .jobs import ScheduleError, check_cron, check_timezone
from .metrics import SchedulerMetrics  # noqa: TC001 - Litestar resolves dependencies by annotation
from .models import Job, JobRun, JobSchedule
from .runner import execute, reschedule, run_body
from .schemas import JobCreate, JobUpdate  # noqa: TC001 - Litestar reads annotations at runtime

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["TOPICS", "route_handlers"]

TOPICS = ("scheduler.job.executed", "scheduler.job.failed")
_MAX_LIMIT = 500


def _job_body(job: Job, next_run_at: datetime | None) -> dict[str, Any]:
    return {"id": str(job.id), "tenant_id": str(job.tenant_id), "code": job.code, "job_type": job.job_type,
            "cron": job.cron, "timezone": job.timezone, "enabled": job.enabled,
            "next_run_at": None if next_run_at is None else next_run_at.astimezone(check_timezone(job.timezone))
            .isoformat()}  # fmt: skip


def _invalid(error: ScheduleError) -> Response[dict[str, Any]]:
    field = str(error).split(":", 1)[0]
    return problem(422, str(error), title="Invalid request body", errors=[{"field": field, "message": str(error)}])


async def _visible_job(session: AsyncSession, job_id: uuid.UUID, *, lock: bool = False) -> Job:
    job = await session.get(Job, job_id, with_for_update=lock)
    if job is None:
        raise NotFoundException(detail=f"No job {job_id} for this tenant.")
    return job


async def _next_run(session: AsyncSession, job_id: uuid.UUID) -> datetime | None:
    return await session.scalar(select(JobSchedule.next_run_at).where(JobSchedule.job_id == job_id))


class JobController(Controller):
    path = "/jobs"

    @get("/")
    async def list_jobs(self, principal: Principal, database: Database) -> list[dict[str, Any]]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            jobs = (await session.scalars(select(Job).order_by(Job.code))).all()
            return [_job_body(job, await _next_run(session, job.id)) for job in jobs]

    @post("/")
    async def create_job(self, data: JSONBody[JobCreate], principal: Principal, database: Database
                         ) -> Response[dict[str, Any]]:  # fmt: skip
        try:
            check_cron(data.cron)
            check_timezone(data.timezone)
        except ScheduleError as error:
            return _invalid(error)
        async with database.tenant_transaction(principal.tenant_id) as session:
            job = Job(id=uuid.uuid4(), tenant_id=principal.tenant_id, code=data.code, job_type=data.job_type,
                      cron=data.cron, timezone=data.timezone, enabled=data.enabled)  # fmt: skip
            session.add(job)
            await session.flush()
            due = await reschedule(session, job)
            return Response(_job_body(job, due), status_code=201)

    @get("/{job_id:uuid}")
    async def get_job(self, job_id: FromPath[uuid.UUID], principal: Principal, database: Database) -> dict[str, Any]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            job = await _visible_job(session, job_id)
            return _job_body(job, await _next_run(session, job.id))

    @patch("/{job_id:uuid}")
    async def update_job(self, job_id: FromPath[uuid.UUID], data: JSONBody[JobUpdate], principal: Principal,
                         database: Database) -> Response[dict[str, Any]]:  # fmt: skip
        try:
            if data.cron is not None:
                check_cron(data.cron)
            if data.timezone is not None:
                check_timezone(data.timezone)
        except ScheduleError as error:
            return _invalid(error)
        async with database.tenant_transaction(principal.tenant_id) as session:
            job = await _visible_job(session, job_id, lock=True)
            for field in ("cron", "timezone", "enabled"):
                if getattr(data, field) is not None:
                    setattr(job, field, getattr(data, field))
            await session.flush()
            due = await reschedule(session, job)
            return Response(_job_body(job, due), status_code=200)

    @delete("/{job_id:uuid}")
    async def delete_job(self, job_id: FromPath[uuid.UUID], principal: Principal, database: Database) -> None:
        async with database.tenant_transaction(principal.tenant_id) as session:
            await session.delete(await _visible_job(session, job_id, lock=True))

    @post("/{job_id:uuid}/run")
    async def run_job(self, job_id: FromPath[uuid.UUID], principal: Principal, database: Database,
                      stats: SchedulerMetrics, request: Request[Any, Any, Any]
                      ) -> Response[dict[str, Any]]:  # fmt: skip
        """Run now (also when disabled); the cron schedule is left as it is."""
        async with database.tenant_transaction(principal.tenant_id) as session:
            executed = await execute(session, await _visible_job(session, job_id, lock=True), "manual",
                                     correlation_id=correlation_id(request))  # fmt: skip
            body = run_body(executed.run)
        stats.ran(executed.job_type, executed.run.status, executed.seconds)
        return Response(body, status_code=201)

    @get("/{job_id:uuid}/runs")
    async def list_runs(
        self, job_id: FromPath[uuid.UUID], principal: Principal, database: Database,
        limit: Annotated[int, QueryParameter(ge=1, le=_MAX_LIMIT)] = 100,
    ) -> list[dict[str, Any]]:  # fmt: skip
        async with database.tenant_transaction(principal.tenant_id) as session:
            await _visible_job(session, job_id)
            runs = (await session.scalars(select(JobRun).where(JobRun.job_id == job_id)
                                          .order_by(JobRun.started_at.desc()).limit(limit))).all()  # fmt: skip
        return [run_body(run) for run in runs]


def route_handlers(stats: SchedulerMetrics) -> list[Any]:
    return [Router("/", route_handlers=[JobController],
                   dependencies={"stats": Provide(lambda: stats, sync_to_thread=False)})]  # fmt: skip

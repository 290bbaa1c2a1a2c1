"""Running jobs: one run (row + event in its tenant transaction), and the loop that runs due jobs on their cron."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from reference_services.kernel import add_event

from .jobs import JOB_TYPES, check_timezone, next_run
from .models import Job, JobRun, JobSchedule

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from reference_services.kernel import Database

    from .metrics import SchedulerMetrics

__all__ = ["Executed", "SchedulerLoop", "execute", "reschedule", "run_body"]

SERVICE = "scheduler"
_log = logging.getLogger("reference_services.scheduler")


@dataclass(frozen=True, slots=True)
class Executed:
    """A run staged in a transaction; count it (``SchedulerMetrics.ran``) once that transaction committed."""

    run: JobRun
    job_type: str
    seconds: float


def run_body(run: JobRun) -> dict[str, Any]:
    return {"id": str(run.id), "job_id": str(run.job_id), "tenant_id": str(run.tenant_id), "trigger": run.trigger,
            "status": run.status, "started_at": run.started_at.isoformat(), "finished_at": run.finished_at.isoformat(),
            "error": run.error, "result": run.result}  # fmt: skip


async def execute(session: AsyncSession, job: Job, trigger: str, *, correlation_id: str | None = None) -> Executed:
    """Run ``job`` now and stage its ``job_runs`` row and ``scheduler.job.{executed,failed}`` event (correlated with
    the request that ran it; a scheduled run starts its own correlation)."""
    zone = check_timezone(job.timezone)
    started, clock = datetime.now(UTC).astimezone(zone), time.perf_counter()
    try:
        result, status, error = JOB_TYPES[job.job_type](started), "succeeded", None
    except Exception as failure:  # a failing job is a failed run, never a crashed loop
        result, status, error = None, "failed", f"{type(failure).__name__}: {failure}"[:500]
    seconds = time.perf_counter() - clock
    run = JobRun(tenant_id=job.tenant_id, job_id=job.id, trigger=trigger, status=status, started_at=started,
                 finished_at=datetime.now(UTC).astimezone(zone), error=error, result=result)  # fmt: skip
    session.add(run)
    await session.flush()
    topic = "scheduler.job.executed" if status == "succeeded" else "scheduler.job.failed"
    add_event(session, topic=topic, key=job.id, tenant_id=job.tenant_id, source=SERVICE, correlation_id=correlation_id,
              data={**run_body(run), "job_code": job.code, "job_type": job.job_type})  # fmt: skip
    return Executed(run, job.job_type, seconds)


async def reschedule(session: AsyncSession, job: Job, *, after: datetime | None = None) -> datetime | None:
    """Keep ``job_schedule`` true for ``job``: its next due time when enabled, no row when disabled."""
    if not job.enabled:
        await session.execute(delete(JobSchedule).where(JobSchedule.job_id == job.id))
        return None
    due = next_run(job.cron, job.timezone, after)
    entry = await session.scalar(select(JobSchedule).where(JobSchedule.job_id == job.id).with_for_update())
    if entry is None:
        session.add(JobSchedule(job_id=job.id, tenant_id=job.tenant_id, next_run_at=due))
    else:
        entry.next_run_at = due
    return due


class SchedulerLoop:
    """Background task: every ``poll_s`` it runs the jobs whose ``next_run_at`` has passed, each in its tenant.

    The due row is locked ``FOR UPDATE SKIP LOCKED`` inside the run's transaction, so two replicas never run the same
    occurrence twice; a missed occurrence (service down) runs once, then the job moves to its next future time.
    """

    def __init__(self, database: Database, metrics: SchedulerMetrics, *, poll_s: float = 1.0, batch: int = 20) -> None:
        self.database = database
        self.metrics = metrics
        self.poll_s = poll_s
        self.batch = batch
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scheduler-loop")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # PostgreSQL down: try again next poll
                _log.warning("scheduler pass failed: %s", error)
            await asyncio.sleep(self.poll_s)

    async def tick(self) -> int:
        """Run every job due now; returns how many runs were committed."""
        async with self.database.system_transaction() as session:
            due = (await session.execute(
                select(JobSchedule.tenant_id, JobSchedule.job_id)
                .where(JobSchedule.next_run_at <= datetime.now(UTC))
                .order_by(JobSchedule.next_run_at).limit(self.batch)
            )).all()  # fmt: skip
        ran = 0
        for tenant_id, job_id in due:
            executed = await self._run_due(tenant_id, job_id)
            if executed is not None:
                self.metrics.ran(executed.job_type, executed.run.status, executed.seconds)
                ran += 1
        return ran

    async def _run_due(self, tenant_id: Any, job_id: Any) -> Executed | None:
        now = datetime.now(UTC)
        async with self.database.tenant_transaction(tenant_id) as session:
            entry = await session.scalar(
                select(JobSchedule).where(JobSchedule.job_id == job_id, JobSchedule.next_run_at <= now)
                .with_for_update(skip_locked=True)
            )  # fmt: skip
            if entry is None:
                return None  # another replica has it, or it was rescheduled meanwhile
            job = await session.get(Job, job_id)
            if job is None or not job.enabled:
                await session.delete(entry)
                return None
            executed = await execute(session, job, "schedule")
            entry.next_run_at = next_run(job.cron, job.timezone, now)
        return executed

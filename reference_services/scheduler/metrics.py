"""Business metrics of the scheduler (SPEC.md): executions by type and status, and their durations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .jobs import JOB_TYPES

if TYPE_CHECKING:
    from reference_services.kernel import ServiceMetrics

__all__ = ["SchedulerMetrics"]


class SchedulerMetrics:
    """One count and one duration per committed run, scheduled or run-now alike."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.executed = metrics.counter("scheduler_jobs_executed_total", "Job runs, by job type and status.",
                                        ["job_type", "status"])  # fmt: skip
        self.duration = metrics.histogram("scheduler_job_duration_seconds", "Duration of job runs.", ["job_type"])
        for job_type in JOB_TYPES:
            self.duration.labels(job_type=job_type)
            for status in ("succeeded", "failed"):
                self.executed.labels(job_type=job_type, status=status)

    def ran(self, job_type: str, status: str, seconds: float) -> None:
        self.executed.labels(job_type=job_type, status=status).inc()
        self.duration.labels(job_type=job_type).observe(seconds)

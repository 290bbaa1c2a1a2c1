"""workflow's business metric families (SPEC.md "Metrics", fleet.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .models import WORKFLOW_TYPES
from .states import COMPLETION_STATUSES, KNOWN_TRANSITIONS, OUTCOMES, TASK_TYPES

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge

    from reference_services.kernel.metrics import ServiceMetrics

__all__ = ["WorkflowMetrics"]


@dataclass(frozen=True, slots=True)
class WorkflowMetrics:
    starts: Counter
    completions: Counter
    active: Gauge
    task_completions: Counter
    transitions: Counter

    @classmethod
    def register(cls, metrics: ServiceMetrics) -> WorkflowMetrics:
        made = cls(
            starts=metrics.counter("workflow_process_start_total", "Processes started, by workflow type.",
                                   ["workflow_type"]),
            completions=metrics.counter(
                "workflow_process_completion_total",
                "Processes that ended, by workflow type and status (approved, rejected, failed).",
                ["workflow_type", "status"],
            ),
            active=metrics.gauge("workflow_active_processes", "Processes not yet ended across all tenants.",
                                 ["workflow_type"]),
            task_completions=metrics.counter("workflow_task_completion_total", "Tasks completed, by type and outcome.",
                                             ["task_type", "outcome"]),
            transitions=metrics.counter("workflow_transition_total", "State-machine transitions taken.",
                                        ["workflow_type", "from_state", "to_state"]),
        )  # fmt: skip
        for workflow_type in WORKFLOW_TYPES:
            made.starts.labels(workflow_type=workflow_type)
            made.active.labels(workflow_type=workflow_type)
            for status in COMPLETION_STATUSES:
                made.completions.labels(workflow_type=workflow_type, status=status)
            for from_state, to_state in KNOWN_TRANSITIONS:
                made.transitions.labels(workflow_type=workflow_type, from_state=from_state, to_state=to_state)
        for task_type in TASK_TYPES:
            for outcome in OUTCOMES:
                made.task_completions.labels(task_type=task_type, outcome=outcome)
        return made

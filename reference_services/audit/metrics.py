"""Business metrics of the audit service (SPEC.md): ``audit_events_total{event_type, severity, outcome, tenant_id}``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reference_services.kernel import ServiceMetrics

    from .records import AuditFacts

__all__ = ["AuditMetrics"]


class AuditMetrics:
    """One increment per audit record written (after its transaction committed); tenant is a budgeted label."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.events = metrics.counter(
            "audit_events_total", "Audit records written, by event type, severity, outcome and tenant.",
            ["event_type", "severity", "outcome", "tenant_id"],
        )  # fmt: skip

    def recorded(self, facts: AuditFacts) -> None:
        self.events.labels(event_type=facts.event_type, severity=facts.severity, outcome=facts.outcome,
                           tenant_id=str(facts.tenant_id)).inc()  # fmt: skip

"""rules-engine's business metric families (fleet.yaml: `rules_active` replaces SPEC's `rules_active_count`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .models import RULE_TYPES

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

    from reference_services.kernel.metrics import ServiceMetrics

__all__ = ["OUTCOMES", "RulesMetrics"]

OUTCOMES = ("matched", "no_match", "error")


@dataclass(frozen=True, slots=True)
class RulesMetrics:
    evaluations: Counter
    duration: Histogram
    active: Gauge

    @classmethod
    def register(cls, metrics: ServiceMetrics) -> RulesMetrics:
        made = cls(
            evaluations=metrics.counter(
                "rules_evaluation_total",
                "Rule evaluations, by rule type and outcome (matched, no_match, error).",
                ["rule_type", "outcome"],
            ),
            duration=metrics.histogram(
                "rules_evaluation_duration_seconds",
                "Duration of rule evaluations in seconds.",
                ["rule_type"],
                buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            ),
            # SPEC.md names it rules_active_count; promtool rejects `_count` on a gauge (fleet.yaml: deviations)
            active=metrics.gauge(
                "rules_active", "Rules in effect today across all tenants, by rule type.", ["rule_type"]
            ),
        )
        for rule_type in RULE_TYPES:
            made.duration.labels(rule_type=rule_type)
            made.active.labels(rule_type=rule_type)
            for outcome in OUTCOMES:
                made.evaluations.labels(rule_type=rule_type, outcome=outcome)
        return made

"""document-generator's business metric families (SPEC.md "Metrics")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram

    from reference_services.kernel.metrics import ServiceMetrics

__all__ = ["DocumentMetrics"]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class DocumentMetrics:
    documents_generated: Counter
    generation_duration: Histogram

    @classmethod
    def register(cls, metrics: ServiceMetrics, templates: tuple[str, ...], formats: tuple[str, ...]) -> DocumentMetrics:
        made = cls(
            documents_generated=metrics.counter(
                "documents_generated_total",
                "Generation attempts that ran (rendered and stored, or failed), by template, format and status.",
                ["template", "format", "status"],
            ),
            generation_duration=metrics.histogram(
                "document_generation_duration_seconds",
                "Time to render and store a document, in seconds.",
                ["format"],
                buckets=_BUCKETS,
            ),
        )
        for fmt in formats:
            made.generation_duration.labels(format=fmt)
            for template in templates:
                for status in ("generated", "failed"):
                    made.documents_generated.labels(template=template, format=fmt, status=status)
        return made

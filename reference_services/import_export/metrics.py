"""import-export's business metric families (SPEC.md "Metrics")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from prometheus_client import Counter

    from reference_services.kernel.metrics import ServiceMetrics

__all__ = ["DIRECTIONS", "ImportExportMetrics"]

DIRECTIONS = ("import", "export")


@dataclass(frozen=True, slots=True)
class ImportExportMetrics:
    jobs: Counter
    records: Counter

    @classmethod
    def register(cls, metrics: ServiceMetrics, entity_types: Iterable[str]) -> ImportExportMetrics:
        made = cls(
            jobs=metrics.counter(
                "import_export_jobs_total",
                "Finished jobs, by direction, entity type and status.",
                ["direction", "entity_type", "status"],
            ),
            records=metrics.counter(
                "import_export_records_total",
                "Rows imported or exported (success) or rejected (error), by direction.",
                ["direction", "outcome"],
            ),
        )
        for direction in DIRECTIONS:
            for outcome in ("success", "error"):
                made.records.labels(direction=direction, outcome=outcome)
            for entity_type in entity_types:
                for status in ("completed", "failed"):
                    made.jobs.labels(direction=direction, entity_type=entity_type, status=status)
        return made

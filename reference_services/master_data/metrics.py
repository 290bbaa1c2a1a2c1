"""master-data's business metric families (SPEC.md "Metrics")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from prometheus_client import Counter, Gauge, Histogram

    from reference_services.kernel.metrics import ServiceMetrics

__all__ = ["OPERATIONS", "MasterDataMetrics"]

OPERATIONS = ("create", "read", "list", "update", "delete")


@dataclass(frozen=True, slots=True)
class MasterDataMetrics:
    crud_operations: Counter
    crud_duration: Histogram
    validation_errors: Counter
    entity_count: Gauge

    @classmethod
    def register(cls, metrics: ServiceMetrics, entity_types: Iterable[str]) -> MasterDataMetrics:
        made = cls(
            crud_operations=metrics.counter(
                "master_data_crud_operations_total",
                "Completed CRUD operations, by entity type and operation.",
                ["entity_type", "operation"],
            ),
            crud_duration=metrics.histogram(
                "master_data_crud_operation_duration_seconds",
                "Duration of completed CRUD operations in seconds.",
                ["entity_type", "operation"],
            ),
            validation_errors=metrics.counter(
                "master_data_validation_errors_total",
                "Rejected request fields, by entity type, field and error type.",
                ["entity_type", "field", "error_type"],
            ),
            entity_count=metrics.gauge(
                "master_data_entities", "Rows per entity type across all tenants.", ["entity_type"]
            ),
        )
        for entity_type in entity_types:
            made.entity_count.labels(entity_type=entity_type)
            for operation in OPERATIONS:
                made.crud_operations.labels(entity_type=entity_type, operation=operation)
                made.crud_duration.labels(entity_type=entity_type, operation=operation)
        return made

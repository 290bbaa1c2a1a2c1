"""api-gateway's metric families (SPEC.md "Metrics", plus the delivery failures of its direct producer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from prometheus_client import Counter, Histogram

    from reference_services.kernel.metrics import ServiceMetrics

__all__ = ["OPERATION_TYPES", "GatewayMetrics"]

OPERATION_TYPES = ("query", "mutation")


@dataclass(frozen=True, slots=True)
class GatewayMetrics:
    federated_queries: Counter
    federated_query_duration: Histogram
    service_calls: Counter
    service_call_duration: Histogram
    delivery_failures: Counter
    events_published: Counter

    @classmethod
    def register(cls, metrics: ServiceMetrics, subgraphs: Sequence[str], topics: Sequence[str]) -> GatewayMetrics:
        metrics.enable_events(topics)
        assert metrics.events_published is not None  # enable_events made it
        made = cls(
            federated_queries=metrics.counter(
                "gateway_federated_query_total", "GraphQL operations executed, by operation type.", ["operation_type"]
            ),
            federated_query_duration=metrics.histogram(
                "gateway_federated_query_duration_seconds",
                "Duration of executed GraphQL operations in seconds.",
                ["operation_type"],
            ),
            service_calls=metrics.counter(
                "gateway_service_call_total",
                "Calls to subgraphs, by subgraph and HTTP status (`unreachable`/`timeout` without an answer).",
                ["service", "status"],
            ),
            service_call_duration=metrics.histogram(
                "gateway_service_call_duration_seconds", "Duration of calls to subgraphs in seconds.", ["service"]
            ),
            delivery_failures=metrics.counter(
                "gateway_event_delivery_failures_total",
                "Gateway events Kafka did not acknowledge (rejected, timed out or purged at shutdown), by topic.",
                ["topic"],
            ),
            events_published=metrics.events_published,
        )
        for operation_type in OPERATION_TYPES:
            made.federated_queries.labels(operation_type=operation_type)
            made.federated_query_duration.labels(operation_type=operation_type)
        for service in subgraphs:
            made.service_call_duration.labels(service=service)
        for topic in topics:
            made.delivery_failures.labels(topic=topic)
        return made

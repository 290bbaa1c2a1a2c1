"""The outbox relay replaces a producer that librdkafka reports broken, so rows left pending go out on the next pass."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from reference_services.kernel.metrics import ServiceMetrics
from reference_services.kernel.outbox import OutboxRelay


class _FatalProducer:
    """librdkafka's producer once it is in a fatal state: every produce raises (``Local: Fatal error``)."""

    def produce(self, topic: str, **_fields: Any) -> None:
        raise KafkaException(KafkaError(KafkaError._FATAL, "Unable to produce message: Local: Fatal error", fatal=True))

    def flush(self, timeout: float = 0) -> int:
        return 0


class _Producer:
    def __init__(self) -> None:
        self.reports: list[Any] = []

    def produce(self, topic: str, **fields: Any) -> None:
        self.reports.append(fields["on_delivery"])

    def flush(self, timeout: float = 0) -> int:
        for report in self.reports:
            report(None, None)
        self.reports = []
        return 0


def test_a_producer_in_a_fatal_state_is_replaced_on_the_next_pass() -> None:
    """Found on the suite's shared fleet: after the health area had stopped the in-memory Kafka, organization's relay
    logged "Local: Fatal error" every second for the rest of the session and published nothing."""
    relay = OutboxRelay(None, bootstrap="127.0.0.1:9", metrics=ServiceMetrics("organization"))  # type: ignore[arg-type]
    healthy = _Producer()
    relay._make_producer = lambda: healthy  # type: ignore[method-assign]
    relay._producer = _FatalProducer()
    row = SimpleNamespace(id=uuid.uuid4(), topic="organization.tenant.created", key="k", value={}, headers={})

    with pytest.raises(KafkaException):
        asyncio.run(relay._publish([row]))
    assert asyncio.run(relay._publish([row])) == [row.id]  # the row left pending goes out on a new producer

"""The gateway's direct producer: a delivery Kafka never acknowledges is counted, never lost silently."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from confluent_kafka import KafkaError

from fleetcheck.fixtures._process import free_port
from reference_services.api_gateway.app import SERVICE, SUBGRAPHS, TOPICS
from reference_services.api_gateway.events import NO_TENANT, DirectPublisher
from reference_services.api_gateway.metrics import GatewayMetrics
from reference_services.kernel.metrics import ServiceMetrics


def test_an_event_to_an_unreachable_broker_is_counted_as_a_delivery_failure() -> None:
    metrics = GatewayMetrics.register(ServiceMetrics(SERVICE), SUBGRAPHS, TOPICS)
    # a port nothing listens on: every delivery times out after one second
    publisher = DirectPublisher(f"127.0.0.1:{free_port()}", metrics, source=SERVICE, delivery_timeout_s=1.0)

    async def run() -> None:
        await publisher.start()
        try:
            publisher.publish("gateway.auth.failed", key="r-1", data={"reason": "missing_token"},
                              tenant_id=NO_TENANT, correlation_id="r-1")  # fmt: skip
            for _ in range(100):  # the delivery report arrives from the poll thread within ~1 s
                if metrics.delivery_failures.labels(topic="gateway.auth.failed")._value.get():
                    break
                await asyncio.sleep(0.1)
        finally:
            await publisher.stop()

    asyncio.run(run())
    assert metrics.delivery_failures.labels(topic="gateway.auth.failed")._value.get() == 1
    assert metrics.events_published.labels(topic="gateway.auth.failed")._value.get() == 0


def test_an_event_published_before_start_is_counted_not_raised() -> None:
    metrics = GatewayMetrics.register(ServiceMetrics(SERVICE), SUBGRAPHS, TOPICS)
    publisher = DirectPublisher("127.0.0.1:9", metrics, source=SERVICE)
    publisher.publish("gateway.query.received", key="r-2", data={}, tenant_id=NO_TENANT, correlation_id="r-2")
    assert metrics.delivery_failures.labels(topic="gateway.query.received")._value.get() == 1


class _Producer:
    """A stand-in for librdkafka's producer (a real broker cannot be made to fence on cue: measured, a restarted Tansu
    fenced the held producer in 1 of 5 runs): each delivery report carries ``error``."""

    def __init__(self, error: KafkaError | None) -> None:
        self.error, self.pending, self.sent = error, [], 0

    def produce(self, topic: str, **fields: Any) -> None:
        self.pending.append(fields["on_delivery"])

    def poll(self, timeout: float) -> int:
        reports, self.pending = self.pending, []
        for report in reports:
            report(self.error, None)
        self.sent += len(reports) if self.error is None else 0
        time.sleep(min(timeout, 0.01))
        return len(reports)

    def purge(self) -> None:
        reports, self.pending = self.pending, []
        for report in reports:
            report(KafkaError(KafkaError._PURGE_QUEUE), None)

    def flush(self, timeout: float = 0) -> int:
        return self.poll(0)


def test_a_fenced_producer_is_replaced_and_the_next_events_go_out() -> None:
    """A producer fenced by the broker (PRODUCER_FENCED, not marked fatal) fails every later event; the publisher
    replaces it, so events flow again without a restart of the gateway (found on the suite's shared fleet: after the
    health area had stopped the in-memory Kafka, api-gateway published nothing for the rest of the session)."""
    metrics = GatewayMetrics.register(ServiceMetrics(SERVICE), SUBGRAPHS, TOPICS)
    publisher = DirectPublisher("127.0.0.1:9", metrics, source=SERVICE)
    fenced, healthy = _Producer(KafkaError(KafkaError.PRODUCER_FENCED)), _Producer(None)
    made = iter([fenced, healthy])
    publisher._make_producer = lambda: next(made)  # type: ignore[method-assign]
    topic = "gateway.auth.failed"

    async def run() -> None:
        await publisher.start()
        try:
            for n in range(30):
                publisher.publish(topic, key=f"r-{n}", data={}, tenant_id=NO_TENANT, correlation_id=f"r-{n}")
                await asyncio.sleep(0.02)
        finally:
            await publisher.stop()

    asyncio.run(run())
    published = metrics.events_published.labels(topic=topic)._value.get()
    failed = metrics.delivery_failures.labels(topic=topic)._value.get()
    assert healthy.sent > 0
    assert published == healthy.sent
    assert published + failed == 30  # every event counted once, either way

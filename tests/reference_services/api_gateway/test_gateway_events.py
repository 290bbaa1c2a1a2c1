"""The gateway's direct producer: a delivery Kafka never acknowledges is counted, never lost silently."""

from __future__ import annotations

import asyncio

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

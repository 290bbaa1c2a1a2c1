"""Direct event publishing: the gateway has no database, so no outbox; an idempotent producer sends each event once.

``publish`` never blocks the event loop: librdkafka's ``produce`` only enqueues (a full queue raises BufferError at
once instead of waiting), and delivery reports are served by ``poll`` in a worker thread. Every event ends in exactly
one counter: ``events_published_total`` when Kafka acknowledged it, ``gateway_event_delivery_failures_total`` when it
was rejected, timed out, could not be enqueued or was still pending at shutdown (purged) -- never lost silently.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
import uuid
from typing import TYPE_CHECKING, Any

from reference_services.kernel.outbox import cloud_event, producer_settings

if TYPE_CHECKING:
    from .metrics import GatewayMetrics

__all__ = ["NO_TENANT", "DirectPublisher"]

_log = logging.getLogger("reference_services.api_gateway.events")

# A refused request without a (valid) token has no tenant; its event names the nil uuid rather than guessing one.
NO_TENANT = uuid.UUID(int=0)


@functools.cache
def _broken_idempotence() -> frozenset[int]:
    """Delivery errors after which this producer's idempotence state is lost for good (not marked ``fatal`` in
    every librdkafka version: a fenced producer's reports say PRODUCER_FENCED, fatal=False, and it never recovers)."""
    from confluent_kafka import KafkaError

    return frozenset({KafkaError._FATAL, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH,
                      KafkaError.UNKNOWN_PRODUCER_ID, KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER})  # fmt: skip


class DirectPublisher:
    """An idempotent confluent-kafka producer owned by the app (``start``/``stop`` with it)."""

    def __init__(
        self, bootstrap: str, metrics: GatewayMetrics, *, source: str, delivery_timeout_s: float = 300.0
    ) -> None:
        # With no outbox, librdkafka's queue is where an event waits out a broker outage: 300 s (librdkafka's own
        # default) outlasts one. It was 10 s, and the events area's 12 s outage (two relay attempts) lost 29 of 32
        # events; what is still queued at shutdown is purged and counted as a delivery failure.
        self.bootstrap = bootstrap
        self.metrics = metrics
        self.source = source
        self.delivery_timeout_s = delivery_timeout_s
        self._producer: Any = None
        self._replace = threading.Event()
        self._stopping = threading.Event()
        self._poller: threading.Thread | None = None

    def _make_producer(self) -> Any:
        from confluent_kafka import Producer

        return Producer(producer_settings(self.bootstrap, self.delivery_timeout_s))

    async def start(self) -> None:
        self._producer = await asyncio.to_thread(self._make_producer)
        self._stopping.clear()
        self._poller = threading.Thread(target=self._poll, name="gateway-event-delivery", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stopping.is_set():
            self._producer.poll(0.2)
            if self._replace.is_set():
                self._replace_producer()

    def _replace_producer(self) -> None:
        """Swap in a new producer; what the old one still holds is purged, so each of those events is counted.

        librdkafka says a producer whose idempotence state broke must be destroyed and re-created: once fenced, or
        unknown to a broker that lost its producer state (a restarted in-memory broker hands our producer id to the
        next producer that asks), it fails every later event. Runs on the poll thread; ``publish`` on the event loop
        reads ``_producer`` once per event, so an event sees either the old producer (and is counted) or the new one.
        """
        self._replace.clear()
        old, self._producer = self._producer, self._make_producer()
        _log.warning("event producer replaced after a fatal producer error")
        old.purge()
        old.flush(1.0)

    async def stop(self) -> None:
        if self._producer is None:
            return
        self._stopping.set()
        if self._poller is not None:
            await asyncio.to_thread(self._poller.join)
        await asyncio.to_thread(self._drain)

    def _drain(self) -> None:
        self._producer.flush(5.0)
        # what is still queued now would be lost: purge it so its delivery report counts it as a failure
        self._producer.purge()
        self._producer.flush(0)

    def publish(
        self, topic: str, *, key: str, data: dict[str, Any], tenant_id: uuid.UUID | str, correlation_id: str
    ) -> None:
        """Enqueue one CloudEvent (key = ``key``, header ``x-tenant-id``); returns at once."""
        event = cloud_event(topic=topic, key=key, data=data, tenant_id=tenant_id, source=self.source,
                            correlation_id=correlation_id)  # fmt: skip
        headers = [("x-tenant-id", str(tenant_id).encode()), ("content-type", b"application/cloudevents+json")]
        producer = self._producer
        try:
            if producer is None:
                raise RuntimeError("the producer is not started")
            producer.produce(topic, key=key.encode(), value=json.dumps(event, separators=(",", ":")).encode(),
                             headers=headers, on_delivery=self._reporter(topic, producer))  # fmt: skip
        except Exception as error:  # BufferError (queue full), KafkaException, not started: counted, not raised
            _log.warning("event %s to %s not enqueued: %s", event["id"], topic, error)
            self.metrics.delivery_failures.labels(topic=topic).inc()
            self._replace_if_broken(producer, error.args[0] if error.args else None)

    def _replace_if_broken(self, producer: Any, error: Any) -> None:
        """Ask the poll thread for a new producer when ``error`` says ``producer`` (still the current one) is broken
        for good; the old producer's other failures then name a producer already replaced and ask nothing."""
        from confluent_kafka import KafkaError

        broken = isinstance(error, KafkaError) and (error.fatal() or error.code() in _broken_idempotence())
        if broken and producer is self._producer:
            self._replace.set()

    def _reporter(self, topic: str, producer: Any) -> Any:
        def on_delivery(error: Any, _message: Any) -> None:
            if error is None:
                self.metrics.events_published.labels(topic=topic).inc()
            else:
                _log.warning("event delivery to %s failed: %s", topic, error)
                self.metrics.delivery_failures.labels(topic=topic).inc()
                self._replace_if_broken(producer, error)

        return on_delivery

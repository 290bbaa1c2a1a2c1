"""EventCapture reads only what arrives after it was made, even on a broker whose high watermark lags (Tansu)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from fleetcheck.events import EventCapture
from fleetcheck.fixtures.kafka import TansuKafka, provision_topics

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.servers
TOPIC = "capture.test.batched"


@pytest.fixture
def bootstrap(tmp_path: Path) -> Iterator[str]:
    broker = TansuKafka.start(tmp_path, timeout=30)
    try:
        provision_topics(broker.bootstrap, [(TOPIC, 1)])
        yield broker.bootstrap
    finally:
        broker.close()


def _produce(bootstrap: str, values: list[str], *, linger_ms: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": linger_ms})
    for value in values:
        producer.produce(TOPIC, value=value.encode())
    assert producer.flush(10) == 0


def test_a_capture_made_after_a_batch_reads_only_the_records_sent_after_it(bootstrap: str) -> None:
    _produce(bootstrap, [f"old-{n}" for n in range(5)], linger_ms=100)  # one batch of five records
    probe = Consumer({"bootstrap.servers": bootstrap, "group.id": "capture-test-probe"})
    try:
        _low, high = probe.get_watermark_offsets(TopicPartition(TOPIC, 0), timeout=5, cached=False)
    finally:
        probe.close()
    with EventCapture(bootstrap, [TOPIC]) as capture:
        _produce(bootstrap, ["new"], linger_ms=0)
        events = capture.read(until=lambda seen: len(seen) >= 1, deadline_s=10, settle_s=0.5)
    assert [e.value for e in events] == [b"new"], f"the broker reported the end at offset {high} of 5"

"""EventCapture reads only what arrives after it was made, even on a broker whose high watermark lags (Tansu)."""

from __future__ import annotations

import time
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


def test_one_capture_serves_consecutive_reads_each_from_where_the_last_stopped(bootstrap: str) -> None:
    # the events area's scenarios share one capture: each keeps the events read after its own start
    with EventCapture(bootstrap, [TOPIC]) as capture:
        _produce(bootstrap, ["first"], linger_ms=0)
        capture.read(until=lambda seen: len(seen) >= 1, deadline_s=10, settle_s=0.2)
        _produce(bootstrap, ["late"], linger_ms=0)  # arrives after the first read settled
        deadline = time.monotonic() + 10
        while len(capture.events) < 2 and time.monotonic() < deadline:
            capture.drain()  # takes what the client fetched in the background, without waiting for more
            time.sleep(0.05)
        start = len(capture.events)
        _produce(bootstrap, ["second"], linger_ms=0)
        events = capture.read(until=lambda seen: len(seen) > start, deadline_s=10, settle_s=0.2)[start:]
    assert [e.value for e in events] == [b"second"]
    assert [e.value for e in capture.events] == [b"first", b"late", b"second"]

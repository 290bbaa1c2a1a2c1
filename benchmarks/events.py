"""``python -m benchmarks.events [--bootstrap HOST:PORT] [--events N]``: events end to end, API write to audit record.

Starts organization, auth, master-data and audit on embedded PostgreSQL and Kafka (embedded Tansu, or the broker
given with ``--bootstrap``), then sends ``--events`` customer creations (``--concurrency`` at a time). Each accepted
write must become one event (outbox -> Kafka) and one audit record. Prints throughput (writes sent to the last audit
record), end-to-end latency per event (request sent -> audit record committed, both on this machine's clock) p50 /
p95 / max, and the loss and duplicate counts, which must be 0 (exit 1 otherwise).

The baseline, measured in the same run on the same broker: the broker alone, the same number of event-sized messages
produced by one idempotent producer and read back by one consumer (latency produce -> read). The ratio says what the
fleet's path (HTTP, PostgreSQL, outbox polling, audit's consumer and its database) costs on top of Kafka itself.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

__all__ = ["main"]

_SERVICES = ["organization", "auth", "master-data", "audit"]
_TOPIC = "master-data.customer.created"


def _send(url: str, token: str, count: int, concurrency: int) -> list[tuple[str, float, int]]:
    """``(correlation id, sent at (epoch s), status)`` per write, on ``concurrency`` keep-alive connections.

    The standard library's HTTP client, not httpx: this load runs on the same two cores as the fleet, and httpx cost
    about 1 ms of CPU per request here (its request and response models, h11), a sixth of the whole path it measures.
    """
    import http.client
    import json
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    local = threading.local()

    def one(n: int) -> tuple[str, float, int]:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30.0)
        correlation = str(uuid.uuid4())
        body = json.dumps({"code": f"BM-{uuid.uuid4().hex[:12]}", "name": f"Bench {n}"})
        headers = {"Authorization": f"Bearer {token}", "X-Correlation-ID": correlation,
                   "Content-Type": "application/json"}  # fmt: skip
        sent = time.time()
        try:
            local.conn.request("POST", f"{parts.path}/customers", body=body, headers=headers)
            answer = local.conn.getresponse()
            answer.read()
        except (OSError, http.client.HTTPException):
            local.conn.close()
            del local.conn  # a new connection for the next write; this one counts as not accepted
            return correlation, sent, 0
        return correlation, sent, answer.status

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, range(count)))


def _audit_times(dsn: str, event_ids: list[str]) -> dict[str, list[float]]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT event_id::text, extract(epoch FROM created_at) FROM audit_logs WHERE event_id = ANY(%s::uuid[])",
            [event_ids],
        ).fetchall()
    found: dict[str, list[float]] = {}
    for event_id, at in rows:
        found.setdefault(str(event_id), []).append(float(at))
    return found


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run(events: int, concurrency: int, drain_s: float) -> int:
    from fleetcheck.events import EventCapture, PostgresAuditStore, audit_store_of, kafka_bootstrap_of
    from fleetcheck.reference import ReferenceFleet

    with ReferenceFleet(services=_SERVICES, progress=lambda m: print(f"· {m}", flush=True)) as fleet:
        bootstrap = kafka_bootstrap_of(fleet)
        token = fleet.credentials.tenant_token
        if bootstrap is None or token is None:
            print(f"the fleet did not give a broker or a tenant: {fleet.credentials.missing_reason}", file=sys.stderr)
            return 3
        store = audit_store_of(fleet)
        if not isinstance(store, PostgresAuditStore):
            print("audit's database could not be found on the fleet's PostgreSQL", file=sys.stderr)
            return 3
        audit_dsn = store.dsn
        print(f"· broker {bootstrap}; sending {events} writes, {concurrency} at a time", flush=True)
        with EventCapture(bootstrap, [_TOPIC]) as capture:
            started = time.time()
            writes = _send(fleet.endpoints["master-data"].base_url, token, events, concurrency)
            sent_s = time.time() - started
            accepted = {c: at for c, at, status in writes if status == 201}
            capture.read(until=lambda seen: len(seen) >= len(accepted), deadline_s=drain_s, settle_s=1.0)
        ids_by_correlation: dict[str, set[str]] = {}
        for event in capture.events:
            ids_by_correlation.setdefault(event.attribute("correlationid") or "", set()).add(
                event.attribute("id") or ""
            )
        event_ids = sorted({i for c in accepted for i in ids_by_correlation.get(c, ())})
        deadline = time.time() + drain_s
        audited = _audit_times(audit_dsn, event_ids)
        while len(audited) < len(event_ids) and time.time() < deadline:
            time.sleep(0.5)
            audited = _audit_times(audit_dsn, event_ids)
        fleet_result = _judge(accepted, writes, ids_by_correlation, audited, started, sent_s, capture.events)
        print(f"· baseline: {events} messages through the broker alone", flush=True)
        baseline = _broker_alone(bootstrap, events)
    _print(fleet_result, baseline, events)
    return 1 if fleet_result.failed else 0


@dataclass
class _Result:
    delivered: int
    seconds: float
    latencies: list[float]
    lines: list[tuple[str, str]] = field(default_factory=list)  # (what, count) of losses and duplicates
    failed: bool = False

    @property
    def per_s(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else float("nan")


def _broker_alone(bootstrap: str, count: int) -> _Result:
    """Produce ``count`` ~600-byte messages (an event's size) to a scratch topic while a consumer thread reads them."""
    from confluent_kafka import Consumer, Producer, TopicPartition

    from fleetcheck.fixtures.kafka import provision_topics

    topic = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    provision_topics(bootstrap, [(topic, 3)])
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex}",
                         "enable.auto.commit": False, "fetch.wait.max.ms": 10})  # fmt: skip
    consumer.assign([TopicPartition(topic, p, 0) for p in range(3)])
    consumer.consume(num_messages=1, timeout=1.0)  # connected and fetching before the clock starts
    received: dict[int, float] = {}

    def read() -> None:
        deadline = time.time() + 120
        while len(received) < count and time.time() < deadline:
            _take(consumer.consume(num_messages=500, timeout=0.1), received)

    reader = threading.Thread(target=read, name="bench-baseline-reader")
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5})
    padding = "x" * 560
    sent: dict[int, float] = {}
    started = time.time()
    reader.start()
    try:
        for n in range(count):
            sent[n] = time.time()
            producer.produce(topic, key=str(uuid.uuid4()).encode(), value=f"{n}:{padding}".encode())
            producer.poll(0)
        producer.flush(30)
    finally:
        reader.join()
        consumer.close()
    last = max(received.values(), default=time.time())
    lost = count - len(received)
    return _Result(len(received), last - started, [received[n] - sent[n] for n in received],
                   [("messages lost", str(lost))], failed=lost > 0)  # fmt: skip


def _take(messages: list[Any], received: dict[int, float]) -> None:
    """Note when each message number (the value's prefix) was read."""
    for message in messages:
        value = message.value()
        if message.error() is None and value:
            received[int(value.split(b":", 1)[0])] = time.time()


def _judge(
    accepted: dict[str, float],
    writes: list[tuple[str, float, int]],
    ids_by_correlation: dict[str, set[str]],
    audited: dict[str, list[float]],
    started: float,
    sent_s: float,
    seen: list[Any],
) -> _Result:
    latencies = []
    for correlation, sent in accepted.items():
        for event_id in ids_by_correlation.get(correlation, ()):
            if event_id in audited:
                latencies.append(min(audited[event_id]) - sent)
    lost_events = sum(1 for c in accepted if not ids_by_correlation.get(c))
    extra_events = sum(
        len(ids_by_correlation.get(c, ())) - 1 for c in accepted if len(ids_by_correlation.get(c, ())) > 1
    )
    redelivered = len(seen) - len({(e.attribute("id"), e.topic) for e in seen})
    event_ids = [i for c in accepted for i in ids_by_correlation.get(c, ())]
    unaudited = sum(1 for i in event_ids if i not in audited)
    double_audited = sum(1 for i in event_ids if len(audited.get(i, ())) > 1)
    last = max((t for ts in audited.values() for t in ts), default=time.time())
    lines = [
        ("writes sent / accepted", f"{len(writes)} / {len(accepted)} in {sent_s:.1f} s ({len(writes) / sent_s:.0f}/s)"),
        ("writes without an event (lost)", str(lost_events)),
        ("events without an audit record (lost)", str(unaudited)),
        ("extra event ids for one write (duplicates)", str(extra_events)),
        ("events audited twice (duplicates)", str(double_audited)),
        ("Kafka redeliveries of one id (deduped by consumers)", str(redelivered)),
    ]
    failed = bool(lost_events or unaudited or extra_events or double_audited or len(accepted) != len(writes))
    return _Result(len(latencies), last - started, latencies, lines, failed)


def _print(fleet: _Result, baseline: _Result, count: int) -> None:
    from rich.console import Console
    from rich.table import Table

    def ms(values: list[float], q: float | None) -> str:
        if not values:
            return "-"
        return f"{(max(values) if q is None else _quantile(values, q)) * 1000:,.0f} ms"

    table = Table(title=f"events end to end: {count} writes (API -> outbox -> Kafka -> audit record)")
    for column in ("measured", "fleet end to end", "baseline: broker alone (same run)", "ratio"):
        table.add_column(column, justify="left" if column == "measured" else "right")

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.3g}x" if b > 0 else ""

    table.add_row("delivered", f"{fleet.delivered:,}", f"{baseline.delivered:,}", "")
    table.add_row("throughput (first write -> last record)", f"{fleet.per_s:,.0f}/s", f"{baseline.per_s:,.0f}/s",
                  ratio(fleet.per_s, baseline.per_s))  # fmt: skip
    for label, q in (("latency p50", 0.5), ("latency p95", 0.95), ("latency max", None)):
        a, b = fleet.latencies, baseline.latencies
        pair = (_quantile(a, q), _quantile(b, q)) if q is not None else (max(a or [0]), max(b or [0]))
        table.add_row(label, ms(a, q), ms(b, q), ratio(*pair))
    for what, value in fleet.lines:
        table.add_row(what, value, "", "")
    for what, value in baseline.lines:
        table.add_row(what, "", value, "")
    Console(width=max(Console().width, 140)).print(table)
    verdict = "FAILED: events were lost or duplicated" if fleet.failed or baseline.failed else "no loss, no duplicate"
    print(verdict)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.events", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", help="an external Kafka (host:port) instead of embedded Tansu")
    parser.add_argument("--events", type=int, default=10_000, help="writes to send (default 10000)")
    parser.add_argument("--concurrency", type=int, default=8, help="writes in flight (default 8)")
    parser.add_argument("--drain", type=float, default=300.0, help="seconds to wait for the last event (default 300)")
    args = parser.parse_args(argv)
    if args.events < 1 or args.concurrency < 1:
        parser.error("--events and --concurrency must be at least 1")
    if args.bootstrap:
        os.environ["FLEETCHECK_KAFKA_BOOTSTRAP"] = args.bootstrap  # start_infrastructure then uses that broker
    logging.getLogger("fleetcheck.events").setLevel(logging.CRITICAL)
    from fleetcheck.fixtures._process import BackendStartError, BackendUnreachableError

    try:
        return run(args.events, args.concurrency, args.drain)
    except (BackendStartError, BackendUnreachableError) as exc:  # names the part, command, port and log tail
        print(str(exc), file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())

"""Idempotent consumer base: a Kafka group consumer whose handler runs once per event id (dedupe in the database)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert

from .outbox import ProcessedEvent

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from .db import Database
    from .metrics import ServiceMetrics

__all__ = ["IdempotentConsumer"]

_log = logging.getLogger("reference_services.consumer")


class IdempotentConsumer:
    """Subclass and implement ``handle(session, event)``; start/stop it with the app (``background=[...]``).

    Each message runs in one tenant transaction (the event's ``tenantid``) that also inserts the
    ``processed_events`` row; a redelivered event id finds that row and is skipped (outcome ``duplicate``).
    The offset is committed only after the transaction committed (at-least-once delivery, exactly-once effect).
    Messages are taken as they come, up to ``batch_size`` already fetched at once, and their offsets committed once
    per batch: a commit is a synchronous round trip to the broker, and a worker-thread hop each way.

    An event whose transaction failed (a database error, a handler error) is taken again: its partition is sought
    back to it and nothing behind it in that partition is handled or committed until it succeeds, after
    ``retry_s``, up to ``attempts`` times; only then is it given up (logged, counted ``failed``) so that one poison
    event cannot stop its partition for ever. An event that cannot be decoded is given up at once: taking it again
    cannot change it.
    """

    #: Small enough that a batch is handled well within ``max.poll.interval.ms`` (7 s) on a loaded machine: a
    #: consumer that polls later than that is dropped from its group, and its commit then fails.
    batch_size = 50
    #: The wait before a failed event is taken again (the fleet file's ``events.records.retry_s``), and how often.
    retry_s = 1.0
    attempts = 5

    def __init__(
        self,
        database: Database,
        *,
        bootstrap: str,
        group_id: str,
        topics: Sequence[str],
        metrics: ServiceMetrics,
        consumer_name: str | None = None,
    ) -> None:
        self.database = database
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.topics = list(topics)
        self.metrics = metrics
        self.consumer_name = consumer_name or group_id
        self._consumer: Any = None
        self._task: asyncio.Task[None] | None = None
        self._failures: dict[tuple[str, int, int], int] = {}  # (topic, partition, offset) -> failed attempts so far
        metrics.enable_events(consumed_topics=self.topics)

    async def handle(self, session: AsyncSession, event: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement handle(session, event)")

    async def start(self) -> None:
        from confluent_kafka import Consumer

        self._consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": self.group_id,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                # librdkafka defaults make a group join take ~23 s on Tansu; these make it ~3 s. A session of 3 s
                # (heartbeats every 1 s, from librdkafka's own thread) instead of 6 s: after a 12 s Kafka freeze the
                # broker evicts the member and audit recorded nothing for 10 s until it rejoined; now 7 s (measured).
                "session.timeout.ms": 3000,
                "heartbeat.interval.ms": 1000,
                "max.poll.interval.ms": 7000,
            }
        )
        self._consumer.subscribe(self.topics)
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.group_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await asyncio.to_thread(self._consumer.close)

    async def _run(self) -> None:
        from confluent_kafka import KafkaException, TopicPartition

        while True:
            done: dict[tuple[str, int], int] = {}  # (topic, partition) -> the next offset to commit
            held: set[tuple[str, int]] = set()  # partitions sought back to a failed event: the rest comes again
            for message in await asyncio.to_thread(self._take):
                if message.error():
                    _log.warning("consumer %s: %s", self.group_id, message.error())
                    continue
                partition = (message.topic(), message.partition())
                if partition in held:
                    continue
                outcome = await self._process(message)
                if outcome == "retry":
                    outcome = self._retry_or_give_up(message)
                    if outcome == "retried":
                        held.add(partition)
                        self._consumer.seek(TopicPartition(message.topic(), message.partition(), message.offset()))
                self.metrics.events_consumed.labels(topic=message.topic(), outcome=outcome).inc()  # type: ignore[union-attr]
                if outcome != "retried":
                    self._failures.pop((*partition, message.offset()), None)
                    done[partition] = message.offset() + 1
            if done:
                offsets = [TopicPartition(topic, partition, offset) for (topic, partition), offset in done.items()]
                try:
                    await asyncio.to_thread(self._consumer.commit, offsets=offsets, asynchronous=False)
                except KafkaException as error:  # e.g. a rebalance: the events come again, and are deduped
                    _log.warning("consumer %s: committing %s failed: %s", self.group_id, offsets, error)
            if held:
                await asyncio.sleep(self.retry_s)

    def _retry_or_give_up(self, message: Any) -> str:
        where = (message.topic(), message.partition(), message.offset())
        failures = self._failures[where] = self._failures.get(where, 0) + 1
        if failures < self.attempts:
            return "retried"
        _log.error("consumer %s gave up on %s@%s after %d attempts", self.group_id, where[0], where[2], failures)
        return "failed"

    def _take(self) -> list[Any]:
        """The next message as soon as it comes (0.5 s at most), and whatever else is already fetched behind it."""
        first = self._consumer.poll(0.5)
        if first is None:
            return []
        return [first, *self._consumer.consume(self.batch_size - 1, 0)]

    def decode(self, message: Any) -> tuple[dict[str, Any], uuid.UUID, uuid.UUID] | None:
        """The event, its id and its tenant; ``None`` (logged) for a message that is not such an event."""
        try:
            event = json.loads(message.value())
            return event, uuid.UUID(str(event["id"])), uuid.UUID(str(event["tenantid"]))
        except (ValueError, KeyError, TypeError):
            _log.exception("consumer %s cannot decode %s@%s", self.group_id, message.topic(), message.offset())
            return None

    async def _process(self, message: Any) -> str:
        """``processed``, ``duplicate``, ``failed`` (cannot be decoded) or ``retry`` (its transaction failed)."""
        decoded = self.decode(message)
        if decoded is None:
            return "failed"
        event, event_id, tenant_id = decoded
        try:
            async with self.database.system_transaction() as session:
                # The dedupe row and the event's tenant context in one round trip: processed_events is RLS-exempt,
                # and set_config(..., true) in RETURNING runs only when the row is new, for the rest of this
                # transaction (as tenant_transaction's own statement would), so handle() runs as the event's tenant.
                inserted = await session.scalar(
                    insert(ProcessedEvent)
                    .values(event_id=event_id, consumer=self.consumer_name, tenant_id=tenant_id)
                    .on_conflict_do_nothing(index_elements=["event_id", "consumer"])
                    .returning(func.set_config("app.tenant_id", str(tenant_id), True))
                )
                if inserted is None:
                    return "duplicate"
                await self.handle(session, event)
        except Exception:
            _log.exception("consumer %s failed on %s@%s", self.group_id, message.topic(), message.offset())
            return "retry"
        return "processed"

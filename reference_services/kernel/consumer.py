"""Idempotent consumer base: a Kafka group consumer whose handler runs once per event id (dedupe in the database)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
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
    """

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
                # librdkafka defaults make a group join take ~23 s on Tansu; these make it ~3 s.
                "session.timeout.ms": 6000,
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
        while True:
            message = await asyncio.to_thread(self._consumer.poll, 0.5)
            if message is None:
                continue
            if message.error():
                _log.warning("consumer %s: %s", self.group_id, message.error())
                continue
            outcome = await self._process(message)
            self.metrics.events_consumed.labels(topic=message.topic(), outcome=outcome).inc()  # type: ignore[union-attr]
            if outcome != "failed":
                await asyncio.to_thread(self._consumer.commit, message=message, asynchronous=False)

    async def _process(self, message: Any) -> str:
        try:
            event = json.loads(message.value())
            event_id = uuid.UUID(str(event["id"]))
            tenant_id = uuid.UUID(str(event["tenantid"]))
            async with self.database.tenant_transaction(tenant_id) as session:
                inserted = await session.scalar(
                    insert(ProcessedEvent)
                    .values(event_id=event_id, consumer=self.consumer_name, tenant_id=tenant_id)
                    .on_conflict_do_nothing(index_elements=["event_id", "consumer"])
                    .returning(ProcessedEvent.id)
                )
                if inserted is None:
                    return "duplicate"
                await self.handle(session, event)
        except Exception:
            _log.exception("consumer %s failed on %s@%s", self.group_id, message.topic(), message.offset())
            return "failed"
        return "processed"

    async def already_processed(self, session: AsyncSession, event_id: uuid.UUID) -> bool:
        found = await session.scalar(
            select(ProcessedEvent.id).where(
                ProcessedEvent.event_id == event_id, ProcessedEvent.consumer == self.consumer_name
            )
        )
        return found is not None

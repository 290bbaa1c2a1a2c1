"""Transactional outbox: events commit with the data and are relayed to Kafka by an idempotent producer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Index, String, Uuid, event, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from .db import Database
    from .metrics import ServiceMetrics

__all__ = ["OutboxEvent", "OutboxRelay", "ProcessedEvent", "add_event", "add_events", "cloud_event"]

_log = logging.getLogger("reference_services.outbox")
#: Set in a session's ``info`` by ``add_event``: once that session commits, the relay has rows to send.
_STAGED = "reference_services.outbox.staged"


class OutboxEvent(Base):
    """One event waiting to be relayed (``id`` is the CloudEvent id). RLS-exempt: the relay works across tenants."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unpublished", "created_at", postgresql_where=text("published_at IS NULL")),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, server_default=func.gen_random_uuid())
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    topic: Mapped[str] = mapped_column(String(255), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    value: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    headers: Mapped[dict[str, str]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ProcessedEvent(Base):
    """Consumer dedupe: one row per (event id, consumer). RLS-exempt: consumers work across tenants."""

    __tablename__ = "processed_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, server_default=func.gen_random_uuid())
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    consumer: Mapped[str] = mapped_column(String(255), nullable=False)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())

    __table_args__ = (Index("uq_processed_events_event_id_consumer", "event_id", "consumer", unique=True),)


def cloud_event(
    *,
    topic: str,
    key: str,
    data: dict[str, Any],
    tenant_id: uuid.UUID | str,
    source: str,
    correlation_id: str | None = None,
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A CloudEvents 1.0 structured-mode event; ``source`` is the service name (``organization``)."""
    return {
        "specversion": "1.0",
        "id": str(event_id or uuid.uuid4()),
        "source": source if source.startswith("/") else f"/{source}",
        "type": topic,
        "time": datetime.now(UTC).isoformat(),
        "subject": key,
        "datacontenttype": "application/json",
        "tenantid": str(tenant_id),
        "correlationid": correlation_id or str(uuid.uuid4()),
        "data": data,
    }


def add_event(
    session: AsyncSession,
    *,
    topic: str,
    key: str | uuid.UUID,
    data: dict[str, Any],
    tenant_id: uuid.UUID | str,
    source: str,
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """Stage an event in the caller's transaction (it commits, or rolls back, with the data). Returns the event."""
    event = cloud_event(
        topic=topic, key=str(key), data=data, tenant_id=tenant_id, source=source, correlation_id=correlation_id
    )
    # now() is the transaction's start, the same for every event of one transaction; clock_timestamp() advances, so
    # the relay (ordered by created_at) keeps the order in which a transaction staged them
    session.add(OutboxEvent(**_outbox_row(event), created_at=func.clock_timestamp()))
    session.info[_STAGED] = True
    return event


async def add_events(session: AsyncSession, events: Sequence[dict[str, Any]]) -> None:
    """Stage several events (each made by ``cloud_event``) in one multi-row INSERT, now.

    For a consumer that handles a batch: one statement instead of one ORM flush per event. The rows keep the order of
    ``events`` (clock_timestamp(), as in ``add_event``, is evaluated row by row). Given as executemany parameters, not
    as a multi-row ``values()``: SQLAlchemy renders the rows at execution then, and a statement compiled once serves
    every batch (it gives a ``values()`` list no cache key and compiles it each time: 40 % of audit's CPU).
    """
    if events:
        staged = insert(OutboxEvent.__table__).values(created_at=func.clock_timestamp())
        await session.execute(staged, [_outbox_row(event) for event in events])
        session.info[_STAGED] = True


def _outbox_row(event: dict[str, Any]) -> dict[str, Any]:
    """The columns of the outbox row that carries ``event`` (a ``cloud_event``)."""
    return {
        "id": uuid.UUID(event["id"]),
        "tenant_id": uuid.UUID(event["tenantid"]),
        "topic": event["type"],
        "key": event["subject"],
        "value": event,
        "headers": {"x-tenant-id": event["tenantid"], "content-type": "application/cloudevents+json"},
    }


def producer_settings(bootstrap: str, delivery_timeout_s: float) -> dict[str, Any]:
    """librdkafka settings of an idempotent producer whose delivery attempt gives up after ``delivery_timeout_s``
    (the outbox relay's, and the api-gateway's direct publisher)."""
    return {
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "message.timeout.ms": int(delivery_timeout_s * 1000),
        "linger.ms": 5,
    }


class OutboxRelay:
    """Background task: publishes pending outbox rows in batches, marking them only after a successful delivery.

    Rows are locked with ``FOR UPDATE SKIP LOCKED`` so several replicas can relay. A broker error leaves the rows
    pending for the next pass (never dropped). librdkafka's flush runs in a worker thread, off the event loop.
    A pass starts ``linger_s`` after a transaction of this process that staged an event commits (a session event),
    so that the writes of those milliseconds go out in one batch, and every ``poll_s`` in any case: for rows another
    replica staged, or rows left pending by a broker error.
    """

    def __init__(
        self,
        database: Database,
        *,
        bootstrap: str,
        metrics: ServiceMetrics,
        poll_s: float = 1.0,
        linger_s: float = 0.02,
        batch_size: int = 500,
        delivery_timeout_s: float = 3.0,  # short: an undelivered row stays pending and the next poll retries it
    ) -> None:
        self.database = database
        self.bootstrap = bootstrap
        self.metrics = metrics
        self.poll_s = poll_s
        self.linger_s = linger_s
        self.batch_size = batch_size
        self.delivery_timeout_s = delivery_timeout_s
        self._producer: Any = None
        self._task: asyncio.Task[None] | None = None
        self._staged = asyncio.Event()
        metrics.enable_events()

    def producer_config(self) -> dict[str, Any]:
        """librdkafka settings of the relay's idempotent producer."""
        return producer_settings(self.bootstrap, self.delivery_timeout_s)

    def _make_producer(self) -> Any:
        from confluent_kafka import Producer

        return Producer(self.producer_config())

    async def start(self) -> None:
        event.listen(self.database.sessions, "after_commit", self._after_commit)
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if event.contains(self.database.sessions, "after_commit", self._after_commit):
            event.remove(self.database.sessions, "after_commit", self._after_commit)
        if self._producer is not None:
            await asyncio.to_thread(self._producer.flush, 2.0)

    def _after_commit(self, session: Any) -> None:
        if session.info.pop(_STAGED, False):
            self._staged.set()  # sessions commit on the event loop's thread, where the relay waits

    async def _run(self) -> None:
        while True:
            self._staged.clear()
            try:
                published = await self.relay_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a broken broker or database must not kill the relay
                _log.warning("outbox relay pass failed, rows stay pending: %s", error)
                await asyncio.sleep(self.poll_s)  # not at once on the next commit: the broker or database is down
                continue
            if published < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._staged.wait(), self.poll_s)
                    await asyncio.sleep(self.linger_s)

    async def relay_once(self) -> int:
        """One pass: publish up to ``batch_size`` pending rows; returns how many were marked published."""
        async with self.database.system_transaction() as session:
            rows = (
                await session.execute(
                    select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.key, OutboxEvent.value, OutboxEvent.headers)
                    .where(OutboxEvent.published_at.is_(None))
                    .order_by(OutboxEvent.created_at)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            delivered = await self._publish(rows) if rows else []
            if delivered:
                await session.execute(
                    update(OutboxEvent).where(OutboxEvent.id.in_(delivered)).values(published_at=func.now())
                )
            # in the same transaction: one round trip, and it already counts the rows just marked as published
            pending = await session.scalar(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))
            )
        assert self.metrics.outbox_pending is not None
        self.metrics.outbox_pending.set(pending or 0)
        return len(delivered)

    async def _publish(self, rows: Sequence[Any]) -> list[uuid.UUID]:
        """Produce ``rows`` (``id``, ``topic``, ``key``, ``value``, ``headers``); the ids whose delivery succeeded."""
        if self._producer is None:
            self._producer = await asyncio.to_thread(self._make_producer)
        delivered: list[uuid.UUID] = []

        def report(event_id: uuid.UUID, topic: str) -> Any:
            def on_delivery(error: Any, _message: Any) -> None:
                if error is None:
                    delivered.append(event_id)
                    assert self.metrics.events_published is not None
                    self.metrics.events_published.labels(topic=topic).inc()
                else:
                    _log.warning("delivery of %s to %s failed: %s", event_id, topic, error)

            return on_delivery

        try:
            for row in rows:
                headers = [(name, value.encode()) for name, value in (row.headers or {}).items()]
                self._producer.produce(
                    row.topic,
                    key=row.key.encode(),
                    value=json.dumps(row.value, separators=(",", ":")).encode(),
                    headers=headers,
                    on_delivery=report(row.id, row.topic),
                )
            await asyncio.to_thread(self._producer.flush, self.delivery_timeout_s + 1)
        except Exception:
            # produce raises once the producer is in a fatal state (fenced, or its producer id unknown to a broker
            # that lost its state): librdkafka says such an instance must be replaced, so the next pass makes a new one
            self._producer = None
            raise
        if len(delivered) < len(rows):
            # An idempotent producer whose messages timed out never recovers on a broker that lost its producer state
            # (an in-memory broker restarted): start the next batch with a new one. The rows stay pending.
            self._producer = None
        return delivered

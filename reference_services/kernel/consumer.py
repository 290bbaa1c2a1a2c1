"""Idempotent consumer base: a Kafka group consumer whose handler runs once per event id (dedupe in the database)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from .outbox import ProcessedEvent

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from .db import Database
    from .metrics import ServiceMetrics

__all__ = ["IdempotentConsumer"]

_log = logging.getLogger("reference_services.consumer")
#: an event, its id and its tenant (IdempotentConsumer.decode)
_Decoded = tuple[dict[str, Any], uuid.UUID, uuid.UUID]


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

    With ``one_transaction_per_batch`` the events of a batch share one transaction: one statement dedupes them all,
    and the new events of each tenant are handed to :meth:`handle_batch` together, after one statement that sets that
    tenant (a consumer's CPU per event is then mostly its own work, not a BEGIN, a COMMIT and a dedupe each). When
    anything in that transaction fails, it is rolled back and the batch is done again one event per transaction, as
    without it, which finds the event that fails: it has then been tried twice (in the batch and alone), two of its
    ``attempts``, and it is taken alone from then on. Only for handlers whose every effect is in the transaction or
    registered with :meth:`after_commit`: a rolled-back batch is done again.
    """

    #: Small enough that a batch is handled well within ``max.poll.interval.ms`` (7 s) on a loaded machine: a
    #: consumer that polls later than that is dropped from its group, and its commit then fails.
    batch_size = 50
    #: The wait before a failed event is taken again (the fleet file's ``events.records.retry_s``), and how often.
    retry_s = 0.5
    attempts = 5
    one_transaction_per_batch = False

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
        self._effects: list[Callable[[], None]] = []  # after_commit's, for the transaction now open
        metrics.enable_events(consumed_topics=self.topics)

    async def handle(self, session: AsyncSession, event: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement handle(session, event)")

    async def handle_batch(self, session: AsyncSession, events: Sequence[dict[str, Any]]) -> None:
        """New events of one tenant, in their order, in ``session`` as that tenant (``one_transaction_per_batch``).
        By default each goes to :meth:`handle`; override it to write them with fewer statements."""
        for event in events:
            await self.handle(session, event)

    def after_commit(self, effect: Callable[[], None]) -> None:
        """Call ``effect`` (a metric that counts the handled event, say) once the handler's transaction committed;
        never when it rolled back."""
        self._effects.append(effect)

    async def start(self) -> None:
        from confluent_kafka import Consumer

        self._consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": self.group_id,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                # librdkafka defaults make a group join take ~23 s on Tansu; these make it ~1 s. Heartbeats every
                # 0.5 s (from librdkafka's own native thread, which Python's work does not hold up) and a session of
                # 2 s: Tansu answers a join after about two heartbeats (2 s with heartbeats every 1 s), and after a
                # 12 s Kafka freeze the old member holds up the rejoin for its session; audit recorded nothing for
                # 7 s after the thaw with a session of 3 s, 4 s with this one (measured; 10 s with 6 s).
                "session.timeout.ms": 2000,
                "heartbeat.interval.ms": 500,
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
            taken = []
            for message in await asyncio.to_thread(self._take):
                if message.error():
                    _log.warning("consumer %s: %s", self.group_id, message.error())
                else:
                    taken.append(message)
            while taken := [m for m in taken if (m.topic(), m.partition()) not in held]:
                # an event that failed before is taken alone: it is first on its held partition, and a batch that
                # held it would fail again and take every event once more
                batch = list(itertools.takewhile(lambda m: self._where(m) not in self._failures, taken))
                together = self.one_transaction_per_batch and len(batch) > 1
                outcomes = await self._process_batch(batch) if together else [await self._process(taken[0])]
                for message, outcome in zip(taken, outcomes, strict=False):
                    self._settle(message, outcome, done, held)
                taken = taken[len(outcomes) :]
            if done:
                offsets = [TopicPartition(topic, partition, offset) for (topic, partition), offset in done.items()]
                try:
                    await asyncio.to_thread(self._consumer.commit, offsets=offsets, asynchronous=False)
                except KafkaException as error:  # e.g. a rebalance: the events come again, and are deduped
                    _log.warning("consumer %s: committing %s failed: %s", self.group_id, offsets, error)
            if held:
                await asyncio.sleep(self.retry_s)

    def _settle(self, message: Any, outcome: str, done: dict[tuple[str, int], int], held: set[tuple[str, int]]) -> None:
        """Count ``outcome``; an event whose transaction failed is taken again (its partition sought back to it and
        held) or given up."""
        from confluent_kafka import TopicPartition

        partition = (message.topic(), message.partition())
        if outcome == "retry":
            outcome = self._retry_or_give_up(message)
            if outcome == "retried":
                held.add(partition)
                self._consumer.seek(TopicPartition(message.topic(), message.partition(), message.offset()))
        self.metrics.events_consumed.labels(topic=message.topic(), outcome=outcome).inc()  # type: ignore[union-attr]
        if outcome != "retried":
            self._failures.pop((*partition, message.offset()), None)
            done[partition] = message.offset() + 1

    @staticmethod
    def _where(message: Any) -> tuple[str, int, int]:
        return message.topic(), message.partition(), message.offset()

    def _retry_or_give_up(self, message: Any) -> str:
        where = self._where(message)
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

    def decode(self, message: Any) -> _Decoded | None:
        """The event, its id and its tenant; ``None`` (logged) for a message that is not such an event."""
        try:
            event = json.loads(message.value())
            return event, uuid.UUID(str(event["id"])), uuid.UUID(str(event["tenantid"]))
        except (ValueError, KeyError, TypeError):
            _log.exception("consumer %s cannot decode %s@%s", self.group_id, message.topic(), message.offset())
            return None

    async def _process(self, message: Any) -> str:
        """``processed``, ``duplicate``, ``failed`` (cannot be decoded) or ``retry`` (its transaction failed), for
        ``message`` in a transaction of its own."""
        decoded = self.decode(message)
        if decoded is None:
            return "failed"
        self._effects = []
        try:
            async with self.database.system_transaction() as session:
                applied = await self._apply(session, *decoded)
        except Exception:
            _log.exception("consumer %s failed on %s@%s", self.group_id, message.topic(), message.offset())
            return "retry"
        self._committed()
        return "processed" if applied else "duplicate"

    async def _process_batch(self, messages: Sequence[Any]) -> list[str]:
        """The outcomes of ``messages`` done in one transaction; if it fails, of as many as are done again one per
        transaction, up to and including the first that fails (``retry``): an event behind a failed one on its
        partition must wait for it, so the caller is left the rest."""
        decoded = [self.decode(message) for message in messages]
        self._effects = []
        try:
            async with self.database.system_transaction() as session:
                outcomes = await self._apply_batch(session, decoded)
        except Exception as error:
            _log.warning("consumer %s: a batch of %d failed (%s); one event at a time", self.group_id, len(messages),
                         error)  # fmt: skip
            outcomes = []
            for message in messages:
                outcomes.append(await self._process(message))
                if outcomes[-1] == "retry":
                    # it failed alone too, so the batch failed on it: that write was one of its attempts as well
                    # (``attempts`` counts writes tried, which is what a fault on the record table sees)
                    where = self._where(message)
                    self._failures[where] = self._failures.get(where, 0) + 1
                    break
            return outcomes
        self._committed()
        return outcomes

    async def _apply(
        self, session: AsyncSession, event: dict[str, Any], event_id: uuid.UUID, tenant: uuid.UUID
    ) -> bool:
        """Dedupe ``event`` and handle it in ``session`` as its tenant; ``False`` when it was already processed."""
        # The dedupe row and the event's tenant context in one round trip: processed_events is RLS-exempt, and
        # set_config(..., true) in RETURNING runs only when the row is new, for the rest of this transaction (as
        # tenant_transaction's own statement would), so handle() runs as the event's tenant.
        inserted = await session.scalar(
            insert(ProcessedEvent)
            .values(event_id=event_id, consumer=self.consumer_name, tenant_id=tenant)
            .on_conflict_do_nothing(index_elements=["event_id", "consumer"])
            .returning(func.set_config("app.tenant_id", str(tenant), True))
        )
        if inserted is None:
            return False
        await self.handle(session, event)
        return True

    async def _apply_batch(self, session: AsyncSession, decoded: Sequence[_Decoded | None]) -> list[str]:
        """Dedupe ``decoded`` in one statement, then hand each tenant's new events to ``handle_batch`` as that tenant;
        the outcome of each (``failed`` for one that could not be decoded)."""
        first: dict[uuid.UUID, _Decoded] = {}  # an id twice in one batch (a redelivery) is new once at most
        for item in decoded:
            if item is not None:
                first.setdefault(item[1], item)
        fresh = await self._dedupe(session, list(first.values()))
        by_tenant: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for event, event_id, tenant in first.values():
            if event_id in fresh:
                by_tenant.setdefault(tenant, []).append(event)
        for tenant, events in by_tenant.items():
            await session.execute(select(func.set_config("app.tenant_id", str(tenant), True)))
            await self.handle_batch(session, events)
            await session.flush()  # as this tenant, before the next sets its own
        outcomes = []
        for item in decoded:
            outcomes.append("failed" if item is None else "processed" if item[1] in fresh else "duplicate")
            if item is not None:
                fresh.discard(item[1])  # a second copy in this batch is a duplicate
        return outcomes

    async def _dedupe(self, session: AsyncSession, decoded: Sequence[_Decoded]) -> set[uuid.UUID]:
        """The ``processed_events`` rows of ``decoded`` (distinct ids) in one statement; the ids that were new."""
        if not decoded:
            return set()
        table = ProcessedEvent.__table__
        rows = await session.execute(
            insert(table).on_conflict_do_nothing(index_elements=["event_id", "consumer"]).returning(table.c.event_id),
            [{"event_id": i, "consumer": self.consumer_name, "tenant_id": t} for _e, i, t in decoded],
        )  # executemany parameters: one compiled statement for every batch size (outbox.add_events says why)
        return set(rows.scalars())

    def _committed(self) -> None:
        effects, self._effects = self._effects, []
        for effect in effects:
            effect()

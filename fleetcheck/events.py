"""Kafka observers: capture the events an action causes, and the observations the EVENTS-* checks judge.

:class:`EventCapture` takes each partition's end offset when it is created (before the action), then reads from those
offsets with ``assign()``: no consumer-group join (seconds on some brokers), nothing committed, bounded by a
deadline. It is usable from tests, probes and locust listeners alike::

    with EventCapture(bootstrap, ["master-data.customer.created"]) as capture:
        httpx.post(...)                                            # the action
        events = capture.read(until=lambda seen: len(seen) >= 1, deadline_s=10)

The scenario observers send known actions to a service (with an ``X-Correlation-ID`` each, so events can be told apart)
and return :class:`fleetcheck.contracts.events.EventScenario`; the delivery observers push bursts of writes (optionally
across a Kafka outage made with a fault hook) and count events and audit records.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

from fleetcheck.contracts.events import (
    BadInputObservation,
    CapturedEvent,
    DeliveryObservation,
    EventAction,
    EventScenario,
    ReplayObservation,
    SchemaChange,
    TopicsObservation,
    WriteFaultObservation,
    WriteRecord,
    correlation_of,
    event_identity,
    expects_event,
    payload_schema_of,
    write_identity,
)
from fleetcheck.contracts.registry import CheckSettings
from fleetcheck.contracts.schemas.events import ENVELOPE_FILE
from fleetcheck.observe import exchange, observe_client
from fleetcheck.steps import StepContext, StepsNotPossible, event_actions, not_as_declared, run_sequence, run_write

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
    from pathlib import Path
    from types import TracebackType

    from fleetcheck.contracts.fleet import DeliverySpec, EventConventions, Fleet, RecordStoreSpec
    from fleetcheck.contracts.steps import StepSpec
    from fleetcheck.fixtures.faults import FaultHook
    from fleetcheck.targets import Endpoint, Target

__all__ = [
    "AuditStore",
    "EventCapture",
    "PostgresAuditStore",
    "ScenarioNotPossible",
    "SchemaBaselineError",
    "audit_store_of",
    "burst_updaters",
    "caused_events",
    "kafka_bootstrap_of",
    "load_schema_baseline",
    "observe_bad_input",
    "observe_burst",
    "observe_replays",
    "observe_scenario",
    "observe_schema_changes",
    "observe_topics",
    "observe_write_fault",
    "outbox_pending",
]

_LOGGER = logging.getLogger(__name__)
_SLACK_S = CheckSettings().event_slack_s

#: A scenario the target cannot run (a service or credential it lacks): its checks are "not run" with the reason.
ScenarioNotPossible = StepsNotPossible
_PENDING = re.compile(r"^outbox_pending_events(?:\{[^}]*\})?\s+(\S+)", re.MULTILINE)


# ---- capture --------------------------------------------------------------------------------------------------------


class EventCapture:
    """Read ``topics`` from the offsets they had when the capture was made (or from the beginning).

    Topics missing on the broker are listed in ``missing`` and skipped. ``read`` may be called repeatedly; events
    accumulate in ``events``.

    Raises:
        KafkaException: the broker did not answer the metadata request within ``timeout``.
    """

    def __init__(
        self, bootstrap: str, topics: Iterable[str], *, from_beginning: bool = False, timeout: float = 10.0
    ) -> None:
        self.bootstrap = bootstrap
        self.events: list[CapturedEvent] = []
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"fleetcheck-capture-{uuid.uuid4()}",  # required by the client; never joined
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "logger": _LOGGER,
            }
        )
        try:
            self.start, self.missing = self._offsets(list(topics), from_beginning, timeout)
            self._consumer.assign(list(self.start))
            if not from_beginning:
                self._skip_to_end()
        except BaseException:
            self._consumer.close()
            raise

    def _skip_to_end(self, quiet_s: float = 0.3) -> None:
        """Read past whatever is already on the partitions, until they stay quiet for ``quiet_s``.

        A broker's high watermark is not always the end: the embedded Tansu (0.6.0) reports the last batch's base
        offset + 1, so a capture made after a batch of five records would re-read four old ones (measured). Every
        record read here was there before the action, so it starts the capture after it, whatever the broker said.
        """
        if not any(offset > 0 for offset in self.start.values()):
            return  # empty partitions have nothing old to skip
        while self._consumer.consume(num_messages=500, timeout=quiet_s):
            pass  # the consumer's position moves past them; read() goes on from there

    def _offsets(
        self, topics: list[str], from_beginning: bool, timeout: float
    ) -> tuple[dict[TopicPartition, int], list[str]]:
        metadata = self._consumer.list_topics(timeout=timeout)
        start: dict[TopicPartition, int] = {}
        missing = []
        for topic in topics:
            found = metadata.topics.get(topic)
            if found is None or found.error is not None:
                missing.append(topic)
                continue
            for partition in found.partitions:
                if from_beginning:
                    offset = OFFSET_BEGINNING
                else:
                    _low, offset = self._consumer.get_watermark_offsets(
                        TopicPartition(topic, partition), timeout=timeout, cached=False
                    )
                start[TopicPartition(topic, partition, offset)] = offset
        return start, missing

    def read(
        self,
        *,
        until: Callable[[list[CapturedEvent]], bool] | None = None,
        deadline_s: float = 10.0,
        settle_s: float = 0.5,
    ) -> list[CapturedEvent]:
        """Poll until ``until(events)`` holds and ``settle_s`` more passed without it turning false (late
        duplicates show up), or until ``deadline_s``; return every event read so far."""
        deadline = time.monotonic() + deadline_s
        satisfied_at: float | None = None
        while (now := time.monotonic()) < deadline:
            for message in self._consumer.consume(num_messages=500, timeout=0.1):
                if message.error() is None:
                    self.events.append(_captured(message))
            if until is None:
                continue
            if not until(self.events):
                satisfied_at = None
            elif satisfied_at is None:
                satisfied_at = now
            elif now - satisfied_at >= settle_s:
                break
        return list(self.events)

    def drain(self) -> None:
        """Read whatever the client has already fetched, without waiting for more."""
        while messages := self._consumer.consume(num_messages=500, timeout=0):
            self.events.extend(_captured(m) for m in messages if m.error() is None)

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self) -> EventCapture:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _captured(message: Any) -> CapturedEvent:
    key = message.key()
    headers = tuple((name, (value or b"").decode("utf-8", "replace")) for name, value in (message.headers() or []))
    _kind, timestamp = message.timestamp()
    return CapturedEvent(
        topic=message.topic(),
        partition=message.partition(),
        offset=message.offset(),
        key=key.decode("utf-8", "replace") if key is not None else None,
        value=message.value() or b"",
        headers=headers,
        timestamp_ms=timestamp,
    )


def observe_topics(bootstrap: str, *, timeout: float = 10.0) -> TopicsObservation:
    """The broker's topics and partition counts; an unreachable broker becomes ``error``, not an exception."""
    from fleetcheck.fixtures.kafka import list_topics

    try:
        topics = list_topics(bootstrap, timeout=timeout)
    except KafkaException as exc:
        return TopicsObservation(bootstrap, (), error=str(exc.args[0]))
    return TopicsObservation(bootstrap, tuple(sorted(topics.items())))


# ---- scenarios: known actions, one service at a time -----------------------------------------------------------------


def observe_scenario(
    target: Target,
    service: str,
    bootstrap: str,
    topics: Sequence[str],
    *,
    deadline_s: float = 20.0,
    capture: EventCapture | None = None,
) -> EventScenario:
    """Run the service's declared event scenario (fleet file ``scenario``) and capture every event on ``topics``
    (all fleet topics, so a wrong topic is seen too). Waits until each accepted action's event was seen (by
    correlation id, or by key on its topic), then the settings' ``event_settle_s`` more for a late duplicate.

    With ``capture`` (open on ``topics``, kept open by the caller) the scenario reads on from where that capture
    stands and holds the events read from then on; without one it opens its own.

    Raises:
        ScenarioNotPossible: the fleet file declares no scenario for the service, or the target lacks a credential
            or a service a step needs.
    """
    spec = target.fleet.service(service)
    if spec.scenario is None:
        raise ScenarioNotPossible(f"the fleet file declares no event scenario for {service} (services[].scenario)")
    started = time.monotonic()
    conventions = target.fleet.events
    with ExitStack() as stack:
        if capture is None:
            capture = stack.enter_context(EventCapture(bootstrap, topics))
        client = stack.enter_context(observe_client(10.0))
        capture.drain()  # what arrived since the capture's last read belongs to no action of this scenario
        first = len(capture.events)
        ctx = StepContext(client, target, spec)
        runs = run_sequence(spec.scenario, ctx)
        actions = event_actions(runs, ctx.bindings)
        wanted = [a for a in actions if expects_event(a)]
        events = capture.read(until=lambda seen: all(_seen(conventions, a, seen[first:]) for a in wanted),
                              deadline_s=deadline_s, settle_s=target.settings.event_settle_s)[first:]  # fmt: skip
    return EventScenario(tuple(actions), tuple(events), time.monotonic() - started, notes=not_as_declared(runs))


def _seen(conventions: EventConventions, action: EventAction, events: Iterable[CapturedEvent]) -> bool:
    """An event that answers the action: its correlation id, or (a service that drops it) its aggregate and topic.

    Only events under the action's topic prefix count: a request may also cause another service's events with the
    same correlation id (document-generator's upload to file-storage), and those can arrive first.
    """
    prefix = str(action.topic).split(".", 1)[0] + "."
    return any(
        (e.topic.startswith(prefix) and correlation_of(conventions, e) == action.correlation_id)
        or (e.topic == action.topic and action.aggregate_id in {e.attribute("subject"), e.key})
        for e in events
    )


def _correlations(conventions: EventConventions, events: Iterable[CapturedEvent]) -> set[str]:
    """The write identities the events answer (correlation ids, or topic and key: ``event_identity``)."""
    return {c for e in events if (c := event_identity(conventions, e))}


# ---- audit store and replay ------------------------------------------------------------------------------------------


class AuditStore(Protocol):
    """Where a recording consumer's records are counted per event (a database DSN, or an API)."""

    def counts(self, events: Sequence[CapturedEvent]) -> dict[str, int]:
        """Records per event, by event id."""


@dataclass(frozen=True, slots=True)
class PostgresAuditStore:
    """Counts a recording consumer's rows per event: rows whose ``match`` columns hold the event's attributes
    (default: ``audit_logs.event_id`` = the event's ``id``). The DSN must see every tenant's rows (owner or a
    BYPASSRLS role, or a read-only role with a policy for it): a DSN that RLS filters would make every record look
    missing. Each value is cast to its column's type, read from the catalog, so a time compares as a time."""

    dsn: str
    table: str = "audit_logs"
    match: tuple[tuple[str, str], ...] = (("event_id", "id"),)

    def counts(self, events: Sequence[CapturedEvent]) -> dict[str, int]:
        import psycopg

        keyed = {i: e for e in events if (i := e.attribute("id"))}
        if not keyed:
            return {}
        with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
            rows = conn.execute(self._query(conn, keyed)).fetchall()
        return {str(event_id): int(count) for event_id, count in rows if count}

    def _types(self, conn: Any) -> dict[str, str]:
        """The record table's column types, so each event attribute is cast to its column's type."""
        found = conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [self.table],
        ).fetchall()
        return {str(name): str(kind) for name, kind in found}

    def _values(self, event: CapturedEvent, types: Mapping[str, str]) -> list[Any]:
        """``CAST(<the event's attribute> AS <its column's type>)`` for each matched column, in ``match`` order."""
        from psycopg import sql

        return [
            sql.SQL("CAST({} AS {})").format(sql.Literal(event.attribute(attribute)), sql.SQL(types.get(c, "text")))
            for c, attribute in self.match
        ]

    def _query(self, conn: Any, keyed: Mapping[str, CapturedEvent]) -> Any:
        """``SELECT v.k, count(t.*) FROM (VALUES (id, attr, ...), ...) v LEFT JOIN table t ON t.col = v.attr ...``"""
        from psycopg import sql

        types = self._types(conn)

        def row(event_id: str, event: CapturedEvent) -> sql.Composed:
            return sql.SQL("({})").format(sql.SQL(", ").join([sql.Literal(event_id), *self._values(event, types)]))

        on = sql.SQL(" AND ").join(
            sql.SQL("t.{} = v.{}").format(sql.Identifier(c), sql.Identifier(f"v{n}"))
            for n, (c, _a) in enumerate(self.match)
        )
        return sql.SQL(
            "SELECT v.k, count(t.*) FROM (VALUES {values}) AS v(k, {names}) LEFT JOIN {table} t ON {on} GROUP BY v.k"
        ).format(
            values=sql.SQL(", ").join(row(i, e) for i, e in keyed.items()),
            names=sql.SQL(", ").join(sql.Identifier(f"v{n}") for n in range(len(self.match))),
            table=sql.Identifier(*self.table.split(".")),
            on=on,
        )

    @contextmanager
    def failing_first_write(
        self, events: Sequence[CapturedEvent], *, always: bool = False
    ) -> Iterator[Callable[[], dict[str, int]]]:
        """While open, the first write of each of ``events`` into the record table fails (with ``always``: every
        write; a ``BEFORE INSERT`` trigger raises when the new row's ``match`` columns hold the event's attributes,
        as :meth:`counts` finds it); yields a reader of the writes the trigger saw per event id. Everything is
        dropped on exit.

        Each event counts its writes in a sequence of its own: a sequence is not rolled back with the failed
        transaction, so "the first write fails, a retry succeeds" holds whatever the consumer's transactions do.
        The trigger matches only these (fresh) events, so one left by a run killed before its clean-up can never
        fire again; its objects are named ``fleetcheck_write_fault_*`` for a human to drop.

        Raises:
            WriteFaultNotPossible: the store cannot be reached, or its DSN's role may not create the trigger.
        """
        import psycopg
        from psycopg import sql

        tag = f"fleetcheck_write_fault_{uuid.uuid4().hex[:12]}"
        counters = {str(e.attribute("id")): (e, f"{tag}_{n}") for n, e in enumerate(events)}
        table = sql.Identifier(*self.table.split("."))
        try:
            conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
        except psycopg.Error as exc:
            raise WriteFaultNotPossible(f"cannot connect to the record store: {exc}") from exc
        with conn:
            conn.execute("SET lock_timeout = '5s'")
            schema = str(conn.execute("SELECT current_schema()").fetchone()[0])  # type: ignore[index]
            types = self._types(conn)

            def matches(event: CapturedEvent) -> sql.Composable:
                return sql.SQL(" AND ").join(
                    sql.SQL("NEW.{} = {}").format(sql.Identifier(c), v)
                    for (c, _a), v in zip(self.match, self._values(event, types), strict=True)
                )

            body = sql.SQL(" ").join(
                sql.SQL("IF {match} THEN IF nextval({seq}) {fails} THEN RAISE EXCEPTION {message}; END IF; END IF;")
                .format(match=matches(event), seq=sql.Literal(f"{schema}.{name}"),
                        fails=sql.SQL(">= 1" if always else "= 1"),
                        message=sql.Literal(f"fleetcheck: injected write fault ({tag})"))
                for event, name in counters.values()
            )  # fmt: skip
            armed = False
            try:
                for _event, name in counters.values():
                    conn.execute(sql.SQL("CREATE SEQUENCE {}").format(sql.Identifier(schema, name)))
                    conn.execute(sql.SQL("GRANT USAGE ON SEQUENCE {} TO PUBLIC").format(sql.Identifier(schema, name)))
                conn.execute(
                    sql.SQL("CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $fault$ BEGIN {body} "
                            "RETURN NEW; END $fault$").format(fn=sql.Identifier(schema, tag), body=body)
                )  # fmt: skip
                conn.execute(
                    sql.SQL("CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {fn}()")
                    .format(name=sql.Identifier(tag), table=table, fn=sql.Identifier(schema, tag))
                )  # fmt: skip
                armed = True

                def attempts() -> dict[str, int]:
                    seen = {}
                    for event_id, (_event, name) in counters.items():
                        row = conn.execute(
                            sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(schema, name))
                        ).fetchone()
                        seen[event_id] = int(row[0]) if row and row[1] else 0
                    return seen

                yield attempts
            except psycopg.Error as exc:
                if armed:
                    raise
                raise WriteFaultNotPossible(
                    f"cannot arm a write fault on {self.table} ({exc.__class__.__name__}: {str(exc).strip()}): the "
                    "record store's DSN needs a role that may create a trigger on it (its owner)"
                ) from exc
            finally:
                conn.execute(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(sql.Identifier(tag), table))
                conn.execute(sql.SQL("DROP FUNCTION IF EXISTS {}()").format(sql.Identifier(schema, tag)))
                for _event, name in counters.values():
                    conn.execute(sql.SQL("DROP SEQUENCE IF EXISTS {}").format(sql.Identifier(schema, name)))


class WriteFaultNotPossible(Exception):
    """The record store cannot take a write fault (no event-id column, no privilege): the check is "not run"."""


def _wait_audit(
    store: AuditStore, events: Sequence[CapturedEvent], *, deadline_s: float, need: Callable[[dict[str, int]], bool]
) -> dict[str, int]:
    deadline = time.monotonic() + deadline_s
    counts = store.counts(events)
    while not need(counts) and time.monotonic() < deadline:
        time.sleep(0.2)
        counts = store.counts(events)
    return counts


def _consumed(consumer: Endpoint | None, metric: str | None) -> float | None:
    """Sum of the consumer's consumed-events counter (every outcome), or ``None`` when it cannot be read."""
    if consumer is None or metric is None:
        return None
    with observe_client(5.0) as client:
        answer = exchange(client, "GET", consumer.url(consumer.metrics_path))
    if answer.status != 200:
        return None
    pattern = re.compile(rf"^{re.escape(metric)}(?:\{{[^}}]*\}})?\s+(\S+)", re.MULTILINE)
    return sum(float(v) for v in pattern.findall(answer.body.decode("utf-8", "replace")))


def observe_replays(
    bootstrap: str,
    batches: Mapping[str, Sequence[CapturedEvent]],
    store: AuditStore,
    *,
    consumer: Endpoint | None = None,
    consumer_topics: str = "audit",
    consumed_metric: str | None = "events_consumed_total",
    times: int = 2,
    deadline_s: float = 60.0,
) -> dict[str, ReplayObservation]:
    """For each batch (a service's events, by name): wait until its events are recorded, then re-publish every
    recorded batch's events ``times`` times each (same key, value, headers) at once, wait until the recording
    consumer consumed them all (its ``consumed_metric``), and count its records per event id.

    One replay for all batches: the consumer's wait is paid once, not once per service. ``consumer_topics`` is the
    recording consumer's own topic prefix: it never records its own events.
    """
    wanted = {name: [e for e in events if not e.topic.startswith(consumer_topics + ".")]
              for name, events in batches.items()}  # fmt: skip
    ids = {name: sorted({i for e in events if (i := e.attribute("id"))}) for name, events in wanted.items()}
    every = [e for events in wanted.values() for e in events]
    every_id = {i for batch in ids.values() for i in batch}
    first = _wait_audit(store, every, deadline_s=deadline_s, need=lambda c: all(c.get(i, 0) >= 1 for i in every_id))
    observed: dict[str, ReplayObservation] = {}
    replayed: dict[str, list[CapturedEvent]] = {}
    for name, batch in ids.items():
        missing = [i for i in batch if not first.get(i)]
        if not batch:
            observed[name] = ReplayObservation((), times, (), error="no event to replay (the scenario captured none)")
        elif missing:
            observed[name] = ReplayObservation(
                tuple(batch), times, tuple((i, first.get(i, 0)) for i in batch),
                error=f"{len(missing)} of {len(batch)} events were never audited before the replay, so idempotency "
                "cannot be judged (see EVENTS-NO-LOSS)",
            )  # fmt: skip
        else:
            replayed[name] = [e for e in wanted[name] if e.attribute("id") in set(batch)]
    if not replayed:
        return observed
    consumed_before = _consumed(consumer, consumed_metric)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "logger": _LOGGER})
    for _ in range(times):
        for event in (e for events in replayed.values() for e in events):
            headers: list[tuple[str, str | bytes | None]] = [(k, v.encode()) for k, v in event.headers]
            producer.produce(event.topic, key=event.key, value=event.value, headers=headers)
    producer.flush(10.0)
    total = sum(len(events) for events in replayed.values())
    _wait_consumed(consumer, consumed_metric, consumed_before, total * times, deadline_s)
    counts = store.counts([e for events in replayed.values() for e in events])
    for name, events in replayed.items():
        mine = {str(e.attribute("id")) for e in events}
        observed[name] = ReplayObservation(tuple(ids[name]), times, tuple(sorted(
            (i, n) for i, n in counts.items() if i in mine)))  # fmt: skip
    return observed


def observe_write_fault(
    bootstrap: str,
    events: Sequence[CapturedEvent],
    store: AuditStore,
    recorder: RecordStoreSpec,
    *,
    consumer_topics: str = "audit",
    count: int = 3,
    slack_s: float = _SLACK_S,
) -> WriteFaultObservation:
    """Publish fresh copies of up to ``count`` of ``events`` (new ids, one per topic where it can) while the
    recording consumer's first write of each fails, and count its records per event until each has one or the
    consumer's retry window (``recorder.retry_window_s``, with the settings' ``event_slack_s``) has passed."""
    window = recorder.retry_window_s(slack_s)

    def failed(why: str) -> WriteFaultObservation:
        return WriteFaultObservation(recorder.service, recorder.table, (), (), (), window, error=why)

    if not isinstance(store, PostgresAuditStore):
        return failed("the record store is not a database, so no write of the consumer can be made to fail")
    by_topic = {e.topic: e for e in events if not e.topic.startswith(consumer_topics + ".") and e.envelope()}
    fresh = [_with_new_id(e) for e in list(by_topic.values())[:count]]
    if not fresh:
        return failed("the scenario caused no event for the recording consumer to record")
    ids = [str(e.attribute("id")) for e in fresh]
    try:
        with store.failing_first_write(fresh) as attempts:
            producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "logger": _LOGGER})
            for event in fresh:
                headers: list[tuple[str, str | bytes | None]] = [(k, v.encode()) for k, v in event.headers]
                producer.produce(event.topic, key=event.key, value=event.value, headers=headers)
            producer.flush(10.0)
            records = _wait_audit(store, fresh, deadline_s=window, need=lambda c: all(c.get(i, 0) >= 1 for i in ids))
            seen = attempts()
    except WriteFaultNotPossible as exc:
        return failed(str(exc))
    return WriteFaultObservation(recorder.service, recorder.table, tuple(ids), tuple(sorted(seen.items())),
                                 tuple(sorted(records.items())), window)  # fmt: skip


def observe_bad_input(
    bootstrap: str,
    events: Sequence[CapturedEvent],
    store: AuditStore,
    recorder: RecordStoreSpec,
    *,
    consumer_topics: str = "audit",
    slack_s: float = _SLACK_S,
) -> BadInputObservation:
    """On one partition (the topic and key of one of ``events``): three records the recording consumer cannot decode,
    a fresh copy of the event, a poison copy whose every write fails, and one more fresh copy; the records per event
    once both good copies had one or the give-up window (``recorder.give_up_window_s``) passed."""
    window = recorder.give_up_window_s(slack_s) or recorder.retry_window_s(slack_s)
    source = next((e for e in events if not e.topic.startswith(consumer_topics + ".") and e.envelope()), None)

    def failed(why: str) -> BadInputObservation:
        return BadInputObservation(recorder.service, recorder.table, "", (), "", "", 0, "", (), window, error=why)

    if not isinstance(store, PostgresAuditStore):
        return failed("the record store is not a database, so no write of the consumer can be made to fail")
    if source is None:
        return failed("the scenario caused no event for the recording consumer to record")
    envelope = source.envelope() or {}
    malformed = {
        "a value that is not JSON": b"{not json",
        "an envelope without id": json.dumps({k: v for k, v in envelope.items() if k != "id"}).encode(),
        "an envelope without tenantid": json.dumps({k: v for k, v in envelope.items() if k != "tenantid"}).encode(),
    }
    after_malformed, poison, after_poison = (_with_new_id(source) for _ in range(3))
    ids = [str(e.attribute("id")) for e in (after_malformed, poison, after_poison)]
    good = [ids[0], ids[2]]
    headers: list[tuple[str, str | bytes | None]] = [(k, v.encode()) for k, v in source.headers]
    try:
        with store.failing_first_write([poison], always=True) as attempts:
            producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "logger": _LOGGER})
            values = [*malformed.values(), *(e.value for e in (after_malformed, poison, after_poison))]
            for value in values:  # one key: one partition, in this order
                producer.produce(source.topic, key=source.key, value=value, headers=headers)
            producer.flush(10.0)
            fresh = [after_malformed, poison, after_poison]
            records = _wait_audit(store, fresh, deadline_s=window, need=lambda c: all(c.get(i, 0) >= 1 for i in good))
            seen = attempts().get(ids[1], 0)
    except WriteFaultNotPossible as exc:
        return failed(str(exc))
    return BadInputObservation(recorder.service, recorder.table, source.topic, tuple(malformed), ids[0], ids[1], seen,
                               ids[2], tuple(sorted(records.items())), window)  # fmt: skip


def _with_new_id(event: CapturedEvent) -> CapturedEvent:
    """The same record (topic, key, headers, envelope) under a new CloudEvent id and time, as a new event of its
    source: a record store that tells events apart by subject and time (not by id) sees a new one too."""
    envelope = dict(event.envelope() or {})
    envelope["id"] = str(uuid.uuid4())
    if "time" in envelope:
        envelope["time"] = datetime.now(UTC).isoformat(timespec="milliseconds")
    headers = tuple((k, envelope["id"] if k.lower() == "ce_id" else v) for k, v in event.headers)
    return dataclasses.replace(event, value=json.dumps(envelope).encode(), headers=headers)


def _wait_consumed(
    consumer: Endpoint | None, metric: str | None, before: float | None, count: int, deadline_s: float
) -> None:
    """Until the consumer's consumed counter grew by ``count``; without one, a fixed settle of 3 s instead."""
    if before is None:
        time.sleep(3.0)
        return
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        now = _consumed(consumer, metric)
        if now is not None and now - before >= count:
            return
        time.sleep(0.2)


# ---- delivery: bursts and outages ------------------------------------------------------------------------------------


def outbox_pending(endpoint: Endpoint) -> float | None:
    """``outbox_pending_events`` from the service's ``/metrics``, or ``None`` when absent or unreadable."""
    with observe_client(5.0) as client:
        answer = exchange(client, "GET", endpoint.url(endpoint.metrics_path))
    found = _PENDING.search(answer.body.decode("utf-8", "replace")) if answer.status == 200 else None
    return float(found.group(1)) if found else None


def burst_writers(target: Target) -> list[str]:
    """The services of the target whose fleet-file declaration has a burst write."""
    return [s.name for s in target.fleet.services if s.burst is not None and s.name in target.endpoints]


def _burst_steps(target: Target, service: str) -> tuple[StepSpec, ...]:
    burst = target.fleet.service(service).burst
    if burst is None:
        return ()
    return (*burst.steps, *(burst.update.steps if burst.update is not None else ()))


def burst_updaters(target: Target, services: Iterable[str]) -> list[str]:
    """Those of ``services`` whose burst declares an update of the aggregate it creates (``burst.update``)."""
    return [s for s in services if (b := target.fleet.service(s).burst) is not None and b.update is not None]


@dataclass(slots=True)
class _Burst:
    target: Target
    writers: list[str]
    concurrency: int
    records: list[WriteRecord] = field(default_factory=list)
    counter: int = 0
    updates: list[WriteRecord] = field(default_factory=list)
    #: the least time between the starts of two rounds of :meth:`send_for` (0: back to back)
    pace_s: float = 0.0

    def send(self, count: int, *, during_outage: bool = False) -> None:
        def one(n: int) -> WriteRecord:
            service = self.target.fleet.service(self.writers[n % len(self.writers)])
            assert service.burst is not None
            with observe_client(15.0) as client:
                record = run_write(StepContext(client, self.target, service, {"n": n}), service.burst)
            return dataclasses.replace(record, during_outage=during_outage)

        numbers = range(self.counter, self.counter + count)
        self.counter += count
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="fleetcheck-burst") as pool:
            self.records.extend(pool.map(one, numbers))

    def send_for(self, seconds: float, *, during_outage: bool, until: Callable[[], bool] | None = None) -> None:
        """Send writes for ``seconds``, or until ``until()`` holds (asked after each round of writes), a round at
        most every ``pace_s``."""
        deadline = time.monotonic() + seconds
        while (started := time.monotonic()) < deadline:
            self.send(self.concurrency, during_outage=during_outage)
            if until is not None and until():
                return
            time.sleep(max(0.0, min(started + self.pace_s, deadline) - time.monotonic()))

    def seed(self, name: str) -> dict[str, Any] | None:
        """One burst write of ``name`` whose aggregate its updates will change: the bindings it saved (the
        aggregate's id), or ``None`` when the write was refused."""
        service = self.target.fleet.service(name)
        assert service.burst is not None
        self.counter += 1
        with observe_client(15.0) as client:
            ctx = StepContext(client, self.target, service, {"n": self.counter - 1})
            record = run_write(ctx, service.burst)
        self.records.append(record)
        return dict(ctx.bindings) if 200 <= record.status < 300 else None

    def update(self, name: str, bindings: Mapping[str, Any]) -> None:
        """The declared update of the seeded aggregate, ``times`` times one after the other (``{n}``: 1, 2, ...),
        each with its own correlation id, recorded in the order they were answered."""
        service = self.target.fleet.service(name)
        assert service.burst is not None
        assert service.burst.update is not None
        update = service.burst.update
        with observe_client(15.0) as client:
            for n in range(1, update.times + 1):
                record = run_write(StepContext(client, self.target, service, {**bindings, "n": n}), update.sequence)
                self.updates.append(dataclasses.replace(record, during_outage=True))


def observe_burst(
    target: Target,
    bootstrap: str,
    store: AuditStore | None,
    *,
    writes: int = 60,
    services: Sequence[str] | None = None,
    outage: FaultHook | None = None,
    outage_s: float | None = None,
    concurrency: int = 4,
    drain_s: float | None = None,
) -> DeliveryObservation:
    """Send ``writes`` declared burst writes spread over ``services`` (default: every service of the target with
    one).

    With ``outage`` (a Kafka fault hook), a third of the writes go before Kafka stops, writes keep going for
    ``outage_s`` while it is down (default: the fleet file's ``events.delivery``, which outlasts the relay's
    delivery attempts), and the rest after it is back. Then wait (up to ``drain_s``, default the target's settings'
    ``delivery_drain_s``, plus the outage) until every accepted write's event was seen once, audited once, and
    every outbox is empty.

    A service whose burst declares an ``update`` also gets, with the outage, one aggregate created before Kafka stops
    and updated ``times`` times in a row while it is down (EVENTS-OUTAGE-ORDER): once one delivery attempt's time
    (``events.delivery``: delivery time-out + poll) has passed and the service reports rows pending, so that the
    updates are staged after a failed relay pass and must be delivered by the passes that retry.
    """
    writers = burst_writers(target)
    drain_s = target.settings.delivery_drain_s if drain_s is None else drain_s
    chosen = [s for s in (services or writers) if s in writers]
    if not chosen:
        raise ValueError(f"no burst write is declared for any of {', '.join(services or ['the target services'])}")
    topics = sorted({e.topic for s in chosen for step in _burst_steps(target, s) for e in step.events or ()})
    burst = _Burst(target, chosen, concurrency)
    conventions = target.fleet.events
    endpoints = target.endpoints
    notes: list[str] = []
    capture = EventCapture(bootstrap, topics)
    captures = [capture]
    started = time.monotonic()
    outage_took = 0.0
    delivery = conventions.delivery
    if outage_s is None:
        outage_s = delivery.outage_s
        notes.append(f"the outage lasts {outage_s:g} s: {delivery.describe_outage()}")
    try:
        if outage is None:
            burst.send(writes)
        else:
            seeds = {s: bound for s in burst_updaters(target, chosen) if (bound := burst.seed(s)) is not None}
            notes += [f"the create of {s}'s aggregate to update was refused, so no update was sent"
                      for s in burst_updaters(target, chosen) if s not in seeds]  # fmt: skip
            burst.send(writes // 3)
            # Read what reached Kafka before stopping it: an in-memory broker (embedded Tansu) loses it on stop.
            before = {write_identity(conventions, r) for r in burst.records if 200 <= r.status < 300}
            capture.read(until=lambda seen: before <= _correlations(conventions, seen), deadline_s=15.0, settle_s=0.2)
            stopped, mode = time.monotonic(), outage_mode(outage)
            # Rounds of writes twice per relay poll while Kafka is down: every relay pass meets rows staged since the
            # last one, and the backlog stays what the drain can judge in seconds (back to back, 576 writes piled
            # up in 12 s and the recording consumer took 16 s to catch up; measured).
            burst.pace_s = delivery.poll_s / 2
            outage.inject(mode)
            try:
                if seeds:
                    _queue_updates(burst, seeds, endpoints, delivery, until=stopped + outage_s)
                burst.send_for(max(0.0, stopped + outage_s - time.monotonic()), during_outage=True)
            finally:
                outage.restore(mode)
                outage_took = time.monotonic() - stopped
                burst.pace_s = 0.0
            during = sum(r.during_outage for r in burst.records)
            notes.append(f"Kafka was down ({mode}) for {outage_took:.1f} s; {during} writes were sent meanwhile")
            if mode == "stop":  # a stopped in-memory broker comes back empty: read the re-created topics from 0
                capture = EventCapture(bootstrap, topics, from_beginning=True)
                captures.append(capture)
            burst.send(max(0, writes - len(burst.records)))
        drained = _drain(burst, captures, store, endpoints, conventions, deadline=started + drain_s + outage_s)
    finally:
        for each in captures:
            each.close()
    events = _unique(e for each in captures for e in each.events)
    duplicates = len([e for each in captures for e in each.events]) - len(events)
    if duplicates:
        notes.append(f"{duplicates} record(s) were delivered to Kafka more than once (same event id; consumers dedupe)")
    return DeliveryObservation(
        updates=tuple(burst.updates),
        writes=tuple(burst.records),
        events=tuple(events),
        audit_counts=tuple(sorted(drained.audit.items())),
        pending_after=tuple(drained.pending.items()),
        outage_s=outage_took,
        drained_s=drained.seconds,
        audit_checked=store is not None,
        notes=tuple(notes),
    )


def _queue_updates(
    burst: _Burst,
    seeds: Mapping[str, dict[str, Any]],
    endpoints: Mapping[str, Endpoint],
    delivery: DeliverySpec,
    *,
    until: float,
) -> None:
    """While Kafka is down: writes until one delivery attempt's time passed and every seeded service reports rows
    pending (a relay pass failed), then each service's updates; at least one more attempt's time is left after them
    (the outage is prolonged if needed), so the updates are retried by passes after a broker error."""
    attempt_s = delivery.delivery_timeout_s + delivery.poll_s
    burst.send_for(attempt_s, during_outage=True)
    burst.send_for(max(0.0, until - time.monotonic() - attempt_s), during_outage=True,
                   until=lambda: all(outbox_pending(endpoints[s]) for s in seeds))  # fmt: skip
    for service, bindings in seeds.items():
        burst.update(service, bindings)
    burst.send_for(attempt_s, during_outage=True)


@dataclass(slots=True)
class _Drained:
    audit: dict[str, int]
    pending: dict[str, float | None]
    seconds: float


def _unique(events: Iterable[CapturedEvent]) -> list[CapturedEvent]:
    """One record per (event id, topic): the same event read by two captures, or redelivered, counts once."""
    seen: dict[tuple[str | None, str], CapturedEvent] = {}
    for event in events:
        seen.setdefault((event.attribute("id"), event.topic), event)
    return list(seen.values())


def _drain(
    burst: _Burst,
    captures: list[EventCapture],
    store: AuditStore | None,
    endpoints: Mapping[str, Endpoint],
    conventions: EventConventions,
    *,
    deadline: float,
) -> _Drained:
    started = time.monotonic()
    wanted = {write_identity(conventions, r) for r in (*burst.records, *burst.updates) if 200 <= r.status < 300}
    services = sorted(set(burst.writers))
    audit: dict[str, int] = {}
    pending: dict[str, float | None] = {}
    while True:
        remaining = max(0.5, deadline - time.monotonic())
        captures[-1].read(until=lambda _seen: wanted <= _correlations(conventions, _all(captures)),
                          deadline_s=min(remaining, 2.0), settle_s=0.3)  # fmt: skip
        answered = _unique(e for e in _all(captures) if event_identity(conventions, e) in wanted)
        ids = sorted({i for e in answered if (i := e.attribute("id"))})
        audit = store.counts(answered) if store is not None and ids else {}
        pending = {s: outbox_pending(endpoints[s]) for s in services}
        complete = wanted <= _correlations(conventions, _all(captures)) and not any(pending.values())
        if store is not None:
            complete = complete and all(audit.get(i, 0) >= 1 for i in ids)
        if complete or time.monotonic() >= deadline:
            return _Drained(audit, pending, time.monotonic() - started)


def _all(captures: list[EventCapture]) -> list[CapturedEvent]:
    return [e for each in captures for e in each.events]


# ---- where a target keeps Kafka and the audit records ---------------------------------------------------------------


def kafka_bootstrap_of(target: object) -> str | None:
    """The target's Kafka bootstrap servers: a target file's ``kafka.bootstrap``, the reference fleet's broker."""
    given = getattr(target, "kafka_bootstrap", None)
    if isinstance(given, str):
        return given
    infra = getattr(target, "_infra", None)  # ReferenceFleet keeps its infrastructure private; read, never changed
    return str(infra.kafka.bootstrap) if infra is not None else None


def audit_store_of(target: object) -> AuditStore | None:
    """Where the recording consumer's records are counted (the fleet file's ``events.records``): a target file's
    ``databases.<service>`` DSN, or, on the reference fleet, that service's database as the PostgreSQL superuser
    (which RLS does not filter)."""
    fleet = getattr(target, "fleet", None)
    recorder = fleet.events.records if fleet is not None else None
    if recorder is None:
        return None
    databases = getattr(target, "record_databases", None)
    if isinstance(databases, dict) and databases.get(recorder.service):
        return PostgresAuditStore(str(databases[recorder.service]), recorder.table, _matching(recorder))
    infra = getattr(target, "_infra", None)
    if infra is None or recorder.service not in getattr(target, "endpoints", {}):
        return None
    from fleetcheck.fixtures.launcher import _with_database

    name = _service_database(infra.postgres.admin_dsn, recorder.service)
    if not name:
        return None
    return PostgresAuditStore(_with_database(infra.postgres.admin_dsn, name), recorder.table, _matching(recorder))


def _matching(recorder: RecordStoreSpec) -> tuple[tuple[str, str], ...]:
    return tuple(recorder.match.items()) or ((recorder.event_id_column, "id"),)


def _service_database(admin_dsn: str, service: str) -> str | None:
    """A reference service's database on the reference fleet's server: ``fleet_<pkg>``, or ``fleet_<pkg>_<hex>`` when
    the launcher gave this run unique names (a shared server). The launcher does not publish the name, so it is
    looked up; more than one candidate is ambiguous and gives ``None``."""
    import psycopg

    pattern = rf"^fleet_{service.replace('-', '_')}(_[0-9a-f]{{6}})?$"
    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname ~ %s", [pattern]).fetchall()
    names = [str(row[0]) for row in rows]
    return names[0] if len(names) == 1 else None


# ---- the runner's hook for area "events" ----------------------------------------------------------------------------

#: Kinds the runner gathers for EVENTS-* checks from a running fleet (``schema-change`` compares schema files).
EVENT_KINDS = frozenset(
    {"topics", "event-scenario", "event-replay", "event-write-fault", "event-bad-input", "event-burst", "event-outage"}
)
_SCENARIO_KINDS = frozenset({"event-scenario", "event-replay", "event-write-fault", "event-bad-input"})
Observed = dict[tuple[str, str], tuple[list[Any], list[str]]]


class SchemaBaselineError(ValueError):
    """A schema baseline directory that cannot be read; the message names the path and what was expected."""


def load_schema_baseline(directory: Path) -> dict[str, dict[str, Any]]:
    """The payload schemas of an earlier release: ``<topic>.json`` files in ``directory`` (a copy of
    ``contracts/schemas/events`` as it was), by topic. ``cloudevent.json`` (the envelope) is not a topic's payload.

    Raises:
        SchemaBaselineError: no such directory, no schema in it, or a file that is not a JSON object.
    """
    if not directory.is_dir():
        raise SchemaBaselineError(
            f"schema baseline {directory}: expected a directory of <topic>.json payload schemas (a copy of "
            "contracts/schemas/events from the release to compare with); it does not exist or is not a directory"
        )
    schemas: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        if path.name == ENVELOPE_FILE.name:
            continue
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise SchemaBaselineError(f"schema baseline {path}: expected a JSON Schema document; {exc}") from exc
        if not isinstance(schema, dict):
            raise SchemaBaselineError(f"schema baseline {path}: expected a JSON object, saw {type(schema).__name__}")
        schemas[path.stem] = schema
    if not schemas:
        raise SchemaBaselineError(f"schema baseline {directory}: expected <topic>.json files, found none")
    return schemas


def observe_schema_changes(
    fleet: Fleet, services: Iterable[str], baseline: Mapping[str, dict[str, Any]] | None
) -> Observed:
    """One :class:`SchemaChange` per topic a service produces that the baseline also has (a topic new since the
    baseline has nothing to stay compatible with); the new side is the fleet's current payload schema."""
    observed: Observed = {}
    for service in services:
        if baseline is None:
            reason = ("no schema baseline to compare with (fleetcheck verify --schema-baseline DIR: the earlier "
                      "release's contracts/schemas/events)")  # fmt: skip
            observed[(service, "schema-change")] = ([], [reason])
            continue
        topics = [t.name for t in fleet.topics if t.producer == service]
        changes: list[Any] = [
            SchemaChange(t, baseline[t], schema)
            for t in topics
            if t in baseline and (schema := payload_schema_of(fleet, t)) is not None
        ]
        why = [] if changes else [f"the baseline has none of its topics ({', '.join(topics)}): nothing to compare"]
        observed[(service, "schema-change")] = (changes, why)
    return observed


def observe_target(target: Any, wanting: Mapping[str, set[str]], say: Callable[[str], None]) -> Observed:
    """Every events observation the services in ``wanting`` need (service -> kinds), as the runner's slots."""
    observed: Observed = {}
    bootstrap = kafka_bootstrap_of(target)
    if bootstrap is None:
        why = "the target gives no Kafka bootstrap servers (target file: kafka.bootstrap)"
        return {(s, kind): ([], [why]) for s, kinds in wanting.items() for kind in kinds}
    say("reading the broker's topics")
    topics = observe_topics(bootstrap)
    store = audit_store_of(target)
    replays: dict[str, list[CapturedEvent]] = {}
    with _Captures(bootstrap, [t.name for t in target.fleet.topics]) as captures:
        for service, kinds in wanting.items():
            if "topics" in kinds:
                observed[(service, "topics")] = ([topics], [])
            if kinds & _SCENARIO_KINDS:
                say(f"running the event scenario of {service}")
                observed.update(_scenario_slots(target, service, kinds, bootstrap, store, replays, captures))
    recorder = target.fleet.events.records
    if replays and store is not None and recorder is not None:  # _scenario_slots queues replays only then
        say(f"replaying the events of {len(replays)} service(s) into {recorder.service}")
        observed.update(_replay_slots(target, recorder, bootstrap, store, replays))
    for kind, outage in (("event-burst", None), ("event-outage", target.fault_hooks.get(kafka_hook(target.fleet)))):
        services = [s for s, kinds in wanting.items() if kind in kinds]
        if services:
            say(f"{'breaking Kafka during' if outage else 'sending'} a burst of writes ({kind})")
            observed.update(_delivery_slots(target, services, kind, outage, bootstrap, store))
    return observed


def _scenario_slots(
    target: Any,
    service: str,
    kinds: set[str],
    bootstrap: str,
    store: AuditStore | None,
    replays: dict[str, list[CapturedEvent]],
    captures: _Captures,
) -> Observed:
    """The service's scenario and the recording consumer's observations on its events; the events to replay go
    to ``replays`` (one replay for every service, after the scenarios: :func:`_replay_slots`)."""
    wanted = kinds & _SCENARIO_KINDS
    try:
        scenario = observe_scenario(target, service, bootstrap, captures.topics, capture=captures.current())
    except ScenarioNotPossible as exc:
        return {(service, k): ([], [str(exc)]) for k in wanted}
    slots: Observed = {(service, "event-scenario"): ([scenario], [])}
    recorder = target.fleet.events.records
    consumer = target.endpoints.get(recorder.service) if recorder is not None else None
    for kind in sorted(wanted - {"event-scenario"}):
        if store is None or consumer is None or recorder is None:
            slots[(service, kind)] = ([], [_no_record_store(target)])
            continue
        events = caused_events(target.fleet.events, scenario)
        prefix = target.fleet.service(recorder.service).topic_prefix
        if kind == "event-replay":
            replays[service] = events
            continue
        captures.renew()  # the records published next are no scenario's events
        if kind == "event-bad-input":
            observation: Any = observe_bad_input(bootstrap, events, store, recorder, consumer_topics=prefix,
                                                 slack_s=target.settings.event_slack_s)  # fmt: skip
        else:
            observation = observe_write_fault(bootstrap, events, store, recorder, consumer_topics=prefix,
                                              slack_s=target.settings.event_slack_s)  # fmt: skip
        slots[(service, kind)] = ([observation], [])
    return slots


class _Captures:
    """One capture that the scenarios read on from, one after the other: opening a capture costs a metadata
    request, a watermark request per partition and a quiet wait (:meth:`EventCapture._skip_to_end`), about half a
    second each time. A new one is opened after records that belong to no scenario were published (:meth:`renew`),
    and for every scenario while a fleet topic is missing on the broker (a service may create it)."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self.bootstrap, self.topics = bootstrap, topics
        self._capture: EventCapture | None = None

    def current(self) -> EventCapture:
        if self._capture is not None and self._capture.missing:
            self.renew()
        if self._capture is None:
            self._capture = EventCapture(self.bootstrap, self.topics)
        return self._capture

    def renew(self) -> None:
        if self._capture is not None:
            self._capture.close()
            self._capture = None

    def __enter__(self) -> _Captures:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.renew()


def _replay_slots(
    target: Any,
    recorder: RecordStoreSpec,
    bootstrap: str,
    store: AuditStore,
    replays: Mapping[str, list[CapturedEvent]],
) -> Observed:
    replayed = observe_replays(bootstrap, replays, store, consumer=target.endpoints.get(recorder.service),
                               consumer_topics=target.fleet.service(recorder.service).topic_prefix,
                               consumed_metric=recorder.consumed_metric)  # fmt: skip
    return {(service, "event-replay"): ([observation], []) for service, observation in replayed.items()}


def _no_record_store(target: Any) -> str:
    recorder = target.fleet.events.records
    if recorder is None:
        return (
            "the fleet file names no consumer that records every event (events.records), so replays cannot be counted"
        )
    return (f"needs {recorder.service} running and its database to count its records (target file: "
            f"databases.{recorder.service})")  # fmt: skip


def caused_events(conventions: EventConventions, scenario: EventScenario) -> list[CapturedEvent]:
    """The events the scenario's requests caused (by correlation id, or by key on an action's topic for a service
    that keys by its own request id), including other services' (audit's scenario causes master-data's events), but
    not whatever else the fleet published meanwhile."""
    sent = {a.correlation_id for a in scenario.actions}
    keyed = {(a.topic, a.aggregate_id) for a in scenario.actions if a.topic}
    return [e for e in scenario.events if correlation_of(conventions, e) in sent or (e.topic, e.key) in keyed]


def _delivery_slots(
    target: Any, services: list[str], kind: str, outage: FaultHook | None, bootstrap: str, store: AuditStore | None
) -> Observed:
    writers = [s for s in services if s in burst_writers(target)]
    no_writer: Observed = {(s, kind): ([], [_no_burst(target, s)]) for s in services if s not in writers}
    if kind == "event-outage" and outage is None:
        why = target.missing_fault_reason(kafka_dependency(target.fleet), "stop")
        return {(s, kind): ([], [why]) for s in services}
    if not writers:
        return no_writer
    if credentials_missing(target):
        why = target.credentials.missing_reason or "the target gives no tenant credentials"
        return no_writer | {(s, kind): ([], [why]) for s in writers}
    delivery = observe_burst(target, bootstrap, store, services=writers, outage=outage)
    return no_writer | {(s, kind): ([delivery], []) for s in writers}


def _no_burst(target: Any, service: str) -> str:
    why = target.fleet.service(service).no_burst_reason
    return f"the fleet file declares no burst write for {service}" + (f": {why}" if why else " (services[].burst)")


def kafka_dependency(fleet: Fleet) -> str:
    """The name the fleet's services give their Kafka dependency (``kafka`` where none is declared)."""
    return next((d.name for s in fleet.services for d in s.depends_on if d.type == "kafka"), "kafka")


def kafka_hook(fleet: Fleet) -> str:
    """The fault hook that breaks the fleet's Kafka (the events area's outage)."""
    return next((d.hook for s in fleet.services for d in s.depends_on if d.type == "kafka"), "kafka")


def outage_mode(hook: FaultHook) -> str:
    """How to take Kafka away: freeze it (SIGSTOP) where the hook can, else stop it.

    A frozen broker accepts no request and answers none, which is what clients see of a broker that is down, and
    it keeps its data: the embedded Tansu stores everything in memory, so stopping it would also erase the topics,
    the consumer groups' offsets and every message, which no real Kafka does, and audit's consumer would then skip
    records for reasons that say nothing about the fleet. A command hook of a deployed fleet usually only stops.
    """
    return "freeze" if "freeze" in hook.modes else "stop"


def credentials_missing(target: Any) -> bool:
    return not (target.credentials.tenant_token and target.credentials.tenant_id)

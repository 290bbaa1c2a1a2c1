"""EVENTS-* checks: topics are named and owned, exist with their partitions, and every API action yields exactly one
well-formed event (CloudEvents 1.0 envelope, payload schema, key = aggregate id, the caller's tenant), in order per key,
consumed idempotently and never lost, not even across a Kafka outage.

Observers (``fleetcheck.events``) read Kafka and the audit store; the observations below are what they hand over.
Every check is pure.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from fleetcheck.contracts.findings import Finding, Judged
from fleetcheck.contracts.registry import CHECKS, CheckContext, NotApplicable
from fleetcheck.contracts.schemas.events import envelope_schema

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from fleetcheck.contracts.fleet import EventConventions, Fleet, ServiceSpec
    from fleetcheck.contracts.observations import HttpExchange

__all__ = [
    "TOPIC_NAME",
    "BadInputObservation",
    "CapturedEvent",
    "DeliveryObservation",
    "EventAction",
    "EventScenario",
    "ReplayObservation",
    "SchemaChange",
    "TopicDiff",
    "TopicsObservation",
    "WriteFaultObservation",
    "WriteRecord",
    "compare_topics",
    "events_of_action",
    "expects_event",
    "produces_events",
]

AREA = "events"
#: ``<prefix>.<entity>.<action>``: lower-case parts, ``-`` allowed inside a part.
_PART = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
TOPIC_NAME = re.compile(rf"^{_PART}\.{_PART}\.{_PART}$")
TENANT_HEADER = "x-tenant-id"
_SHOWN = 5  # findings list at most this many examples; the evidence says how many there were


# ---- observations ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapturedEvent:
    """One Kafka record as the capture observer read it (value undecoded, so a non-JSON value is a finding)."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: tuple[tuple[str, str], ...] = ()
    timestamp_ms: int = 0

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def envelope(self) -> dict[str, Any] | None:
        """The decoded CloudEvent, or ``None`` when the value is not a JSON object."""
        try:
            decoded = json.loads(self.value)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None

    def attribute(self, name: str) -> str | None:
        value = (self.envelope() or {}).get(name)
        return None if value is None else str(value)

    def where(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


@dataclass(frozen=True, slots=True)
class EventAction:
    """One API action and the event it must cause: ``topic`` ``None`` means a rejected write that must cause none.

    ``correlation_id`` is the ``X-Correlation-ID`` the observer sent; ``tenant_id`` is the caller's tenant. A request
    that does several things by design (a process start also creates its approval task) is recorded as one action per
    event it must cause, all with the request's correlation id; the checks judge them together.

    ``refusal`` marks an action the service refuses by design (a 4xx answer) whose refusal is itself an event, such
    as a forged token's ``gateway.auth.failed`` or a document that failed to render: it is judged like an accepted
    action, not as a rolled-back write.
    """

    label: str
    exchange: HttpExchange
    topic: str | None
    aggregate_id: str
    tenant_id: str
    correlation_id: str
    refusal: bool = False


@dataclass(frozen=True, slots=True)
class EventScenario:
    """Actions on one service, in order, and every event seen on the fleet's topics while they ran.

    ``notes`` says which declared steps did not happen as declared (a refused write, a wait that timed out): their
    events are not judged, and a check left with nothing to judge says why with them.
    """

    actions: tuple[EventAction, ...]
    events: tuple[CapturedEvent, ...]
    waited_s: float = 0.0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicsObservation:
    """The broker's topics (name -> partitions); ``error`` set when the broker could not be read."""

    bootstrap: str
    topics: tuple[tuple[str, int], ...]
    error: str = ""


@dataclass(frozen=True, slots=True)
class ReplayObservation:
    """Events of a service re-published ``times`` times each; audit records per event id afterwards."""

    replayed: tuple[str, ...]
    times: int
    audit_counts: tuple[tuple[str, int], ...]
    error: str = ""


@dataclass(frozen=True, slots=True)
class WriteFaultObservation:
    """Fresh copies of a scenario's events (new ids) published while the recording consumer's first write of each
    failed (a database fault armed on its record table): the writes the fault saw per event (the first one failed)
    and the records per event once each had one or the consumer's retry window ``window_s`` had passed."""

    consumer: str
    table: str
    events: tuple[str, ...]
    attempts: tuple[tuple[str, int], ...]
    records: tuple[tuple[str, int], ...]
    window_s: float
    error: str = ""


@dataclass(frozen=True, slots=True)
class BadInputObservation:
    """Records the recording consumer cannot take, published on one partition (one topic and key), each followed by
    a fresh copy of a good event: ``malformed`` records (described: not JSON, an envelope without id, ...) then the
    good event ``after_malformed``; a ``poison`` event whose every write fails (a database fault, its writes counted
    in ``poison_attempts``) then the good event ``after_poison``. ``records`` per event id, once both good events had
    one or ``window_s`` had passed."""

    consumer: str
    table: str
    topic: str
    malformed: tuple[str, ...]
    after_malformed: str
    poison: str
    poison_attempts: int
    after_poison: str
    records: tuple[tuple[str, int], ...]
    window_s: float
    error: str = ""


@dataclass(frozen=True, slots=True)
class WriteRecord:
    """One write the observer sent during a burst: which service, which topic it must reach, what came back."""

    service: str
    topic: str
    correlation_id: str
    aggregate_id: str
    status: int
    during_outage: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryObservation:
    """A burst of writes (optionally with Kafka stopped for ``outage_s`` in the middle), and what arrived.

    ``events`` is every event seen from before the burst until the drain deadline; ``audit_counts`` holds audit
    records per event id; ``pending_after`` each producing service's ``outbox_pending_events`` after the drain
    (``None``: not exposed). ``updates`` are the updates of one aggregate per service (the fleet file's
    ``burst.update``) sent one after the other while Kafka was down, in the order they were accepted; they are not
    among ``writes``.
    """

    writes: tuple[WriteRecord, ...]
    events: tuple[CapturedEvent, ...]
    audit_counts: tuple[tuple[str, int], ...]
    pending_after: tuple[tuple[str, float | None], ...]
    outage_s: float = 0.0
    drained_s: float = 0.0
    audit_checked: bool = True
    notes: tuple[str, ...] = field(default=())
    updates: tuple[WriteRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """Two versions of one topic's payload schema and the compatibility mode they must keep."""

    topic: str
    old: dict[str, Any]
    new: dict[str, Any]
    mode: str = "BACKWARD"


# ---- helpers --------------------------------------------------------------------------------------------------------


def produces_events(service: ServiceSpec, fleet: Fleet) -> bool:
    return bool(service.produces)


def _source(ctx: CheckContext) -> str:
    return ctx.fleet.event_source(ctx.service.name)


def correlation_of(conventions: EventConventions, event: CapturedEvent) -> str | None:
    """The event's correlation id (the attribute the fleet file names), or ``None``."""
    name = conventions.correlation_attribute
    return event.attribute(name) if name else None


def _correlation(ctx: CheckContext, event: CapturedEvent) -> str | None:
    return correlation_of(ctx.fleet.events, event)


def write_identity(conventions: EventConventions, write: WriteRecord) -> str:
    """What ties a burst write to its event: the correlation id it sent, or, in a fleet whose events carry none
    (``events.correlation_attribute: null``), its topic and aggregate id (the event's key)."""
    return write.correlation_id if conventions.correlation_attribute else f"{write.topic}|{write.aggregate_id}"


def event_identity(conventions: EventConventions, event: CapturedEvent) -> str | None:
    """The identity :func:`write_identity` gives the write that caused ``event``."""
    if conventions.correlation_attribute:
        return correlation_of(conventions, event)
    return f"{event.topic}|{event.key}" if event.key else None


def _own(ctx: CheckContext, event: CapturedEvent) -> bool:
    """An event of the service under test: on one of its topics, or claiming it as source."""
    return event.topic in ctx.service.produces or event.attribute("source") == _source(ctx)


def _own_events(ctx: CheckContext, scenario: EventScenario) -> list[CapturedEvent]:
    """The service's events the scenario saw; not run, naming the service, when there is none."""
    own = [e for e in scenario.events if _own(ctx, e)]
    if not own:
        raise NotApplicable(_nothing_seen(ctx, scenario))
    return own


def _nothing_seen(ctx: CheckContext, scenario: EventScenario) -> str:
    why = f"no event of {ctx.service.name} was observed for any action of its scenario"
    if not scenario.actions:
        why = f"{ctx.service.name}'s scenario ran no action that must cause an event"
    return "; ".join([why, *scenario.notes])


def events_of_action(ctx: CheckContext, scenario: EventScenario, action: EventAction) -> list[CapturedEvent]:
    """The service's events caused by ``action``: same correlation id, else (a service that drops the correlation id)
    same subject or key on the action's topic."""
    own = [e for e in scenario.events if _own(ctx, e)]
    by_correlation = [e for e in own if _correlation(ctx, e) == action.correlation_id]
    if by_correlation or _honours_correlation(ctx, own, scenario):
        return by_correlation
    return [e for e in own if action.aggregate_id in {e.attribute("subject"), e.key} and e.topic == action.topic]


def _honours_correlation(ctx: CheckContext, own: list[CapturedEvent], scenario: EventScenario) -> bool:
    sent = {a.correlation_id for a in scenario.actions}
    return any(_correlation(ctx, e) in sent for e in own)


def _accepted(action: EventAction) -> bool:
    return 200 <= action.exchange.status < 300


def expects_event(action: EventAction) -> bool:
    """Whether the action must cause its event: accepted, or refused by design with the refusal as the event."""
    return action.topic is not None and (_accepted(action) or (action.refusal and 400 <= action.exchange.status < 500))


def _judged_actions(scenario: EventScenario) -> list[EventAction]:
    actions = [a for a in scenario.actions if expects_event(a)]
    if not actions:
        refused = "; ".join(f"{a.label} -> {a.exchange.status or a.exchange.error}" for a in scenario.actions)
        why = f"no action of the scenario was accepted, so no event can be judged ({refused or 'no action ran'})"
        raise NotApplicable("; ".join([why, *scenario.notes]))
    return actions


def _requests(scenario: EventScenario) -> list[list[EventAction]]:
    """The judged actions grouped by request (correlation id), in order."""
    requests: dict[str, list[EventAction]] = {}
    for action in _judged_actions(scenario):
        requests.setdefault(action.correlation_id, []).append(action)
    return list(requests.values())


def _events_of_request(ctx: CheckContext, scenario: EventScenario, request: list[EventAction]) -> list[CapturedEvent]:
    caused = (e for action in request for e in events_of_action(ctx, scenario, action))
    return list({(e.topic, e.partition, e.offset): e for e in caused}.values())


def _evidence(events: Iterable[CapturedEvent]) -> tuple[tuple[str, str], ...]:
    shown = list(events)[:_SHOWN]
    return tuple((e.where(), e.value[:400].decode("utf-8", "replace")) for e in shown)


def _fmt_errors(errors: list[str]) -> str:
    more = f" (and {len(errors) - _SHOWN} more)" if len(errors) > _SHOWN else ""
    return "; ".join(errors[:_SHOWN]) + more


def envelope_for(conventions: EventConventions) -> dict[str, Any]:
    """The CloudEvents envelope schema with the fleet's own extension attributes required (tenant, correlation)."""
    schema: dict[str, Any] = json.loads(json.dumps(envelope_schema()))
    properties: dict[str, Any] = schema["properties"]
    extensions = {"tenantid": conventions.tenant_attribute, "correlationid": conventions.correlation_attribute}
    required = [r for r in schema["required"] if r not in extensions]
    for ours, theirs in extensions.items():
        definition = properties.pop(ours)
        if theirs:
            properties[theirs] = definition
            required.append(theirs)
    properties["source"] = {"type": "string", "minLength": 1, "description": "the producer, as the fleet names it"}
    schema["required"] = required
    return schema


@cache
def _validator_of(schema_text: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text), format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(schema: dict[str, Any], instance: object) -> list[str]:
    validator = _validator_of(json.dumps(schema, sort_keys=True))
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message[:160]}" for e in errors]


def payload_schema_of(fleet: Fleet, topic: str) -> dict[str, Any] | None:
    """The payload schema the fleet file gives ``topic`` (a file or inline), or ``None``."""
    spec = fleet.topic(topic)
    return spec.payload_schema if spec is not None else None


# ---- topics: naming, ownership, existence ---------------------------------------------------------------------------


@CHECKS.register(
    "EVENTS-TOPIC-NAMING",
    area=AREA,
    needs="topics",
    claim="every topic a service produces is named <prefix>.<entity>.<action> (lower-case, '-' inside a part) "
    "under the service's own prefix",
    applies=produces_events,
)
def check_topic_naming(ctx: CheckContext, observation: TopicsObservation) -> Iterator[Finding | Judged]:
    if observation.error:
        raise NotApplicable(f"the broker at {observation.bootstrap} could not be read: {observation.error}")
    prefix = ctx.service.topic_prefix
    on_broker = {name for name, _ in observation.topics if name.startswith(prefix + ".")}
    topics = sorted(set(ctx.service.produces) | on_broker)
    yield Judged(len(topics), "topic names")
    for topic in topics:
        problems = []
        if not TOPIC_NAME.fullmatch(topic):
            problems.append("is not <prefix>.<entity>.<action> in lower case")
        if not topic.startswith(prefix + "."):
            problems.append(f"is not under the service's prefix {prefix!r}")
        if problems:
            yield Finding(
                check_id="EVENTS-TOPIC-NAMING",
                service=ctx.service.name,
                expected=f"topic names {prefix}.<entity>.<action>, lower-case, '-' allowed inside a part",
                observed=f"topic {topic!r} " + " and ".join(problems),
                hint="rename the topic in the fleet file and the producer (e.g. master-data.customer.created)",
            )


@CHECKS.register(
    "EVENTS-TOPICS-EXIST",
    area=AREA,
    needs="topics",
    claim="every topic the service produces exists on the broker with the declared number of partitions",
    applies=produces_events,
)
def check_topics_exist(ctx: CheckContext, observation: TopicsObservation) -> Iterator[Finding | Judged]:
    if observation.error:
        raise NotApplicable(f"the broker at {observation.bootstrap} could not be read: {observation.error}")
    present = dict(observation.topics)
    declared = {t.name: t.partitions for t in ctx.fleet.topics if t.producer == ctx.service.name}
    yield Judged(len(ctx.service.produces), "declared topics")
    for topic in ctx.service.produces:
        want = declared.get(topic, 3)
        have = present.get(topic)
        if have == want:
            continue
        observed = f"topic {topic} does not exist" if have is None else f"topic {topic} has {have} partition(s)"
        yield Finding(
            check_id="EVENTS-TOPICS-EXIST",
            service=ctx.service.name,
            expected=f"topic {topic} with {want} partition(s) on {observation.bootstrap}",
            observed=observed,
            hint="run `fleetcheck topics create` (idempotent); a topic with the wrong partition count must be "
            "re-created, since Kafka cannot shrink partitions and growing them breaks per-key ordering",
        )


@CHECKS.register(
    "EVENTS-TOPIC-OWNERSHIP",
    area=AREA,
    needs="event-scenario",
    claim="a service publishes only on the topics it declares (under its own prefix) and nobody else publishes there",
    applies=produces_events,
)
def check_topic_ownership(ctx: CheckContext, scenario: EventScenario) -> Iterator[Finding | Judged]:
    mine = _source(ctx)
    relevant = [e for e in scenario.events if e.attribute("source") == mine or e.topic in ctx.service.produces]
    if not relevant:
        raise NotApplicable(_nothing_seen(ctx, scenario))
    yield Judged(len(relevant), "events")
    for event in relevant:
        source = event.attribute("source")
        if source == mine and event.topic not in ctx.service.produces:
            observed = f"an event with source {mine} on {event.topic}, a topic {ctx.service.name} does not declare"
        elif event.topic in ctx.service.produces and source not in (mine, None):
            observed = f"an event with source {source} on {event.topic}, which belongs to {ctx.service.name}"
        else:
            continue
        yield Finding(
            check_id="EVENTS-TOPIC-OWNERSHIP",
            service=ctx.service.name,
            expected=f"{ctx.service.name} publishes only on {ctx.service.topic_prefix}.* topics it declares",
            observed=observed,
            hint="publish only on your own declared topics; declare a new topic in the fleet file under your prefix",
            evidence=_evidence([event]),
        )
        return


# ---- per event: envelope and payload --------------------------------------------------------------------------------


@CHECKS.register(
    "EVENTS-ENVELOPE",
    area=AREA,
    needs="event-scenario",
    claim="every event is a CloudEvents 1.0 structured JSON event: specversion, uuid id, the declared source, type = "
    "topic, time with offset, subject, datacontenttype, and the fleet's tenant and correlation attributes",
    applies=produces_events,
)
def check_envelope(ctx: CheckContext, scenario: EventScenario) -> Iterator[Finding | Judged]:
    own = _own_events(ctx, scenario)
    yield Judged(len(own), "events")
    schema = envelope_for(ctx.fleet.events)
    for event in own:
        envelope = event.envelope()
        errors = ["the value is not a JSON object"] if envelope is None else schema_errors(schema, envelope)
        if envelope is not None:
            if envelope.get("source") != _source(ctx):
                errors.append(f"source is {envelope.get('source')!r}, not {_source(ctx)!r}")
            if envelope.get("type") != event.topic:
                errors.append(f"type is {envelope.get('type')!r}, not the topic {event.topic!r}")
        if errors:
            yield Finding(
                check_id="EVENTS-ENVELOPE",
                service=ctx.service.name,
                expected="a CloudEvents 1.0 structured event with the fleet file's conventions (events: source, "
                "tenant_attribute, correlation_attribute)",
                observed=f"the event at {event.where()}: {_fmt_errors(errors)}",
                hint="build events with one helper (the kernel's cloud_event) so every producer sets every attribute",
                evidence=_evidence([event]),
            )
            return


@CHECKS.register(
    "EVENTS-PAYLOAD-SCHEMA",
    area=AREA,
    needs="event-scenario",
    claim="every event's data matches its topic's payload schema (the fleet file's schema of the topic)",
    applies=produces_events,
)
def check_payload(ctx: CheckContext, scenario: EventScenario) -> Iterator[Finding | Judged]:
    on_topics = [e for e in scenario.events if e.topic in ctx.service.produces]
    if not on_topics:
        raise NotApplicable(_nothing_seen(ctx, scenario))
    judged = [(e, schema) for e in on_topics if (schema := payload_schema_of(ctx.fleet, e.topic)) is not None]
    if not judged:
        topics = ", ".join(sorted({e.topic for e in on_topics}))
        raise NotApplicable(f"the fleet file gives no payload schema for {topics} (topics[].schema)")
    yield Judged(len(judged), "event payloads")
    for event, schema in judged:
        envelope = event.envelope()
        if envelope is None:
            continue  # EVENTS-ENVELOPE reports it
        errors = schema_errors(schema, envelope.get("data"))
        if errors:
            yield Finding(
                check_id="EVENTS-PAYLOAD-SCHEMA",
                service=ctx.service.name,
                expected=f"data matching the payload schema of {event.topic}",
                observed=f"the event at {event.where()}: {_fmt_errors(errors)}",
                hint="a producer change that renames or drops a field breaks every consumer: add fields, never "
                "rename or remove them, and update the schema in the same change (see contracts.evolution)",
                evidence=_evidence([event]),
            )
            return


# ---- per action: exactly one event, key, tenant, order ---------------------------------------------------------------


@CHECKS.register(
    "EVENTS-ONE-PER-ACTION",
    area=AREA,
    needs="event-scenario",
    claim="one accepted API action produces exactly one event, on the topic that names the action",
    applies=produces_events,
)
def check_one_per_action(ctx: CheckContext, scenario: EventScenario) -> Iterator[Finding | Judged]:
    requests = _requests(scenario)
    yield Judged(len(requests), "actions")
    for request in requests:
        action = request[0]
        caused = _events_of_request(ctx, scenario, request)
        want = Counter(str(a.topic) for a in request)
        have = {topic: len({e.attribute("id") for e in caused if e.topic == topic}) for topic in want}
        elsewhere = sorted({e.topic for e in caused if e.topic not in want})
        if have == want and not elsewhere:
            continue
        seen = ", ".join(f"{n} event(s) on {topic}" for topic, n in have.items())
        if elsewhere:
            seen += f" and events on {', '.join(elsewhere)}"
        wanted = ", ".join(("exactly one event" if n == 1 else f"{n} events") + f" on {t}" for t, n in want.items())
        yield Finding(
            check_id="EVENTS-ONE-PER-ACTION",
            service=ctx.service.name,
            expected=f"{action.label} (answered {action.exchange.status}) -> {wanted}",
            observed=f"{seen} within {scenario.waited_s:.1f} s (correlation id {action.correlation_id})",
            hint="stage exactly one event per action in the same transaction as the data (outbox), with the topic "
            "named after the action; zero events means the outbox row was never written or never relayed",
            evidence=_evidence(caused),
        )


@CHECKS.register(
    "EVENTS-NO-EVENT-ON-ROLLBACK",
    area=AREA,
    needs="event-scenario",
    claim="a write the service rejected (its transaction rolled back) produces no event",
    applies=produces_events,
)
def check_no_event_on_rollback(ctx: CheckContext, scenario: EventScenario) -> Iterator[Finding | Judged]:
    rejected = [a for a in scenario.actions if not expects_event(a)]
    if not rejected:
        raise NotApplicable("; ".join(["the scenario has no rejected write to judge", *scenario.notes]))
    yield Judged(len(rejected), "rejected writes")
    if not ctx.fleet.events.correlation_attribute:
        yield from _unclaimed_events(ctx, scenario, rejected)
        return
    for action in rejected:
        caused = [e for e in scenario.events if _own(ctx, e) and _correlation(ctx, e) == action.correlation_id]
        topics = {e.topic for e in caused}
        if caused:
            yield Finding(
                check_id="EVENTS-NO-EVENT-ON-ROLLBACK",
                service=ctx.service.name,
                expected=f"{action.label} answered {action.exchange.status}, so no event",
                observed=f"{len(caused)} event(s) for the rejected write, on {', '.join(sorted(topics))}",
                hint="never publish before the transaction commits; stage the event in the outbox inside the "
                "transaction so a rollback removes it with the data",
                evidence=_evidence(caused),
            )


def _unclaimed_events(ctx: CheckContext, scenario: EventScenario, rejected: list[EventAction]) -> Iterator[Finding]:
    """Without correlation ids an event cannot name the request that caused it: an event of the service that no
    accepted action claims (by key or subject on its topic) was caused by one of the rejected writes."""
    claimed = {(a.topic, a.aggregate_id) for a in scenario.actions if expects_event(a)}
    stray = [e for e in _own_events_or_none(ctx, scenario) if (e.topic, e.key) not in claimed
             and (e.topic, e.attribute("subject")) not in claimed]  # fmt: skip
    if stray:
        labels = "; ".join(f"{a.label} (answered {a.exchange.status})" for a in rejected)
        yield Finding(
            check_id="EVENTS-NO-EVENT-ON-ROLLBACK",
            service=ctx.service.name,
            expected=f"no event for the rejected writes: {labels}",
            observed=f"{len(stray)} event(s) no accepted action caused, on "
            f"{', '.join(sorted({e.topic for e in stray}))} (the fleet's events carry no correlation id, so they are "
            "the rejected writes')",
            hint="never publish before the transaction commits; stage the event in the outbox inside the "
            "transaction so a rollback removes it with the data",
            evidence=_evidence(stray),
        )


def _own_events_or_none(ctx: CheckContext, scenario: EventScenario) -> list[CapturedEvent]:
    return [e for e in scenario.events if _own(ctx, e)]


def _caused_pairs(ctx: CheckContext, scenario: EventScenario) -> list[tuple[list[EventAction], CapturedEvent]]:
    pairs = [(r, e) for r in _requests(scenario) for e in _events_of_request(ctx, scenario, r)]
    if not pairs:
        raise NotApplicable(_nothing_seen(ctx, scenario))
    return pairs


@CHECKS.register(
    "EVENTS-KEY-IS-AGGREGATE",
    area=AREA,
    needs="event-scenario",
    claim="an event's Kafka key and its subject are the id of the aggregate the action changed",
    applies=produces_events,
)
def check_key(ctx: CheckContext, scenario: EventScenario) -> Iterator[Finding | Judged]:
    pairs = _caused_pairs(ctx, scenario)
    yield Judged(len(pairs), "events of actions")
    for request, event in pairs:
        subject = event.attribute("subject")
        on_topic = [a for a in request if a.topic == event.topic] or request
        aggregates = sorted({a.aggregate_id for a in on_topic})
        if event.key in aggregates and subject == event.key:
            continue
        yield Finding(
            check_id="EVENTS-KEY-IS-AGGREGATE",
            service=ctx.service.name,
            expected=f"key and subject {' or '.join(aggregates)} (the aggregate of {on_topic[0].label})",
            observed=f"the event at {event.where()} has key {event.key!r} and subject {subject!r}",
            hint="key every event by its aggregate id: Kafka orders only within a partition, and the key picks it",
            evidence=_evidence([event]),
        )
        return


@CHECKS.register(
    "EVENTS-TENANT",
    area=AREA,
    needs="event-scenario",
    claim="an event carries the caller's tenant in the fleet's tenant attribute and header (tenantid, x-tenant-id)",
    applies=produces_events,
)
def check_tenant(ctx: CheckContext, scenario: EventScenario) -> Iterator[Finding | Judged]:
    conventions = ctx.fleet.events
    pairs = [(a, e) for a in _judged_actions(scenario) for e in events_of_action(ctx, scenario, a)]
    if not pairs:
        raise NotApplicable(_nothing_seen(ctx, scenario))
    yield Judged(len(pairs), "events of actions")
    for action, event in pairs:
        attribute = event.attribute(conventions.tenant_attribute)
        header = event.header(conventions.tenant_header)
        if attribute == action.tenant_id and header == action.tenant_id:
            continue
        names = f"{conventions.tenant_attribute} and header {conventions.tenant_header}"
        yield Finding(
            check_id="EVENTS-TENANT",
            service=ctx.service.name,
            expected=f"{names} = {action.tenant_id} (the tenant of {action.label})",
            observed=f"the event at {event.where()} has {conventions.tenant_attribute} {attribute!r} and "
            f"{conventions.tenant_header} {header!r}",
            hint="take the tenant from the verified token (or the tenant the action created), never from the body",
            evidence=_evidence([event]),
        )
        return


@CHECKS.register(
    "EVENTS-ORDER-PER-KEY",
    area=AREA,
    needs="event-scenario",
    claim="events of one aggregate land in one partition in the order of the actions that caused them",
    applies=produces_events,
)
def check_order(ctx: CheckContext, scenario: EventScenario) -> Iterator[Finding | Judged]:
    by_aggregate: dict[str, list[CapturedEvent]] = defaultdict(list)
    taken: set[str] = set()  # a request's two actions on one topic take its first and its second event there
    for action in _judged_actions(scenario):
        caused = [e for e in events_of_action(ctx, scenario, action)
                  if e.topic == action.topic and e.where() not in taken]  # fmt: skip
        by_aggregate[action.aggregate_id].extend(caused[:1])
        taken.update(e.where() for e in caused[:1])
    ordered = {aggregate: events for aggregate, events in by_aggregate.items() if len(events) >= 2}
    if not ordered:
        raise NotApplicable(f"no aggregate of {ctx.service.name}'s scenario had two or more events to order")
    yield Judged(len(ordered), "aggregates with several events")
    for aggregate, events in ordered.items():
        if problem := _order_problem(events):
            order = ", ".join(f"{e.topic}[{e.partition}]@{e.offset} time {e.attribute('time')}" for e in events)
            yield Finding(
                check_id="EVENTS-ORDER-PER-KEY",
                service=ctx.service.name,
                expected=f"the events of aggregate {aggregate}, in action order, in one partition number, with offsets "
                "rising within each topic and event times not going back",
                observed=f"{problem}; in action order: {order}",
                hint="key every event by the aggregate id (one partition per key) and relay the outbox in the order "
                "the events were staged",
                evidence=_evidence(events),
            )


def _order_problem(events: list[CapturedEvent]) -> str:
    """Why events (in action order) are out of order, or "". Offsets compare only within one topic-partition."""
    if len({e.partition for e in events}) > 1:
        return "they are spread over partitions " + ", ".join(sorted({str(e.partition) for e in events}))
    by_topic: dict[str, list[int]] = defaultdict(list)
    for event in events:
        by_topic[event.topic].append(event.offset)
    for topic, offsets in by_topic.items():
        if offsets != sorted(offsets):
            return f"on {topic} their offsets {offsets} do not rise in action order"
    times = [_parse_time(e.attribute("time")) for e in events]
    known = [t for t in times if t is not None]
    if len(known) == len(times) and known != sorted(known):
        return "their event times go back"
    return ""


def _parse_time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


# ---- consumers and delivery -----------------------------------------------------------------------------------------


@CHECKS.register(
    "EVENTS-CONSUMER-IDEMPOTENT",
    area=AREA,
    needs="event-replay",
    claim="replaying a batch of a service's events twice creates no duplicate audit records",
    applies=produces_events,
)
def check_consumer_idempotent(ctx: CheckContext, replay: ReplayObservation) -> Iterator[Finding | Judged]:
    if replay.error:
        raise NotApplicable(replay.error)
    if not replay.replayed:
        raise NotApplicable(f"no event of {ctx.service.name} was replayed")
    yield Judged(len(replay.replayed), "replayed events")
    counts = dict(replay.audit_counts)
    wrong = {event_id: counts.get(event_id, 0) for event_id in replay.replayed if counts.get(event_id, 0) != 1}
    if wrong:
        sample = ", ".join(f"{k}: {v}" for k, v in list(wrong.items())[:_SHOWN])
        yield Finding(
            check_id="EVENTS-CONSUMER-IDEMPOTENT",
            service=ctx.service.name,
            expected=f"one audit record per event id after replaying {len(replay.replayed)} events {replay.times}x",
            observed=f"{len(wrong)} event id(s) without exactly one record (id: records) {sample}",
            hint="dedupe by event id in the consumer's transaction (processed_events) and back it with a unique key "
            "on audit_logs.event_id",
        )


def records_events(service: ServiceSpec, fleet: Fleet) -> bool:
    """The service is the fleet file's recording consumer (``events.records``)."""
    return fleet.events.records is not None and fleet.events.records.service == service.name


@CHECKS.register(
    "EVENTS-CONSUMER-RETRY",
    area=AREA,
    needs="event-write-fault",
    claim="an event whose first write in the recording consumer failed is still recorded, exactly once",
    applies=records_events,
)
def check_consumer_retry(ctx: CheckContext, fault: WriteFaultObservation) -> Iterator[Finding | Judged]:
    if fault.error:
        raise NotApplicable(fault.error)
    attempts, records = dict(fault.attempts), dict(fault.records)
    faulted = [i for i in fault.events if attempts.get(i, 0) >= 1]
    if not faulted:
        raise NotApplicable(
            f"{fault.consumer} attempted no write of the {len(fault.events)} published event(s) in "
            f"{fault.window_s:.0f} s, so the fault never fired (see EVENTS-NO-LOSS)"
        )
    yield Judged(len(faulted), "events whose first write failed")
    wrong = [i for i in faulted if records.get(i, 0) != 1]
    if wrong:
        sample = ", ".join(f"{i}: {attempts.get(i, 0)} write(s), {records.get(i, 0)} record(s)" for i in wrong[:_SHOWN])
        yield Finding(
            check_id="EVENTS-CONSUMER-RETRY",
            service=ctx.service.name,
            expected=f"one {fault.table} record per event within {fault.window_s:.0f} s after its first write failed "
            f"once (the fleet file's events.records.retry_s)",
            observed=f"{len(wrong)} of {len(faulted)} event(s) without exactly one record: {sample}",
            hint="take a failed event again (seek back to its offset) instead of committing past it, and mark it "
            "processed only in the transaction that writes its record",
        )


def declares_give_up(service: ServiceSpec, fleet: Fleet) -> bool:
    """The service is the recording consumer, and the fleet file says when it gives up (``events.records.attempts``)."""
    records = fleet.events.records
    return records is not None and records.service == service.name and records.attempts is not None


def _unrecorded_behind(
    ctx: CheckContext, bad: BadInputObservation, check_id: str, event_id: str, behind: str, observed: str, hint: str
) -> Iterator[Finding | Judged]:
    """The good event published right after ``behind`` on its partition must end with one record."""
    if bad.error:
        raise NotApplicable(bad.error)
    yield Judged(1, f"events behind {behind}")
    count = dict(bad.records).get(event_id, 0)
    if count != 1:
        yield Finding(
            check_id=check_id,
            service=ctx.service.name,
            expected=f"one {bad.table} record of event {event_id}, published on {bad.topic} right after {behind} "
            f"on its partition, within {bad.window_s:.0f} s",
            observed=f"{count} record(s) {observed}",
            hint=hint,
        )


@CHECKS.register(
    "EVENTS-CONSUMER-SKIPS-MALFORMED",
    area=AREA,
    needs="event-bad-input",
    claim="a record the recording consumer cannot decode (not JSON, an envelope without id or tenant) is given up, "
    "and the event behind it on its partition is still recorded, once",
    applies=declares_give_up,
)
def check_consumer_skips_malformed(ctx: CheckContext, bad: BadInputObservation) -> Iterator[Finding | Judged]:
    yield from _unrecorded_behind(
        ctx, bad, "EVENTS-CONSUMER-SKIPS-MALFORMED", bad.after_malformed, f"{len(bad.malformed)} malformed records",
        f"after the malformed records ({'; '.join(bad.malformed)})",
        "catch every decoding error (invalid JSON, a missing or wrong attribute) for one record, log and count it, "
        "and commit past it: retaking it cannot change it, and a crash stops the consumer for good",
    )  # fmt: skip


@CHECKS.register(
    "EVENTS-CONSUMER-GIVES-UP",
    area=AREA,
    needs="event-bad-input",
    claim="an event whose every write fails in the recording consumer is given up after the declared attempts "
    "(events.records.attempts), so the event behind it on its partition is still recorded, once",
    applies=declares_give_up,
)
def check_consumer_gives_up(ctx: CheckContext, bad: BadInputObservation) -> Iterator[Finding | Judged]:
    if not bad.error and bad.poison_attempts == 0:
        raise NotApplicable(
            f"{bad.consumer} attempted no write of the poison event in {bad.window_s:.0f} s, so its fault never "
            "fired (see EVENTS-NO-LOSS)"
        )
    hint = ("count the attempts per event and give up after the declared number (log it, count it as failed, or "
            "move it to a dead-letter topic): a partition must not stop behind one event")  # fmt: skip
    behind = list(_unrecorded_behind(
        ctx, bad, "EVENTS-CONSUMER-GIVES-UP", bad.after_poison,
        "an event whose every write fails (the declared attempts x retry_s + the settings' event_slack_s)",
        f"behind it; the poison event's write was attempted {bad.poison_attempts} time(s) meanwhile", hint,
    ))  # fmt: skip
    yield from behind
    declared = ctx.fleet.events.records.attempts if ctx.fleet.events.records is not None else None
    given_up = not any(isinstance(f, Finding) for f in behind)  # the event behind it was recorded: it moved on
    if given_up and declared is not None and bad.poison_attempts != declared:
        yield Finding(
            check_id="EVENTS-CONSUMER-GIVES-UP",
            service=ctx.service.name,
            expected=f"the poison event's write attempted {declared} time(s) (events.records.attempts) before "
            "the consumer gave up on it",
            observed=f"it gave up on the poison event {bad.poison} on {bad.topic} after {bad.poison_attempts} "
            "attempt(s)",
            hint=f"{hint}; fewer attempts lose events a short fault would have let through, more hold the "
            "partition longer than the fleet file says",
        )


def _delivery_problems(ctx: CheckContext, delivery: DeliveryObservation) -> Iterator[str]:
    service, conventions = ctx.service.name, ctx.fleet.events
    writes = [w for w in delivery.writes if w.service == service and 200 <= w.status < 300]
    ids_by_write: dict[str, set[str]] = defaultdict(set)
    for event in delivery.events:
        ids_by_write[str(event_identity(conventions, event))].add(str(event.attribute("id")))
    missing = [w for w in writes if not ids_by_write.get(write_identity(conventions, w))]
    doubled = [w for w in writes if len(ids_by_write.get(write_identity(conventions, w), ())) > 1]
    if missing:
        yield (
            f"{len(missing)} of {len(writes)} accepted writes never reached Kafka (e.g. {missing[0].topic} "
            f"for {missing[0].aggregate_id})"
        )
    if doubled:
        yield f"{len(doubled)} accepted write(s) produced more than one event id (e.g. {doubled[0].aggregate_id})"
    if delivery.audit_checked:
        counts = dict(delivery.audit_counts)
        event_ids = {i for w in writes for i in ids_by_write.get(write_identity(conventions, w), ())}
        unaudited = [i for i in event_ids if counts.get(i, 0) == 0]
        duplicated = [i for i in event_ids if counts.get(i, 0) > 1]
        if unaudited:
            yield f"{len(unaudited)} of {len(event_ids)} events have no audit record (e.g. {unaudited[0]})"
        if duplicated:
            yield f"{len(duplicated)} events have more than one audit record (e.g. {duplicated[0]})"
    pending = dict(delivery.pending_after).get(service)
    if pending:
        yield f"outbox_pending_events is {pending:g} after {delivery.drained_s:.1f} s, not 0"


def _refusals(writes: Iterable[WriteRecord]) -> str:
    statuses = Counter(str(w.status or "no answer") for w in writes)
    return ", ".join(f"{n} x {status}" for status, n in statuses.most_common())


def _delivery_finding(check_id: str, ctx: CheckContext, delivery: DeliveryObservation) -> Iterator[Finding | Judged]:
    writes = [w for w in delivery.writes if w.service == ctx.service.name]
    if not writes:
        raise NotApplicable(f"the burst sent no write to {ctx.service.name}")
    steady = [w for w in writes if not w.during_outage]
    if not any(200 <= w.status < 300 for w in steady):
        # refused while everything was up: the write does not happen here at all, whatever Kafka does
        raise NotApplicable(f"{ctx.service.name} accepted none of the burst's writes ({_refusals(steady)})")
    accepted = sum(1 for w in writes if 200 <= w.status < 300)
    yield Judged(accepted, "accepted writes")
    problems = list(_delivery_problems(ctx, delivery))
    if check_id == "EVENTS-OUTAGE-NO-LOSS":
        during = [w for w in writes if w.during_outage]
        refused = [w for w in during if not 200 <= w.status < 300]
        if refused:
            problems.insert(
                0,
                f"{len(refused)} of {len(during)} writes sent while Kafka was down were refused ({_refusals(refused)})",
            )
    if not problems:
        return
    outage = f" with Kafka stopped for {delivery.outage_s:.1f} s" if delivery.outage_s else ""
    yield Finding(
        check_id=check_id,
        service=ctx.service.name,
        expected=f"{accepted} accepted writes{outage} -> {accepted} events and {accepted} audit records, no "
        "duplicates, outbox_pending_events back to 0",
        observed="; ".join(problems),
        hint="write events to the outbox in the data's transaction and mark a row published only after the broker "
        "acknowledged it; a broker error must leave the row pending, never drop it",
        evidence=tuple(("note", n) for n in delivery.notes),
    )


@CHECKS.register(
    "EVENTS-NO-LOSS",
    area=AREA,
    needs="event-burst",
    claim="a burst of N writes ends with N events and N audit records, no duplicates, and an empty outbox",
    applies=produces_events,
)
def check_no_loss(ctx: CheckContext, delivery: DeliveryObservation) -> Iterator[Finding | Judged]:
    yield from _delivery_finding("EVENTS-NO-LOSS", ctx, delivery)


@CHECKS.register(
    "EVENTS-OUTAGE-NO-LOSS",
    area=AREA,
    needs="event-outage",
    claim="with Kafka stopped during writes the API keeps accepting them, and after Kafka returns every event is "
    "delivered once (outbox) and outbox_pending_events drains to 0",
    applies=produces_events,
)
def check_outage_no_loss(ctx: CheckContext, delivery: DeliveryObservation) -> Iterator[Finding | Judged]:
    yield from _delivery_finding("EVENTS-OUTAGE-NO-LOSS", ctx, delivery)


@CHECKS.register(
    "EVENTS-OUTAGE-ORDER",
    area=AREA,
    needs="event-outage",
    claim="several updates of one aggregate queued while Kafka is down are all delivered after it returns, in one "
    "partition, in the order the API accepted them",
    applies=produces_events,
)
def check_outage_order(ctx: CheckContext, delivery: DeliveryObservation) -> Iterator[Finding | Judged]:
    service, conventions = ctx.service.name, ctx.fleet.events
    burst = ctx.service.burst
    if burst is None or burst.update is None:
        why = burst.no_update_reason if burst is not None else None
        raise NotApplicable(f"the fleet file declares no burst update for {service}"
                            + (f": {why}" if why else " (services[].burst.update)"))  # fmt: skip
    updates = [w for w in delivery.updates if w.service == service]
    if not updates:
        raise NotApplicable("; ".join([f"the outage sent no update of an aggregate to {service}", *delivery.notes]))
    by_aggregate: dict[str, list[WriteRecord]] = defaultdict(list)
    for write in updates:
        if 200 <= write.status < 300:
            by_aggregate[write.aggregate_id].append(write)
    judged = {aggregate: writes for aggregate, writes in by_aggregate.items() if len(writes) >= 2}
    if not judged:
        raise NotApplicable(f"{service} accepted fewer than 2 of the {len(updates)} updates sent while Kafka was "
                            f"down ({_refusals(updates)}), so there is no order to judge")  # fmt: skip
    queues = {aggregate: _queue(conventions, delivery.events, writes) for aggregate, writes in judged.items()}
    yield Judged(sum(len(w) for w in judged.values()), "updates queued during the outage")
    for aggregate, queue in queues.items():
        writes = judged[aggregate]
        if problem := _queued_order_problem(queue):
            seen = ", ".join(f"#{n} {label} -> {e.where() if e is not None else 'missing'}"
                             for n, (label, e) in enumerate(queue, 1))  # fmt: skip
            by = "correlation id" if conventions.correlation_attribute else "event time (no correlation id)"
            yield Finding(
                check_id="EVENTS-OUTAGE-ORDER",
                service=service,
                expected=f"the {len(writes)} updates of aggregate {aggregate} accepted while Kafka was down "
                f"({delivery.outage_s:.1f} s), delivered once it returned, none missing, to one partition of "
                f"{writes[0].topic} with offsets rising in the order they were accepted",
                observed=f"{problem}; in acceptance order (by {by} -> first record): {seen}",
                hint="relay pending outbox rows in the order they were staged on every pass, the passes that retry "
                "after a broker error too (ORDER BY created_at), and key every event by its aggregate",
                evidence=_evidence(e for _label, e in queue if e is not None),
            )


def _queue(
    conventions: EventConventions, events: Iterable[CapturedEvent], writes: list[WriteRecord]
) -> list[tuple[str, CapturedEvent | None]]:
    """The updates' records in acceptance order, each with a label (``None``: never seen); a record the broker took
    twice counts where it first landed.

    With correlation ids each write is its record's; without (``events.correlation_attribute: null``), the records
    of the aggregate on the update topic are put in the order of their event times (stamped when the update was
    staged), and the writes the records do not account for are missing.

    Raises:
        NotApplicable: the events carry neither a correlation id nor a readable time.
    """
    topic, key = writes[0].topic, writes[0].aggregate_id
    if conventions.correlation_attribute:
        queue: list[tuple[str, CapturedEvent | None]] = []
        for write in writes:
            mine = [
                e for e in events if e.topic == write.topic and event_identity(conventions, e) == write.correlation_id
            ]
            queue.append((write.correlation_id, min(mine, key=lambda e: (e.partition, e.offset), default=None)))
        return queue
    firsts: dict[str, CapturedEvent] = {}
    for event in sorted(
        (e for e in events if e.topic == topic and e.key == key), key=lambda e: (e.partition, e.offset)
    ):
        firsts.setdefault(str(event.attribute("id")), event)
    timed = [(_parse_time(e.attribute("time")), e) for e in firsts.values()]
    if any(t is None for t, _e in timed):
        raise NotApplicable("the fleet's events carry no correlation id (events.correlation_attribute: null) and not "
                            "every update's event a readable time, so several updates of one aggregate cannot be "
                            "told apart")  # fmt: skip
    ordered = sorted(timed, key=lambda pair: (pair[0], pair[1].offset))
    queue = [(f"time {e.attribute('time')}", e) for _t, e in ordered]
    return queue + [("(not seen)", None)] * max(0, len(writes) - len(queue))


def _queued_order_problem(queue: list[tuple[str, CapturedEvent | None]]) -> str:
    """Why the updates' records (in acceptance order) are missing or out of order, or ""."""
    missing = [f"#{n} ({label})" for n, (label, e) in enumerate(queue, 1) if e is None]
    if missing:
        return f"{len(missing)} of {len(queue)} updates never reached Kafka: {', '.join(missing[:_SHOWN])}"
    seen = [e for _label, e in queue if e is not None]
    if len({e.partition for e in seen}) > 1:
        return "they are spread over partitions " + ", ".join(sorted({str(e.partition) for e in seen}))
    offsets = [e.offset for e in seen]
    if any(later <= earlier for earlier, later in pairwise(offsets)):
        return f"their offsets {offsets} do not rise in acceptance order"
    return ""


# ---- evolution ------------------------------------------------------------------------------------------------------


@CHECKS.register(
    "EVENTS-SCHEMA-EVOLUTION",
    area=AREA,
    needs="schema-change",
    claim="a new version of a topic's payload schema stays compatible with the old one (BACKWARD by default)",
    applies=produces_events,
)
def check_schema_evolution(ctx: CheckContext, change: SchemaChange) -> Iterator[Finding | Judged]:
    from fleetcheck.contracts.evolution import compatibility  # hypothesis is imported only when evolution is judged

    if not change.old.get("properties") and not change.new.get("properties"):
        raise NotApplicable(f"neither schema of {change.topic} declares a field, so nothing can break")
    yield Judged(1, "schema versions")
    for breaking in compatibility(change.old, change.new, change.mode):
        yield Finding(
            check_id="EVENTS-SCHEMA-EVOLUTION",
            service=ctx.service.name,
            expected=f"the new schema of {change.topic} {change.mode}-compatible with the old one",
            observed=f"field {breaking.field!r} breaks rule {breaking.rule}: {breaking.detail}",
            hint="add optional fields only; never remove, rename, retype or newly require a field "
            "(publish a new topic for a breaking change)",
            evidence=(("example", breaking.example),) if breaking.example else (),
        )


# ---- the broker against the fleet file (``fleetcheck topics check``) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopicDiff:
    """What ``fleetcheck topics check`` reports: declared topics missing or with other partition counts, topics on
    the broker the fleet does not declare, and names that break ``<prefix>.<entity>.<action>``."""

    missing: tuple[str, ...]
    extra: tuple[str, ...]
    mispartitioned: tuple[tuple[str, int, int], ...]  # (topic, declared, on the broker)
    badly_named: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.mispartitioned or self.badly_named)


def compare_topics(declared: Iterable[tuple[str, int]], on_broker: Iterable[tuple[str, int]]) -> TopicDiff:
    """Compare declared ``(topic, partitions)`` with the broker's (internal ``_``-prefixed topics are ignored)."""
    want, have = dict(declared), {n: p for n, p in on_broker if not n.startswith("_")}
    return TopicDiff(
        missing=tuple(sorted(set(want) - set(have))),
        extra=tuple(sorted(set(have) - set(want))),
        mispartitioned=tuple(sorted((n, want[n], have[n]) for n in set(want) & set(have) if want[n] != have[n])),
        badly_named=tuple(sorted(n for n in set(want) | set(have) if not TOPIC_NAME.fullmatch(n))),
    )

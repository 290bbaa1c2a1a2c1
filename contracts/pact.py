"""Area ``pact``: the committed consumer pacts (``contracts/pacts/``) hold for their providers.

- ``PACT-PROVIDER-VERIFIED``: every pact naming the service as provider verifies against it (the Pact FFI verifier:
  HTTP interactions with their provider states, messages on the event the service really published).
- ``PACT-MESSAGE-TOPIC-PRODUCED``: every message interaction of such a pact names, as its ``topic`` metadata, a topic
  the fleet file says this service produces and the pact's consumer consumes, and that exists on the Kafka broker
  (when the target gives one): a message pact cannot pass for a topic nobody produces, one its consumer never reads,
  or one the deployment never created.

The observation is pure data (``PactObservation``); ``fleetcheck.pact`` reads the files and runs the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.findings import Finding, Judged
from fleetcheck.contracts.registry import CHECKS, CheckContext, NotApplicable

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from fleetcheck.contracts.events import TopicsObservation

__all__ = ["AREA", "PactObservation", "PactSummary", "PactVerdict", "summarize"]

AREA = "pact"


@dataclass(frozen=True, slots=True)
class PactSummary:
    """One pact file as data: its parties and, per interaction, the description, kind and message topic."""

    file: str
    consumer: str
    provider: str
    interactions: tuple[tuple[str, str, str | None], ...]  # (description, kind, metadata topic)
    #: each message interaction's example body (description, topic, content): what the consumer expects to read
    examples: tuple[tuple[str, str | None, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class PactVerdict:
    """The verifier's verdict on one pact file: verified, or the failing interactions (with what differed)."""

    file: str
    consumer: str
    provider: str
    verified: bool
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PactObservation:
    """The committed pacts and the verdicts on those of the observed providers; ``why_not`` when none apply."""

    pacts: tuple[PactSummary, ...]
    verdicts: tuple[PactVerdict, ...]
    why_not: str = ""
    #: the Kafka broker's topics, when the target gives a bootstrap (``error`` when it could not be read)
    topics: TopicsObservation | None = None

    def provided_by(self, service: str) -> list[PactSummary]:
        return [p for p in self.pacts if p.provider == service]


def summarize(document: Mapping[str, Any], file: str) -> PactSummary:
    """A pact document (V3/V4 JSON) as a :class:`PactSummary`."""
    interactions, examples = [], []
    for item in document.get("interactions") or []:
        metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
        topic = str(metadata["topic"]) if metadata.get("topic") is not None else None
        kind, description = str(item.get("type", "Synchronous/HTTP")), str(item.get("description", ""))
        interactions.append((description, kind, topic))
        contents = item.get("contents")
        if "Messages" in kind and isinstance(contents, dict) and "content" in contents:
            examples.append((description, topic, contents["content"]))
    consumer, provider = str(document["consumer"]["name"]), str(document["provider"]["name"])
    return PactSummary(file, consumer, provider, tuple(interactions), tuple(examples))


def _mine(ctx: CheckContext, observation: PactObservation) -> list[PactSummary]:
    if observation.why_not:
        raise NotApplicable(observation.why_not)
    mine = observation.provided_by(ctx.service.name)
    if not mine:
        raise NotApplicable(f"no committed pact names {ctx.service.name} as its provider")
    return mine


@CHECKS.register(
    "PACT-PROVIDER-VERIFIED",
    area=AREA,
    needs="pact",
    claim="every consumer pact naming the service as provider verifies against it (HTTP interactions with their "
    "provider states, message interactions on the events it really publishes)",
)
def check_provider_verified(ctx: CheckContext, observation: PactObservation) -> Iterator[Finding | Judged]:
    mine = _mine(ctx, observation)
    verdicts = {v.file: v for v in observation.verdicts if v.provider == ctx.service.name}
    yield Judged(len([p for p in mine if p.file in verdicts]), "pacts verified")
    for pact in mine:
        verdict = verdicts.get(pact.file)
        if verdict is None or verdict.verified:
            continue
        yield Finding(
            check_id="PACT-PROVIDER-VERIFIED",
            service=ctx.service.name,
            expected=f"the pact {pact.file} of consumer {pact.consumer} to verify against {ctx.service.name}",
            observed=f"{pact.consumer}'s pact failed: " + "; ".join(verdict.problems or ("no interaction named",)),
            hint="the provider broke what the consumer relies on; change the provider back, or agree a new pact with "
            f"{pact.consumer} (fleetcheck pact verify --provider {ctx.service.name} shows the whole verifier output)",
        )


@CHECKS.register(
    "PACT-MESSAGE-TOPIC-PRODUCED",
    area=AREA,
    needs="pact",
    claim="every message interaction of a pact naming the service as provider is on a topic the fleet file says "
    "the service produces and the pact's consumer consumes, and the topic exists on the Kafka broker",
)
def check_message_topic_produced(ctx: CheckContext, observation: PactObservation) -> Iterator[Finding | Judged]:
    messages = [(p, d, t) for p in _mine(ctx, observation) for d, kind, t in p.interactions if "Messages" in kind]
    if not messages:
        raise NotApplicable(f"no committed pact holds a message interaction with {ctx.service.name} as provider")
    broker = observation.topics
    listed = None if broker is None or broker.error else {name for name, _partitions in broker.topics}
    bootstrap = broker.bootstrap if broker is not None else ""
    if listed is not None:
        where = f", and the {len(listed)} topics the Kafka broker at {bootstrap} lists"
    elif broker is not None:  # the fleet-file half is still judged; the run says the broker half was not
        where = f" only (the Kafka broker at {bootstrap} could not list its topics: {broker.error})"
    else:
        where = " only (the target gives no Kafka bootstrap servers)"
    yield Judged(len(messages), f"message interactions against the fleet file's topic table{where}")
    for pact, description, topic in messages:
        spec = ctx.fleet.topic(topic) if topic else None
        if topic is None:
            problem = "names no topic in its metadata"
        elif spec is None or spec.producer != ctx.service.name:
            producer = spec.producer if spec is not None else "nobody (the fleet file does not declare it)"
            problem = f"is on topic {topic}, which {producer} produces, not {ctx.service.name}"
        elif pact.consumer not in spec.consumers:
            problem = f"is on topic {topic}, which the fleet file does not list {pact.consumer} as consuming"
        elif listed is not None and topic not in listed:
            problem = f"is on topic {topic}, which does not exist on the Kafka broker at {bootstrap}"
        else:
            continue
        yield Finding(
            check_id="PACT-MESSAGE-TOPIC-PRODUCED",
            service=ctx.service.name,
            expected=f"message interactions on topics {ctx.service.name} produces, to consumers the fleet file names",
            observed=f"{pact.consumer}'s message {description!r} ({pact.file}) {problem}",
            hint="put the topic in the interaction's metadata (topic, key, x-tenant-id), and make the fleet file's "
            "topic table agree with the pact",
        )


def _without_required(schema: Any) -> Any:
    """The schema with every ``required`` taken out: a consumer's example names only the fields it reads."""
    if isinstance(schema, dict):
        return {k: _without_required(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [_without_required(v) for v in schema]
    return schema


@CHECKS.register(
    "PACT-MESSAGE-FITS-SCHEMA",
    area=AREA,
    needs="pact",
    claim="every message pact's example of an event the service provides fits the fleet's CloudEvents envelope and "
    "the topic's payload schema: a field a consumer expects that the schema forbids, or of another type, could "
    "never be provided",
)
def check_message_fits_schema(ctx: CheckContext, observation: PactObservation) -> Iterator[Finding | Judged]:
    from fleetcheck.contracts.events import envelope_for, payload_schema_of, schema_errors

    examples = [(p, d, t, c) for p in _mine(ctx, observation) for d, t, c in p.examples]
    if not examples:
        raise NotApplicable(f"no committed pact holds a message example with {ctx.service.name} as provider")
    yield Judged(len(examples), "message examples")
    envelope = _without_required(envelope_for(ctx.fleet.events))
    for pact, description, topic, content in examples:
        errors = schema_errors(envelope, content)
        payload = payload_schema_of(ctx.fleet, topic) if topic else None
        if payload is not None and isinstance(content, dict) and "data" in content:
            errors += [f"data/{e}" for e in schema_errors(_without_required(payload), content["data"])]
        if errors:
            yield Finding(
                check_id="PACT-MESSAGE-FITS-SCHEMA",
                service=ctx.service.name,
                expected=f"{pact.consumer}'s example of {topic} to fit the envelope and the topic's payload schema",
                observed=f"{description!r} ({pact.file}): " + "; ".join(errors[:3]),
                hint="agree the field with the schema's owner (the producer) first: the schema is what it publishes",
            )


@CHECKS.register(
    "PACT-CONSUMERS-COVERED",
    area=AREA,
    needs="pact",
    claim="every consumer the fleet file names for a topic the service produces holds a message pact with it",
    applies=lambda service, fleet: bool(service.produces),
)
def check_consumers_covered(ctx: CheckContext, observation: PactObservation) -> Iterator[Finding | Judged]:
    if observation.why_not:
        raise NotApplicable(observation.why_not)
    service = ctx.service.name
    consumers: dict[str, list[str]] = {}
    for topic in ctx.fleet.topics:
        if topic.producer == service:
            for consumer in topic.consumers:
                consumers.setdefault(consumer, []).append(topic.name)
    if not consumers:
        raise NotApplicable(f"the fleet file names no consumer of {service}'s topics")
    yield Judged(len(consumers), "consumers")
    covered = {p.consumer for p in observation.provided_by(service) if p.examples}
    for consumer, topics in sorted(consumers.items()):
        if consumer not in covered:
            yield Finding(
                check_id="PACT-CONSUMERS-COVERED",
                service=service,
                expected=f"a message pact of {consumer} with {service} (it consumes {', '.join(topics[:3])})",
                observed=f"no committed pact of {consumer} names {service} as provider of a message",
                hint=f"write {consumer}'s consumer test for the events it reads, so a change to them is caught",
            )

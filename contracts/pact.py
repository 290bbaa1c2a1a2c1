"""Area ``pact``: the committed consumer pacts (``contracts/pacts/``) hold for their providers.

- ``PACT-PROVIDER-VERIFIED``: every pact naming the service as provider verifies against it (the Pact FFI verifier:
  HTTP interactions with their provider states, messages on the event the service really published).
- ``PACT-MESSAGE-TOPIC-PRODUCED``: every message interaction of such a pact names, as its ``topic`` metadata, a topic
  the fleet file says this service produces and the pact's consumer consumes: a message pact cannot pass for a
  topic nobody produces, or one its consumer never reads.

The observation is pure data (``PactObservation``); ``fleetcheck.pact`` reads the files and runs the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.findings import Finding, Judged
from fleetcheck.contracts.registry import CHECKS, CheckContext, NotApplicable

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = ["AREA", "PactObservation", "PactSummary", "PactVerdict", "summarize"]

AREA = "pact"


@dataclass(frozen=True, slots=True)
class PactSummary:
    """One pact file as data: its parties and, per interaction, the description, kind and message topic."""

    file: str
    consumer: str
    provider: str
    interactions: tuple[tuple[str, str, str | None], ...]  # (description, kind, metadata topic)


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

    def provided_by(self, service: str) -> list[PactSummary]:
        return [p for p in self.pacts if p.provider == service]


def summarize(document: Mapping[str, Any], file: str) -> PactSummary:
    """A pact document (V3/V4 JSON) as a :class:`PactSummary`."""
    interactions = []
    for item in document.get("interactions") or []:
        metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
        topic = metadata.get("topic")
        kind = str(item.get("type", "Synchronous/HTTP"))
        interactions.append((str(item.get("description", "")), kind, str(topic) if topic is not None else None))
    return PactSummary(file, str(document["consumer"]["name"]), str(document["provider"]["name"]), tuple(interactions))


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
    "the service produces and the pact's consumer consumes",
)
def check_message_topic_produced(ctx: CheckContext, observation: PactObservation) -> Iterator[Finding | Judged]:
    messages = [(p, d, t) for p in _mine(ctx, observation) for d, kind, t in p.interactions if "Messages" in kind]
    if not messages:
        raise NotApplicable(f"no committed pact holds a message interaction with {ctx.service.name} as provider")
    yield Judged(len(messages), "message interactions")
    for pact, description, topic in messages:
        spec = ctx.fleet.topic(topic) if topic else None
        if topic is None:
            problem = "names no topic in its metadata"
        elif spec is None or spec.producer != ctx.service.name:
            producer = spec.producer if spec is not None else "nobody (the fleet file does not declare it)"
            problem = f"is on topic {topic}, which {producer} produces, not {ctx.service.name}"
        elif pact.consumer not in spec.consumers:
            problem = f"is on topic {topic}, which the fleet file does not list {pact.consumer} as consuming"
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

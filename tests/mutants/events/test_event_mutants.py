"""Every events mutant (a deliberately broken producer, consumer or relay) is caught by its expected EVENTS-* check.

A mutant runs in place of one reference service beside real organization and auth (the synthetic tenant needs them)
and, where its check needs it, audit. The checks judged here pass on the reference fleet (tests/events).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

import fleetcheck.contracts.events  # noqa: F401 - registers the EVENTS-* checks
from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.registry import CHECKS, CheckContext, run_check
from fleetcheck.events import (
    audit_store_of,
    caused_events,
    kafka_bootstrap_of,
    observe_bad_input,
    observe_burst,
    observe_replays,
    observe_scenario,
    observe_write_fault,
)
from fleetcheck.reference import ReferenceFleet

if TYPE_CHECKING:
    from conftest import MutationScore
    from fleetcheck.contracts.findings import CheckResult
    from fleetcheck.fixtures._forkserver import ForkServer
    from fleetcheck.fixtures.infra import Infrastructure

pytestmark = [pytest.mark.servers, pytest.mark.mutant]

#: the settings' event_slack_s for these mutants (default 20 s): a mutant that loses or never gives up on an event is
#: waited for its whole retry or give-up window, and a consumer of 4 services' fleet records a good event within 2 s
_SLACK_S = 8.0


@dataclass(frozen=True)
class Mutant:
    name: str
    service: str
    check_id: str
    observed: str  # a phrase the finding must contain, so the right violation is what got caught
    needs: str = "event-scenario"
    passes: tuple[str, ...] = ()  # checks that must pass on the same observation: only the mutant's check catches it


MUTANTS = [
    Mutant("double_publish", "master-data", "EVENTS-ONE-PER-ACTION", "2 event(s) on master-data.customer.created"),
    Mutant("publish_before_commit", "master-data", "EVENTS-NO-EVENT-ON-ROLLBACK", "for the rejected write"),
    Mutant("wrong_topic", "master-data", "EVENTS-ONE-PER-ACTION", "events on master-data.customer.updated"),
    Mutant("foreign_topic", "master-data", "EVENTS-TOPIC-OWNERSHIP", "on auth.user.locked"),
    Mutant("missing_tenant", "master-data", "EVENTS-TENANT", "tenantid None"),
    Mutant("wrong_key", "master-data", "EVENTS-KEY-IS-AGGREGATE", "has key"),
    Mutant("schema_drift", "master-data", "EVENTS-PAYLOAD-SCHEMA", "customer_name"),
    Mutant("naive_time", "master-data", "EVENTS-ENVELOPE", "time"),
    Mutant("round_robin_partitions", "master-data", "EVENTS-ORDER-PER-KEY", "spread over partitions"),
    Mutant(
        "non_idempotent_consumer", "audit", "EVENTS-CONSUMER-IDEMPOTENT", "without exactly one record", "event-replay"
    ),
    Mutant(
        "marks_processed_before_write",
        "audit",
        "EVENTS-CONSUMER-RETRY",
        "without exactly one record",
        "event-write-fault",
        passes=("EVENTS-CONSUMER-IDEMPOTENT",),
    ),
    Mutant(
        "consumer_dies_on_malformed",
        "audit",
        "EVENTS-CONSUMER-SKIPS-MALFORMED",
        "0 record(s) after the malformed records",
        "event-bad-input",
    ),
    Mutant(
        "consumer_never_gives_up",
        "audit",
        "EVENTS-CONSUMER-GIVES-UP",
        "the poison event's write was attempted",
        "event-bad-input",
        passes=("EVENTS-CONSUMER-SKIPS-MALFORMED",),
    ),
    Mutant(
        "consumer_gives_up_one_attempt_late",
        "audit",
        "EVENTS-CONSUMER-GIVES-UP",
        "after 6 attempt(s)",
        "event-bad-input",
        passes=("EVENTS-CONSUMER-SKIPS-MALFORMED",),
    ),
    # last: it stops the shared Kafka (re-created on restore); services of later tests start fresh producers anyway
    Mutant("relay_drops_on_error", "master-data", "EVENTS-OUTAGE-NO-LOSS", "never reached Kafka", "event-outage"),
    Mutant(
        "relay_reorders_after_error",
        "master-data",
        "EVENTS-OUTAGE-ORDER",
        "do not rise in acceptance order",
        "event-outage",
        passes=("EVENTS-OUTAGE-NO-LOSS",),
    ),
]


def _observe(mutant: Mutant, fleet: ReferenceFleet) -> tuple[CheckResult, list[CheckResult]]:
    """The mutant's check and its ``passes`` judged, each on the observation its ``needs`` names."""
    bootstrap = kafka_bootstrap_of(fleet)
    assert bootstrap is not None
    topics = [t.name for t in fleet.fleet.topics]
    observed: dict[str, object] = {}
    if mutant.needs == "event-outage":
        observed["event-outage"] = observe_burst(
            fleet,
            bootstrap,
            audit_store_of(fleet),
            writes=15,
            services=["master-data"],
            outage=fleet.fault_hooks["kafka"],
            drain_s=20.0,
        )  # the outage: the fleet file's events.delivery
    else:
        scenario = observed["event-scenario"] = observe_scenario(fleet, "master-data", bootstrap, topics)
        store, recorder = audit_store_of(fleet), fleet.fleet.events.records
        events = caused_events(fleet.fleet.events, scenario)
        if mutant.needs == "event-write-fault" or "EVENTS-CONSUMER-IDEMPOTENT" in (mutant.check_id, *mutant.passes):
            assert store is not None
            replays = observe_replays(bootstrap, {"master-data": events}, store, consumer=fleet.endpoints["audit"])
            observed["event-replay"] = replays["master-data"]
        if mutant.needs == "event-write-fault":
            assert store is not None
            assert recorder is not None
            observed["event-write-fault"] = observe_write_fault(bootstrap, events, store, recorder, slack_s=_SLACK_S)
        if mutant.needs == "event-bad-input":
            assert store is not None
            assert recorder is not None
            observed["event-bad-input"] = observe_bad_input(bootstrap, events, store, recorder, slack_s=_SLACK_S)

    def judge(check_id: str) -> CheckResult:
        check = CHECKS[check_id]
        service = "audit" if check.needs in ("event-write-fault", "event-bad-input") else "master-data"
        return run_check(check, CheckContext(fleet.fleet.service(service), fleet.fleet), observed[check.needs])

    return judge(mutant.check_id), [judge(c) for c in mutant.passes]


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_events_mutant_is_caught_by_its_check(
    mutant: Mutant, mutant_infrastructure: Infrastructure, mutant_fork_server: ForkServer, mutation_score: MutationScore
) -> None:
    logging.getLogger("fleetcheck.events").setLevel(logging.CRITICAL)  # librdkafka's reconnect chatter
    module = f"tests.mutants.events.variants.{mutant.name}"
    services = ["organization", "auth", "master-data"]
    if mutant.needs in ("event-replay", "event-outage", "event-write-fault", "event-bad-input"):
        services.append("audit")
    with ReferenceFleet(
        services=services,
        modules={mutant.service: module},
        infrastructure=mutant_infrastructure,
        fork_server=mutant_fork_server,
    ) as fleet:
        result, others = _observe(mutant, fleet)
    killed = result.outcome is Outcome.FAILED
    mutation_score.record("events", mutant.name, killed=killed)
    assert killed, f"{mutant.name} survived: {mutant.check_id} was {result.outcome.value} {result.reason}"
    messages = "\n".join(f.message() for f in result.findings)
    assert mutant.observed in messages, messages
    for other in others:
        assert other.outcome is Outcome.PASSED, f"{other.check_id} also caught {mutant.name}: {other.reason}"

"""The EVENTS-* checks pass on the reference fleet: scenarios, topics, replay, bursts and a Kafka outage (with
updates of one aggregate queued while it is down)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.events import expects_event, produces_events
from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.registry import CHECKS
from fleetcheck.events import (
    PostgresAuditStore,
    audit_store_of,
    caused_events,
    kafka_bootstrap_of,
    observe_bad_input,
    observe_burst,
    observe_replays,
    observe_scenario,
    observe_topics,
    observe_write_fault,
)

if TYPE_CHECKING:
    from fleetcheck.contracts.fleet import RecordStoreSpec
    from fleetcheck.reference import ReferenceFleet

pytestmark = pytest.mark.servers

SCENARIO_CHECKS = [c.id for c in CHECKS.in_area("events") if c.needs == "event-scenario"]


def _bootstrap(fleet: ReferenceFleet) -> str:
    bootstrap = kafka_bootstrap_of(fleet)
    assert bootstrap is not None
    return bootstrap


def _failures(results: list) -> list[str]:
    return [f.message() for r in results for f in r.findings]


# the services of the events fleet (tests/contract runs every service's scenario on the whole fleet)
@pytest.mark.parametrize("service", ["master-data", "organization", "auth", "audit"])
def test_every_scenario_check_passes_on_the_reference_service(event_fleet, judge, service: str) -> None:
    topics = [t.name for t in event_fleet.fleet.topics]
    scenario = observe_scenario(event_fleet, service, _bootstrap(event_fleet), topics)
    assert scenario.notes == ()
    results = [judge(check_id, service, scenario) for check_id in SCENARIO_CHECKS]
    assert _failures(results) == []
    outcomes = {r.check_id: r.outcome for r in results}
    # audit keys each event by its own new record: no aggregate of its scenario has two events to order
    if service == "audit":
        assert outcomes.pop("EVENTS-ORDER-PER-KEY") is Outcome.NOT_RUN
    assert set(outcomes.values()) == {Outcome.PASSED}


def test_declared_topics_exist_with_their_partitions_and_names(event_fleet, judge) -> None:
    observation = observe_topics(_bootstrap(event_fleet))
    producers = [s.name for s in event_fleet.fleet.services if produces_events(s, event_fleet.fleet)]
    results = [judge(c, s, observation) for c in ("EVENTS-TOPICS-EXIST", "EVENTS-TOPIC-NAMING") for s in producers]
    assert _failures(results) == []


def test_replaying_two_services_events_at_once_creates_no_duplicate_audit_record(event_fleet, judge) -> None:
    topics, bootstrap = [t.name for t in event_fleet.fleet.topics], _bootstrap(event_fleet)
    store = audit_store_of(event_fleet)
    assert store is not None
    scenarios = {s: observe_scenario(event_fleet, s, bootstrap, topics) for s in ("master-data", "organization")}
    batches = {s: caused_events(event_fleet.fleet.events, scenario) for s, scenario in scenarios.items()}
    replays = observe_replays(bootstrap, batches | {"none": []}, store, consumer=event_fleet.endpoints["audit"])
    assert replays["none"].error == "no event to replay (the scenario captured none)"
    # one event per accepted action: created, updated, deleted of a customer, a vendor, a product and an account
    wanted = [a for a in scenarios["master-data"].actions if expects_event(a)]
    assert len(replays["master-data"].replayed) == len(wanted) == 12
    for service in scenarios:
        replay = replays[service]
        assert replay.error == ""
        assert {event_id for event_id, _count in replay.audit_counts} == set(replay.replayed)  # its own events only
        assert judge("EVENTS-CONSUMER-IDEMPOTENT", service, replay).outcome is Outcome.PASSED


def _recorder_inputs(fleet: ReferenceFleet, service: str) -> tuple[list, PostgresAuditStore, RecordStoreSpec]:
    """The events ``service``'s scenario caused, the record store, and the fleet file's recording consumer."""
    topics = [t.name for t in fleet.fleet.topics]
    scenario = observe_scenario(fleet, service, _bootstrap(fleet), topics)
    store, recorder = audit_store_of(fleet), fleet.fleet.events.records
    assert isinstance(store, PostgresAuditStore)
    assert recorder is not None
    return caused_events(fleet.fleet.events, scenario), store, recorder


def test_audit_skips_malformed_records_and_gives_up_on_a_poison_event(event_fleet, judge) -> None:
    events, store, recorder = _recorder_inputs(event_fleet, "master-data")
    bad = observe_bad_input(_bootstrap(event_fleet), events, store, recorder)
    assert bad.error == ""
    records = dict(bad.records)
    # the poison event was taken the declared 5 times and never recorded; both good events behind the bad ones once
    assert (bad.poison_attempts, records.get(bad.poison, 0)) == (recorder.attempts, 0)
    assert (records.get(bad.after_malformed), records.get(bad.after_poison)) == (1, 1)
    for check_id in ("EVENTS-CONSUMER-SKIPS-MALFORMED", "EVENTS-CONSUMER-GIVES-UP"):
        result = judge(check_id, "audit", bad)
        assert (result.outcome, result.judged) == (Outcome.PASSED, 1), result.reason


def test_audit_records_events_whose_first_write_failed_once_each(event_fleet, judge) -> None:
    events, store, recorder = _recorder_inputs(event_fleet, "audit")
    fault = observe_write_fault(_bootstrap(event_fleet), events, store, recorder)
    assert fault.error == ""
    # the fault failed each fresh event's first write; the consumer took it again and wrote it once
    assert len(fault.events) >= 1
    assert all(n >= 2 for n in dict(fault.attempts).values()), fault.attempts
    assert dict(fault.records) == dict.fromkeys(fault.events, 1)
    result = judge("EVENTS-CONSUMER-RETRY", "audit", fault)
    assert (result.outcome, result.judged) == (Outcome.PASSED, len(fault.events))
    # the fault is gone: nothing named fleetcheck_write_fault_* is left on the record table
    import psycopg

    assert isinstance(store, PostgresAuditStore)
    with psycopg.connect(store.dsn) as conn:
        left = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'fleetcheck_write_fault_%'").fetchone()
    assert left == (0,)


def test_a_burst_across_services_ends_with_one_event_and_one_audit_record_per_write(event_fleet, judge) -> None:
    store = audit_store_of(event_fleet)
    burst = observe_burst(event_fleet, _bootstrap(event_fleet), store, writes=80)
    accepted = [w for w in burst.writes if 200 <= w.status < 300]
    assert len(accepted) == 80
    assert sum(dict(burst.audit_counts).values()) == 80
    results = [judge("EVENTS-NO-LOSS", s, burst) for s in ("master-data", "auth")]
    assert _failures(results) == []


def test_writes_during_a_kafka_outage_are_all_delivered_once_it_returns(outage_fleet, judge) -> None:
    store = audit_store_of(outage_fleet)
    hook = outage_fleet.fault_hooks["kafka"]
    delivery = observe_burst(outage_fleet, _bootstrap(outage_fleet), store, writes=30, outage=hook,
                             drain_s=60.0)  # fmt: skip
    during = [w for w in delivery.writes if w.during_outage]
    accepted = [w for w in delivery.writes if 200 <= w.status < 300]
    print(f"outage {delivery.outage_s:.1f} s: {len(delivery.writes)} writes ({len(during)} while Kafka was down), "
          f"{len(delivery.events)} events, {sum(dict(delivery.audit_counts).values())} audit records, "
          f"drained in {delivery.drained_s:.1f} s, pending after {dict(delivery.pending_after)}")  # fmt: skip
    assert during, "no write was sent while Kafka was down"
    results = [judge("EVENTS-OUTAGE-NO-LOSS", s, delivery) for s in ("master-data", "auth")]
    assert _failures(results) == []
    # master-data's customer, created before the outage, was renamed 5 times while Kafka was down (burst.update)
    updates = [w for w in delivery.updates if w.service == "master-data"]
    assert [200 <= w.status < 300 for w in updates] == [True] * 5
    order = judge("EVENTS-OUTAGE-ORDER", "master-data", delivery)
    assert (order.outcome, order.judged) == (Outcome.PASSED, 5), _failures([order]) or order.reason
    assert judge("EVENTS-OUTAGE-ORDER", "auth", delivery).outcome is Outcome.NOT_RUN  # auth declares no update
    # Events of other actions (e.g. the synthetic user's registration, still being relayed when the capture took
    # its offsets) may share the topics; the burst's own events are matched by correlation id.
    accepted_ids = {w.correlation_id for w in accepted}
    assert len([e for e in delivery.events if e.attribute("correlationid") in accepted_ids]) == len(accepted)

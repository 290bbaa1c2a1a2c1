"""The EVENTS-* checks judge synthetic observations: what passes, what fails, and the message they print."""

from __future__ import annotations

import json

import pytest

from fleetcheck.contracts.events import (
    BadInputObservation,
    CapturedEvent,
    EventAction,
    EventScenario,
    TopicsObservation,
    WriteFaultObservation,
    compare_topics,
)
from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.observations import HttpExchange

TENANT = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
CUSTOMER = "4f7a2f0e-8a43-4c1e-9d7e-0d0f5a1e2b3c"
DATA = {"id": CUSTOMER, "tenant_id": TENANT, "code": "C-1", "name": "Dhaka Traders", "name_bn": None, "email": None,
        "phone": None, "tin": None, "nid": None, "address": None, "created_at": "2026-01-01T10:00:00+06:00",
        "updated_at": None}  # fmt: skip


def _answer(status: int) -> HttpExchange:
    return HttpExchange("POST", "http://svc/customers", "/customers", status, (), b"{}", 0.01)


def _event(offset: int, *, correlation: str = "c-1", event_id: str = "", **changes: object) -> CapturedEvent:
    envelope = {"specversion": "1.0", "id": event_id or f"00000000-0000-4000-8000-{offset:012d}",
                "source": "/master-data", "type": "master-data.customer.created", "time": "2026-01-01T04:00:00+00:00",
                "subject": CUSTOMER, "datacontenttype": "application/json", "tenantid": TENANT,
                "correlationid": correlation, "data": DATA} | changes  # fmt: skip
    topic = str(envelope["type"])
    return CapturedEvent(topic, 1, offset, CUSTOMER, json.dumps(envelope).encode(), (("x-tenant-id", TENANT),))


def _scenario(*events: CapturedEvent, status: int = 201) -> EventScenario:
    action = EventAction("POST /customers", _answer(status), "master-data.customer.created", CUSTOMER, TENANT, "c-1")
    return EventScenario((action,), events, waited_s=1.0)


def test_a_well_formed_single_event_passes_every_scenario_check(judge) -> None:
    scenario = _scenario(_event(0))
    for check_id in ("EVENTS-ENVELOPE", "EVENTS-PAYLOAD-SCHEMA", "EVENTS-ONE-PER-ACTION", "EVENTS-KEY-IS-AGGREGATE",
                     "EVENTS-TENANT", "EVENTS-TOPIC-OWNERSHIP"):  # fmt: skip
        result = judge(check_id, "master-data", scenario)
        assert result.outcome is Outcome.PASSED, (check_id, [f.message() for f in result.findings])
        assert result.judged == 1, check_id
    # one event has no order to judge: that is "not run", never a pass
    order = judge("EVENTS-ORDER-PER-KEY", "master-data", scenario)
    assert order.outcome is Outcome.NOT_RUN
    assert order.reason == "no aggregate of master-data's scenario had two or more events to order"


def test_two_event_ids_for_one_action_fail_one_per_action_naming_the_topic(judge) -> None:
    result = judge("EVENTS-ONE-PER-ACTION", "master-data", _scenario(_event(0), _event(1)))
    assert result.outcome is Outcome.FAILED
    assert "2 event(s) on master-data.customer.created" in result.findings[0].observed


def test_the_same_event_id_redelivered_is_still_one_event(judge) -> None:
    same = "11111111-1111-4111-8111-111111111111"
    scenario = _scenario(_event(0, event_id=same), _event(1, event_id=same))
    assert judge("EVENTS-ONE-PER-ACTION", "master-data", scenario).outcome is Outcome.PASSED


def test_an_event_without_tenant_fails_the_tenant_check_with_what_it_saw(judge) -> None:
    broken = _event(0)
    envelope = json.loads(broken.value)
    del envelope["tenantid"]
    event = CapturedEvent(broken.topic, 1, 0, CUSTOMER, json.dumps(envelope).encode(), ())
    finding = judge("EVENTS-TENANT", "master-data", _scenario(event)).findings[0]
    assert finding.observed.endswith("has tenantid None and x-tenant-id None")
    assert TENANT in finding.expected


def test_a_naive_time_fails_the_envelope_check(judge) -> None:
    result = judge("EVENTS-ENVELOPE", "master-data", _scenario(_event(0, time="2026-01-01T10:00:00")))
    assert result.outcome is Outcome.FAILED
    assert "time" in result.findings[0].observed


def test_an_event_for_a_rejected_write_fails_no_event_on_rollback(judge) -> None:
    action = EventAction("POST /customers (duplicate)", _answer(409), None, CUSTOMER, TENANT, "c-9")
    scenario = EventScenario((action,), (_event(0, correlation="c-9"),), waited_s=1.0)
    result = judge("EVENTS-NO-EVENT-ON-ROLLBACK", "master-data", scenario)
    assert result.outcome is Outcome.FAILED
    assert "answered 409" in result.findings[0].expected


def test_a_missing_topic_and_a_wrong_partition_count_are_reported(judge) -> None:
    observation = TopicsObservation("127.0.0.1:9092", (("master-data.customer.created", 1),))
    result = judge("EVENTS-TOPICS-EXIST", "master-data", observation)
    observed = [f.observed for f in result.findings]
    assert "topic master-data.customer.created has 1 partition(s)" in observed
    assert "topic master-data.vendor.created does not exist" in observed


def test_compare_topics_reports_missing_extra_mispartitioned_and_badly_named() -> None:
    diff = compare_topics([("a.b.c", 3), ("a.b.d", 3)], [("a.b.c", 1), ("Legacy_Topic", 1), ("__consumer_offsets", 50)])
    assert diff.missing == ("a.b.d",)
    assert diff.extra == ("Legacy_Topic",)
    assert diff.mispartitioned == (("a.b.c", 3, 1),)
    assert diff.badly_named == ("Legacy_Topic",)
    assert not diff.clean


def _ordered(*events: CapturedEvent) -> EventScenario:
    actions = tuple(
        EventAction(f"action {i}", _answer(201), e.topic, CUSTOMER, TENANT, f"c-{i}") for i, e in enumerate(events)
    )
    return EventScenario(actions, events, waited_s=1.0)


def _on(topic: str, offset: int, *, partition: int = 1, time: str, correlation: str) -> CapturedEvent:
    event = _event(offset, correlation=correlation, type=topic, time=time)
    return CapturedEvent(topic, partition, offset, CUSTOMER, event.value, event.headers)


def test_create_update_delete_on_three_topics_in_order_pass_even_with_unrelated_offsets(judge) -> None:
    scenario = _ordered(
        _on("master-data.customer.created", 7, time="2026-01-01T04:00:00+00:00", correlation="c-0"),
        _on("master-data.customer.updated", 0, time="2026-01-01T04:00:01+00:00", correlation="c-1"),
        _on("master-data.customer.deleted", 0, time="2026-01-01T04:00:02+00:00", correlation="c-2"),
    )
    result = judge("EVENTS-ORDER-PER-KEY", "master-data", scenario)
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]


def test_events_of_one_aggregate_in_two_partitions_fail_order_per_key(judge) -> None:
    scenario = _ordered(
        _on("master-data.customer.created", 0, time="2026-01-01T04:00:00+00:00", correlation="c-0"),
        _on("master-data.customer.updated", 0, partition=2, time="2026-01-01T04:00:01+00:00", correlation="c-1"),
    )
    result = judge("EVENTS-ORDER-PER-KEY", "master-data", scenario)
    assert result.outcome is Outcome.FAILED
    assert "spread over partitions 1, 2" in result.findings[0].observed


def test_a_later_action_with_an_earlier_event_time_fails_order_per_key(judge) -> None:
    scenario = _ordered(
        _on("master-data.customer.created", 0, time="2026-01-01T04:00:05+00:00", correlation="c-0"),
        _on("master-data.customer.updated", 0, time="2026-01-01T04:00:01+00:00", correlation="c-1"),
    )
    result = judge("EVENTS-ORDER-PER-KEY", "master-data", scenario)
    assert result.outcome is Outcome.FAILED
    assert "event times go back" in result.findings[0].observed


def test_two_updates_whose_offsets_fall_in_one_topic_fail_order_per_key(judge) -> None:
    scenario = _ordered(
        _on("master-data.customer.updated", 4, time="2026-01-01T04:00:00+00:00", correlation="c-0"),
        _on("master-data.customer.updated", 3, time="2026-01-01T04:00:01+00:00", correlation="c-1"),
    )
    result = judge("EVENTS-ORDER-PER-KEY", "master-data", scenario)
    assert result.outcome is Outcome.FAILED
    assert "offsets [4, 3] do not rise" in result.findings[0].observed


# ---- one request that causes several events by design (a process start also creates its task) ------------------------

TASK = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"


def _grouped(*events: CapturedEvent) -> EventScenario:
    """One request (correlation c-1) declared as two actions: the customer's created event and an update of it."""
    created = EventAction("POST /customers", _answer(201), "master-data.customer.created", CUSTOMER, TENANT, "c-1")
    updated = EventAction("POST /customers", _answer(201), "master-data.customer.updated", TASK, TENANT, "c-1")
    return EventScenario((created, updated), events, waited_s=1.0)


def _updated(offset: int) -> CapturedEvent:
    event = _event(offset, type="master-data.customer.updated", subject=TASK)
    return CapturedEvent(event.topic, 1, offset, TASK, event.value, event.headers)


def test_a_request_declared_as_two_actions_passes_with_its_two_events(judge) -> None:
    scenario = _grouped(_event(0), _updated(1))
    for check_id in ("EVENTS-ONE-PER-ACTION", "EVENTS-KEY-IS-AGGREGATE"):
        result = judge(check_id, "master-data", scenario)
        assert result.outcome is Outcome.PASSED, (check_id, [f.message() for f in result.findings])


def test_a_request_declared_as_two_actions_missing_one_event_fails_naming_both(judge) -> None:
    result = judge("EVENTS-ONE-PER-ACTION", "master-data", _grouped(_event(0)))
    assert result.outcome is Outcome.FAILED
    [finding] = result.findings
    assert "0 event(s) on master-data.customer.updated" in finding.observed
    assert "exactly one event on master-data.customer.created" in finding.expected


def test_an_event_of_a_grouped_request_keyed_by_the_other_aggregate_fails_the_key_check(judge) -> None:
    wrong = _event(1, type="master-data.customer.updated")  # keyed by the customer, declared for the task
    result = judge("EVENTS-KEY-IS-AGGREGATE", "master-data", _grouped(_event(0), wrong))
    assert result.outcome is Outcome.FAILED
    assert TASK in result.findings[0].expected


def test_a_refusal_whose_event_is_declared_is_judged_like_an_accepted_action(judge) -> None:
    refused = EventAction("POST /customers (refused, reported)", _answer(422), "master-data.customer.created",
                          CUSTOMER, TENANT, "c-1", refusal=True)  # fmt: skip
    with_event = EventScenario((refused,), (_event(0),), waited_s=1.0)
    assert judge("EVENTS-ONE-PER-ACTION", "master-data", with_event).outcome is Outcome.PASSED
    assert judge("EVENTS-NO-EVENT-ON-ROLLBACK", "master-data", with_event).outcome is Outcome.NOT_RUN
    without = EventScenario((refused,), (), waited_s=1.0)
    result = judge("EVENTS-ONE-PER-ACTION", "master-data", without)
    assert result.outcome is Outcome.FAILED
    assert "answered 422" in result.findings[0].expected


def _fault(attempts: dict[str, int], records: dict[str, int], error: str = "") -> WriteFaultObservation:
    events = tuple(attempts) if not error else ()
    return WriteFaultObservation("audit", "audit_logs", events, tuple(attempts.items()), tuple(records.items()), 25.0,
                                 error)  # fmt: skip


def test_events_recorded_once_after_their_first_write_failed_pass_the_retry_check(judge) -> None:
    result = judge("EVENTS-CONSUMER-RETRY", "audit", _fault({"e1": 2, "e2": 3}, {"e1": 1, "e2": 1}))
    assert (result.outcome, result.judged) == (Outcome.PASSED, 2)


def test_an_event_lost_after_its_failed_write_fails_the_retry_check_with_its_writes_and_records(judge) -> None:
    result = judge("EVENTS-CONSUMER-RETRY", "audit", _fault({"e1": 1, "e2": 2}, {"e2": 1}))
    assert result.outcome is Outcome.FAILED
    assert "1 of 2 event(s) without exactly one record: e1: 1 write(s), 0 record(s)" in result.findings[0].message()


def test_a_fault_that_never_fired_or_could_not_be_armed_is_not_run_with_the_reason(judge) -> None:
    never = judge("EVENTS-CONSUMER-RETRY", "audit", _fault({"e1": 0}, {}))
    assert never.outcome is Outcome.NOT_RUN
    assert "the fault never fired" in never.reason
    unarmed = judge("EVENTS-CONSUMER-RETRY", "audit", _fault({}, {}, error="cannot arm a write fault on audit_logs"))
    assert (unarmed.outcome, unarmed.reason) == (Outcome.NOT_RUN, "cannot arm a write fault on audit_logs")


def test_the_retry_check_applies_to_the_recording_consumer_only(fleet_model) -> None:
    from fleetcheck.contracts.registry import CHECKS

    check = CHECKS["EVENTS-CONSUMER-RETRY"]
    applies = [s.name for s in fleet_model.services if check.applies(s, fleet_model)]
    assert applies == ["audit"]


def _bad(records: dict[str, int], poison_attempts: int = 5, error: str = "") -> BadInputObservation:
    malformed = ("a value that is not JSON", "an envelope without id")
    return BadInputObservation("audit", "audit_logs", "master-data.customer.created", malformed, "m1", "p1",
                               poison_attempts, "g1", tuple(records.items()), 25.0, error)  # fmt: skip


def test_a_consumer_that_records_the_events_behind_bad_records_passes_both_checks(judge) -> None:
    observation = _bad({"m1": 1, "g1": 1})
    for check_id in ("EVENTS-CONSUMER-SKIPS-MALFORMED", "EVENTS-CONSUMER-GIVES-UP"):
        result = judge(check_id, "audit", observation)
        assert (result.outcome, result.judged) == (Outcome.PASSED, 1), check_id


def test_a_consumer_stopped_by_a_malformed_record_fails_the_malformed_check_naming_the_records(judge) -> None:
    result = judge("EVENTS-CONSUMER-SKIPS-MALFORMED", "audit", _bad({}))
    assert result.outcome is Outcome.FAILED
    assert "0 record(s) after the malformed records (a value that is not JSON; an envelope without id)" in (
        result.findings[0].message()
    )


def test_a_consumer_that_never_gives_up_on_a_poison_event_fails_the_give_up_check(judge) -> None:
    result = judge("EVENTS-CONSUMER-GIVES-UP", "audit", _bad({"m1": 1}, poison_attempts=19))
    assert result.outcome is Outcome.FAILED
    assert "the poison event's write was attempted 19 time(s)" in result.findings[0].message()
    assert judge("EVENTS-CONSUMER-SKIPS-MALFORMED", "audit", _bad({"m1": 1})).outcome is Outcome.PASSED


@pytest.mark.parametrize("attempts", [1, 6])
def test_a_consumer_that_gives_up_after_other_than_the_declared_attempts_fails_the_give_up_check(
    judge, attempts: int
) -> None:
    # the event behind the poison one was recorded: the partition moved on, but not after the declared 5 attempts
    result = judge("EVENTS-CONSUMER-GIVES-UP", "audit", _bad({"m1": 1, "g1": 1}, poison_attempts=attempts))
    assert result.outcome is Outcome.FAILED
    (finding,) = result.findings
    assert f"gave up on the poison event p1 on master-data.customer.created after {attempts} attempt(s)" in (
        finding.message()
    )
    assert "attempted 5 time(s) (events.records.attempts)" in finding.message()


def test_bad_input_not_observed_or_never_attempted_is_not_run_with_the_reason(judge) -> None:
    unarmed = judge("EVENTS-CONSUMER-GIVES-UP", "audit", _bad({}, error="cannot arm a write fault on audit_logs"))
    assert (unarmed.outcome, unarmed.reason) == (Outcome.NOT_RUN, "cannot arm a write fault on audit_logs")
    never = judge("EVENTS-CONSUMER-GIVES-UP", "audit", _bad({"m1": 1, "g1": 1}, poison_attempts=0))
    assert never.outcome is Outcome.NOT_RUN
    assert "its fault never fired" in never.reason


def test_the_bad_input_checks_need_a_declared_give_up_policy(fleet_model) -> None:
    from fleetcheck.contracts.registry import CHECKS

    records = fleet_model.events.records
    without = fleet_model.model_copy(
        update={
            "events": fleet_model.events.model_copy(update={"records": records.model_copy(update={"attempts": None})})
        }
    )
    for check_id in ("EVENTS-CONSUMER-SKIPS-MALFORMED", "EVENTS-CONSUMER-GIVES-UP"):
        check = CHECKS[check_id]
        assert [s.name for s in fleet_model.services if check.applies(s, fleet_model)] == ["audit"]
        assert [s.name for s in without.services if check.applies(s, without)] == []

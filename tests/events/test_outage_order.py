"""EVENTS-OUTAGE-ORDER judges hand-built outage observations: updates of one aggregate queued while Kafka was down
must come back in one partition, in acceptance order, none missing; and the fleet file's ``burst.update``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.events import CapturedEvent, DeliveryObservation, WriteRecord
from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.fleet import DEFAULT_FLEET_FILE, FleetFileError, load_fleet
from fleetcheck.contracts.registry import CHECKS, CheckContext, run_check

if TYPE_CHECKING:
    from fleetcheck.contracts.findings import CheckResult

TENANT = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
CUSTOMER = "4f7a2f0e-8a43-4c1e-9d7e-0d0f5a1e2b3c"
TOPIC = "master-data.customer.updated"


def _update(n: int, status: int = 200) -> WriteRecord:
    return WriteRecord("master-data", TOPIC, f"corr-{n}", CUSTOMER, status, during_outage=True)


def _record(n: int, offset: int, *, partition: int = 1, event_id: str = "", timed: bool = True) -> CapturedEvent:
    envelope = {"specversion": "1.0", "id": event_id or f"00000000-0000-4000-8000-{n:012d}", "type": TOPIC,
                "source": "/master-data", "subject": CUSTOMER, "tenantid": TENANT,
                "correlationid": f"corr-{n}"}  # fmt: skip
    if timed:
        envelope["time"] = f"2026-12-02T14:00:00.{n:03d}Z"
    value = json.dumps(envelope).encode()
    return CapturedEvent(TOPIC, partition, offset, CUSTOMER, value, (("x-tenant-id", TENANT),))


def _delivery(*events: CapturedEvent, updates: tuple[WriteRecord, ...] | None = None) -> DeliveryObservation:
    sent = updates if updates is not None else tuple(_update(n) for n in range(1, 6))
    return DeliveryObservation((), events, (), (("master-data", 0.0),), outage_s=12.3, drained_s=2.0, updates=sent)


def test_updates_delivered_in_acceptance_order_pass(judge) -> None:
    result = judge("EVENTS-OUTAGE-ORDER", "master-data", _delivery(*(_record(n, 40 + n) for n in range(1, 6))))
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]
    assert result.judged == 5


def test_updates_relayed_newest_first_fail_with_offsets_and_correlation_ids(judge) -> None:
    reversed_ = [_record(n, 50 - n) for n in range(1, 6)]  # corr-1 at offset 49, ..., corr-5 at offset 45
    result = judge("EVENTS-OUTAGE-ORDER", "master-data", _delivery(*reversed_))
    assert result.outcome is Outcome.FAILED
    (finding,) = result.findings
    assert "their offsets [49, 48, 47, 46, 45] do not rise in acceptance order" in finding.observed
    assert "#1 corr-1 -> master-data.customer.updated[1]@49" in finding.observed
    assert "5 updates of aggregate " + CUSTOMER in finding.expected
    assert "12.3 s" in finding.expected
    assert "order they were staged" in finding.hint


def test_an_update_that_never_arrived_fails_naming_it(judge) -> None:
    result = judge("EVENTS-OUTAGE-ORDER", "master-data", _delivery(*(_record(n, 40 + n) for n in (1, 2, 4, 5))))
    assert result.outcome is Outcome.FAILED
    assert "1 of 5 updates never reached Kafka: #3 (corr-3)" in result.findings[0].observed
    assert "#3 corr-3 -> missing" in result.findings[0].observed


def test_updates_spread_over_partitions_fail(judge) -> None:
    events = [_record(n, 40 + n, partition=n % 2) for n in range(1, 6)]
    result = judge("EVENTS-OUTAGE-ORDER", "master-data", _delivery(*events))
    assert result.outcome is Outcome.FAILED
    assert "spread over partitions 0, 1" in result.findings[0].observed


def test_a_later_redelivered_copy_does_not_count_where_it_first_landed(judge) -> None:
    # the broker took a timed-out batch in order, then the retry re-sent its rows as new records
    first = [_record(n, 40 + n) for n in range(1, 6)]
    again = [_record(n, 60 - n, event_id=f"11111111-1111-4111-8111-{n:012d}") for n in range(1, 6)]
    result = judge("EVENTS-OUTAGE-ORDER", "master-data", _delivery(*again, *first))
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]


def test_without_a_declared_update_the_check_is_not_run_with_the_reason(judge) -> None:
    result = judge("EVENTS-OUTAGE-ORDER", "auth", _delivery())
    assert result.outcome is Outcome.NOT_RUN
    assert result.reason == "the fleet file declares no burst update for auth (services[].burst.update)"


def test_no_update_sent_or_too_few_accepted_is_not_run(judge) -> None:
    none = judge("EVENTS-OUTAGE-ORDER", "master-data", _delivery(updates=()))
    assert none.outcome is Outcome.NOT_RUN
    assert "the outage sent no update of an aggregate to master-data" in none.reason
    refused = (_update(1), *(_update(n, 503) for n in range(2, 6)))
    few = judge("EVENTS-OUTAGE-ORDER", "master-data", _delivery(_record(1, 41), updates=refused))
    assert few.outcome is Outcome.NOT_RUN
    assert "accepted fewer than 2 of the 5 updates" in few.reason
    assert "4 x 503" in few.reason


def _judge_without_correlation(delivery: DeliveryObservation) -> CheckResult:
    fleet = load_fleet()
    fleet = fleet.model_copy(update={"events": fleet.events.model_copy(update={"correlation_attribute": None})})
    return run_check(CHECKS["EVENTS-OUTAGE-ORDER"], CheckContext(fleet.service("master-data"), fleet), delivery)


def test_without_correlation_ids_the_records_are_ordered_by_event_time() -> None:
    in_order = _judge_without_correlation(_delivery(*(_record(n, 40 + n) for n in range(1, 6))))
    assert in_order.outcome is Outcome.PASSED, [f.message() for f in in_order.findings]
    reversed_ = _judge_without_correlation(_delivery(*(_record(n, 50 - n) for n in range(1, 6))))
    assert reversed_.outcome is Outcome.FAILED
    observed = reversed_.findings[0].observed
    assert "their offsets [49, 48, 47, 46, 45] do not rise" in observed
    assert "by event time (no correlation id)" in observed
    assert "#1 time 2026-12-02T14:00:00.001Z -> master-data.customer.updated[1]@49" in observed
    short = _judge_without_correlation(_delivery(*(_record(n, 40 + n) for n in range(1, 5))))
    assert "1 of 5 updates never reached Kafka: #5 ((not seen))" in short.findings[0].observed


def test_without_correlation_ids_or_times_the_check_is_not_run() -> None:
    result = _judge_without_correlation(_delivery(*(_record(n, 40 + n, timed=False) for n in range(1, 6))))
    assert result.outcome is Outcome.NOT_RUN
    assert "carry no correlation id" in result.reason


def test_the_reference_fleet_declares_master_datas_update() -> None:
    burst = load_fleet().service("master-data").burst
    assert burst is not None
    assert burst.update is not None
    assert burst.update.times == 5
    (step,) = burst.update.steps
    assert step.events is not None
    assert [e.topic for e in step.events] == [TOPIC]


def _fleet_with_update(tmp_path, update: str) -> None:
    text = DEFAULT_FLEET_FILE.read_text(encoding="utf-8")
    marker = '          events: [{topic: master-data.customer.created, key: "{customer}"}]\n'
    start = text.index("      update:\n", text.index(marker))
    end = text.index("\n\n", start)
    broken = text[:start] + update + text[end:]
    path = tmp_path / "fleet.yaml"
    path.write_text(broken, encoding="utf-8")
    (tmp_path / "scenarios").symlink_to(DEFAULT_FLEET_FILE.parent / "scenarios")
    load_fleet(path)


_UNBOUND = """\
      update:
        steps:
          - name: PATCH
            request: {method: PATCH, path: "/customers/{nobody}"}
            events: [{topic: master-data.customer.updated, key: "{customer}"}]
"""
_NO_EVENT = """\
      update:
        steps:
          - name: PATCH
            request: {method: PATCH, path: "/customers/{customer}"}
"""


@pytest.mark.parametrize(
    ("update", "error"),
    [
        (_UNBOUND, "uses {nobody}, which no earlier step saves"),
        (_NO_EVENT, "burst.update: its steps must declare exactly one event in all"),
    ],
)
def test_a_burst_update_that_cannot_run_fails_at_load(tmp_path, update: str, error: str) -> None:
    with pytest.raises(FleetFileError, match=error.replace("{", r"\{").replace("}", r"\}")):
        _fleet_with_update(tmp_path, update)

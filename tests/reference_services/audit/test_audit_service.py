"""audit end to end: real auth and audit processes; events on fleet topics become exactly one audit record each."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from service_support import (
    Caller,
    TopicCapture,
    cloud_event,
    event_of,
    new_caller,
    produce,
    replay,
    sample,
    wait_for,
)

if TYPE_CHECKING:
    from fleetcheck.fixtures.launcher import RunningFleet

pytestmark = pytest.mark.servers

AUDITED = "audit_events_total"
CONSUMED = "events_consumed_total"


def _records(url: str, caller: Caller, **params: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/audit-logs", params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _registration(audit_fleet: RunningFleet, bootstrap: str) -> tuple[Caller, Any]:
    """A new tenant's user, and the auth.user.registered message auth published for it."""
    registered = TopicCapture(bootstrap, "auth.user.registered")
    caller = new_caller(audit_fleet.services["auth"].base_url)
    mine = registered.collect(match=lambda m: event_of(m)["tenantid"] == caller.tenant_id)
    assert len(mine) == 1, f"auth published {len(mine)} auth.user.registered events for tenant {caller.tenant_id}"
    return caller, mine[0]


@pytest.fixture(scope="module")
def registration(audit_fleet: RunningFleet, bootstrap: str) -> tuple[Caller, Any]:
    return _registration(audit_fleet, bootstrap)


def test_an_auth_event_yields_exactly_one_audit_record_and_one_audit_event(
    audit_fleet: RunningFleet, audit_url: str, bootstrap: str
) -> None:
    created = TopicCapture(bootstrap, "audit.log.created")
    caller, message = _registration(audit_fleet, bootstrap)
    event = event_of(message)
    records = wait_for("the audit record of the registration",
                       lambda: _records(audit_url, caller, event_id=event["id"]))  # fmt: skip
    assert len(records) == 1
    record = records[0]
    assert (record["event_type"], record["source"], record["subject"], record["tenant_id"]) == (
        "auth.user.registered",
        "/auth",
        event["subject"],
        caller.tenant_id,
    )
    assert (record["severity"], record["outcome"]) == ("info", "success")
    assert record["payload"]["data"] == event["data"]
    published = created.collect(match=lambda m: m.key == record["id"])
    assert len(published) == 1, f"expected one audit.log.created keyed {record['id']}; saw {len(published)}"
    assert (event_of(published[0])["tenantid"], event_of(published[0])["data"]["event_id"]) == (
        caller.tenant_id,
        event["id"],
    )
    assert sample(audit_url, AUDITED, event_type="auth.user.registered", tenant_id=caller.tenant_id,
                  severity="info", outcome="success") == 1  # fmt: skip


def test_a_replayed_event_creates_no_second_record(
    registration: tuple[Caller, Any], audit_url: str, bootstrap: str
) -> None:
    caller, message = registration
    event_id = event_of(message)["id"]
    wait_for("the first audit record", lambda: _records(audit_url, caller, event_id=event_id))
    duplicates = sample(audit_url, CONSUMED, topic="auth.user.registered", outcome="duplicate")
    audited = sample(audit_url, AUDITED, tenant_id=caller.tenant_id)
    replay(bootstrap, message)
    wait_for(
        "audit consuming the replayed event",
        lambda: sample(audit_url, CONSUMED, topic="auth.user.registered", outcome="duplicate") == duplicates + 1,
    )
    assert len(_records(audit_url, caller, event_id=event_id)) == 1
    assert sample(audit_url, AUDITED, tenant_id=caller.tenant_id) == audited


def test_another_tenant_can_neither_read_nor_list_the_record(
    registration: tuple[Caller, Any], other_caller: Caller, audit_url: str
) -> None:
    caller, message = registration
    event_id = event_of(message)["id"]
    record = wait_for("the audit record", lambda: _records(audit_url, caller, event_id=event_id))[0]
    item = f"{audit_url}/audit-logs/{record['id']}"
    assert httpx.get(item, headers=other_caller.headers).status_code == 404
    assert _records(audit_url, other_caller, event_id=event_id) == []
    assert {row["tenant_id"] for row in _records(audit_url, other_caller)} <= {other_caller.tenant_id}
    owner = httpx.get(item, headers=caller.headers)
    assert owner.status_code == 200
    assert owner.json()["event_id"] == event_id


def test_events_of_any_producer_are_audited_with_their_severity_and_audit_events_are_not(
    registration: tuple[Caller, Any], audit_url: str, bootstrap: str
) -> None:
    caller, _ = registration
    failed = cloud_event("workflow.process.failed", caller.tenant_id, {"reason": "ক্রয় আদেশ বাতিল 🚫 ' OR 1=1 --"})
    own = cloud_event("audit.log.created", caller.tenant_id, {"id": str(uuid.uuid4())})
    produce(bootstrap, "audit.log.created", json.dumps(own).encode(), key=own["subject"].encode())
    produce(bootstrap, "workflow.process.failed", b"{not json", key=b"garbage")
    produce(bootstrap, "workflow.process.failed", json.dumps(failed).encode(), key=failed["subject"].encode())
    record = wait_for("the workflow.process.failed record",
                      lambda: _records(audit_url, caller, event_id=failed["id"]))[0]  # fmt: skip
    assert (record["severity"], record["outcome"], record["source"]) == ("error", "failure", "/workflow")
    assert record["payload"]["data"]["reason"] == "ক্রয় আদেশ বাতিল 🚫 ' OR 1=1 --"
    assert _records(audit_url, caller, event_id=own["id"]) == []
    assert _records(audit_url, caller, event_type="audit.log.created") == []
    assert sample(audit_url, CONSUMED, topic="workflow.process.failed", outcome="failed") >= 1


def test_routes_need_a_token_and_reject_a_spoofed_tenant_and_bad_filters(
    registration: tuple[Caller, Any], audit_url: str
) -> None:
    caller, _ = registration
    assert httpx.get(f"{audit_url}/audit-logs").status_code == 401
    assert httpx.get(f"{audit_url}/audit-logs/{uuid.uuid4()}").status_code == 401
    spoofed = httpx.get(f"{audit_url}/audit-logs", headers={**caller.headers, "X-Tenant-ID": str(uuid.uuid4())})
    assert spoofed.status_code == 403
    for params in ({"event_id": "not-a-uuid"}, {"limit": "0"}, {"limit": "many"}):
        bad = httpx.get(f"{audit_url}/audit-logs", params=params, headers=caller.headers)
        assert bad.status_code == 400, (params, bad.text)
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert next(iter(params)) in bad.text
    assert httpx.get(f"{audit_url}/audit-logs/{uuid.uuid4()}", headers=caller.headers).status_code == 404
    assert httpx.post(f"{audit_url}/audit-logs", json={}, headers=caller.headers).status_code == 405

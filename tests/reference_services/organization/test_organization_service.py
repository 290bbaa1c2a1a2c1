"""The organization service end to end, as a process, against real PostgreSQL and Kafka (Tansu)."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from service_support import Caller, ServiceLaunch, TopicCapture, event_of, new_caller, samples, topics_of

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import FolderFleets
    from fleetcheck.fixtures.infra import Infrastructure
    from fleetcheck.fixtures.launcher import RunningFleet

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def fleet(fleets: FolderFleets) -> RunningFleet:
    """organization, verifying tokens against the JWKS of the real auth service (the launcher wires FLEET_JWKS_URL)."""
    return fleets.launch("organization", [ServiceLaunch("auth"), ServiceLaunch("organization")],
                         topics=topics_of("auth", "organization"))  # fmt: skip


@pytest.fixture
def client(fleet: RunningFleet) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fleet.services["organization"].base_url, timeout=10) as http:
        yield http


def _admin(fleet: RunningFleet) -> dict[str, str]:
    return {"authorization": f"Bearer {fleet.platform_admin_token}"}


def _new_tenant(client: httpx.Client, fleet: RunningFleet) -> dict[str, Any]:
    code = f"t-{uuid.uuid4().hex[:10]}"
    response = client.post("/tenants", json={"name": f"Tenant {code}", "code": code}, headers=_admin(fleet))
    assert response.status_code == 201, response.text
    return response.json()


def _user_of(fleet: RunningFleet, tenant: uuid.UUID) -> Caller:
    """A user of ``tenant`` with a token from the real auth service."""
    return new_caller(fleet.services["auth"].base_url, str(tenant))


def _sample(client: httpx.Client, name: str, **labels: str) -> float:
    found = samples(str(client.base_url).rstrip("/"), name, **labels)
    assert found, f"{name}{labels} not exposed"
    return float(found[0].value)


def test_ready_answers_200_with_postgres_and_kafka_up(client: httpx.Client) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200, response.text
    assert {name: check["status"] for name, check in response.json()["checks"].items()} == {
        "postgres": "up",
        "kafka": "up",
    }


def test_create_tenant_emits_exactly_one_created_event(
    client: httpx.Client, fleet: RunningFleet, infra: Infrastructure
) -> None:
    events = TopicCapture(infra.kafka.bootstrap, "organization.tenant.created")
    tenant = _new_tenant(client, fleet)
    mine = events.collect(match=lambda m: event_of(m)["subject"] == tenant["id"], timeout=4.0, settle=4.0)
    assert len(mine) == 1, [m.value for m in mine]
    event = event_of(mine[0])
    assert mine[0].key == tenant["id"]
    assert mine[0].header("x-tenant-id") == tenant["id"]
    assert event["specversion"] == "1.0"
    assert event["type"] == "organization.tenant.created"
    assert event["source"] == "/organization"
    assert event["tenantid"] == tenant["id"]
    assert event["data"]["code"] == tenant["code"]
    uuid.UUID(event["id"])


def test_tenant_metrics_move_by_exactly_one_per_operation(client: httpx.Client, fleet: RunningFleet) -> None:
    created = _sample(client, "organization_tenant_operations_total", operation="create", status="success")
    active = _sample(client, "organization_tenants", status="active")
    tenant = _new_tenant(client, fleet)
    assert _sample(client, "organization_tenant_operations_total", operation="create", status="success") == created + 1
    assert _sample(client, "organization_tenants", status="active") == active + 1
    suspended = _sample(client, "organization_tenants", status="suspended")
    assert client.post(f"/tenants/{tenant['id']}/suspend", headers=_admin(fleet)).status_code == 200
    assert _sample(client, "organization_tenant_operations_total", operation="suspend", status="success") >= 1
    assert _sample(client, "organization_tenants", status="active") == active
    assert _sample(client, "organization_tenants", status="suspended") == suspended + 1


def test_duplicate_tenant_code_answers_409_problem_json(client: httpx.Client, fleet: RunningFleet) -> None:
    tenant = _new_tenant(client, fleet)
    response = client.post("/tenants", json={"name": "again", "code": tenant["code"]}, headers=_admin(fleet))
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")


def test_tenants_refuse_a_missing_or_wrong_platform_admin_token(client: httpx.Client) -> None:
    assert client.get("/tenants").status_code == 401
    assert client.get("/tenants", headers={"authorization": "Bearer not-the-token"}).status_code == 401


def test_organizations_are_isolated_between_tenants(client: httpx.Client, fleet: RunningFleet) -> None:
    first, second = uuid.UUID(_new_tenant(client, fleet)["id"]), uuid.UUID(_new_tenant(client, fleet)["id"])
    as_first = {"authorization": f"Bearer {_user_of(fleet, first).token}"}
    as_second = {"authorization": f"Bearer {_user_of(fleet, second).token}"}
    org = client.post("/organizations", json={"code": "HQ", "name": "সদর দপ্তর"}, headers=as_first)
    assert org.status_code == 201, org.text
    org_id = org.json()["id"]
    assert client.get(f"/organizations/{org_id}", headers=as_first).json()["name"] == "সদর দপ্তর"
    assert client.get(f"/organizations/{org_id}", headers=as_second).status_code == 404
    assert client.patch(f"/organizations/{org_id}", json={"name": "x"}, headers=as_second).status_code == 404
    assert client.delete(f"/organizations/{org_id}", headers=as_second).status_code == 404
    assert client.get("/organizations", headers=as_second).json() == []
    # The same business key is free in another tenant (unique per tenant, never globally).
    assert client.post("/organizations", json={"code": "HQ", "name": "B"}, headers=as_second).status_code == 201
    assert client.get(f"/organizations/{org_id}", headers=as_first).json()["name"] == "সদর দপ্তর"


def test_tenant_routes_refuse_missing_expired_and_spoofed_tokens(client: httpx.Client, fleet: RunningFleet) -> None:
    tenant = uuid.UUID(_new_tenant(client, fleet)["id"])
    assert client.get("/organizations").status_code == 401
    # An expired token cannot be had from the real auth service (900 s tokens, an in-memory key): see the report.
    spoofed = {"authorization": f"Bearer {_user_of(fleet, tenant).token}", "x-tenant-id": str(uuid.uuid4())}
    response = client.get("/organizations", headers=spoofed)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


def test_division_cannot_reference_another_tenants_organization(client: httpx.Client, fleet: RunningFleet) -> None:
    first, second = uuid.UUID(_new_tenant(client, fleet)["id"]), uuid.UUID(_new_tenant(client, fleet)["id"])
    as_first = {"authorization": f"Bearer {_user_of(fleet, first).token}"}
    org_id = client.post("/organizations", json={"code": "A", "name": "A"}, headers=as_first).json()["id"]
    body = {"organization_id": org_id, "code": "D1", "name": "Dhaka"}
    foreign = client.post("/divisions", json=body, headers={"authorization": f"Bearer {_user_of(fleet, second).token}"})
    assert foreign.status_code == 400
    assert client.post("/divisions", json=body, headers=as_first).status_code == 201


def test_ready_turns_503_within_its_timeout_when_postgres_freezes_and_recovers(
    client: httpx.Client, fleet: RunningFleet, infra: Infrastructure
) -> None:
    hook = infra.postgres.faults
    assert hook is not None
    hook.inject("freeze")
    try:
        for _ in range(3):  # repeated probes must not pile up on the frozen pool
            started = time.monotonic()
            response = client.get("/health/ready")
            elapsed = time.monotonic() - started
            assert response.status_code == 503, response.text
            assert response.json()["checks"]["postgres"]["status"] == "down"
            assert response.json()["checks"]["kafka"]["status"] == "up"
            assert elapsed < 2.5, f"ready took {elapsed:.2f} s with a 2 s dependency timeout"
        assert client.get("/health/live").status_code == 200
        assert client.get("/health").status_code == 200
    finally:
        hook.restore("freeze")
    deadline = time.monotonic() + 20
    while client.get("/health/ready").status_code != 200:
        assert time.monotonic() < deadline, "ready did not return to 200 within 20 s after PostgreSQL thawed"
        time.sleep(0.2)
    _new_tenant(client, fleet)  # the pool is usable again, without a restart

"""master-data end to end: real auth and master-data processes on embedded PostgreSQL and Tansu."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from service_support import Caller, event_of, sample

if TYPE_CHECKING:
    from fleetcheck.fixtures.launcher import RunningFleet

pytestmark = pytest.mark.servers

CRUD = "master_data_crud_operations_total"
INVALID = "master_data_validation_errors_total"


def _url(fleet: RunningFleet) -> str:
    return fleet.services["master-data"].base_url


def _customer(**extra: Any) -> dict[str, Any]:
    return {
        "code": f"C-{uuid.uuid4().hex[:8]}",
        "name": "Rahim Traders",
        "name_bn": "রহিম ট্রেডার্স",
        "phone": "01712-345678",
        "tin": "1234-5678-9012",
        **extra,
    }


def test_created_customer_is_stored_and_published_once_with_its_id_as_key(
    md_fleet: RunningFleet, caller: Caller, capture: Any
) -> None:
    url = _url(md_fleet)
    events = capture("master-data.customer.created")
    before = sample(url, CRUD, entity_type="customer", operation="create")
    response = httpx.post(f"{url}/customers", json=_customer(), headers=caller.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name_bn"] == "রহিম ট্রেডার্স"
    assert (body["phone"], body["tin"], body["tenant_id"]) == ("+8801712345678", "123456789012", caller.tenant_id)
    mine = [m for m in events.collect() if m.key == body["id"]]
    assert len(mine) == 1, f"expected exactly one master-data.customer.created for {body['id']}; saw {len(mine)}"
    event = event_of(mine[0])
    assert (event["type"], event["subject"], event["tenantid"]) == (
        "master-data.customer.created",
        body["id"],
        caller.tenant_id,
    )
    assert mine[0].header("x-tenant-id") == caller.tenant_id
    assert event["data"]["name_bn"] == "রহিম ট্রেডার্স"
    assert sample(url, CRUD, entity_type="customer", operation="create") == before + 1


def test_another_tenant_gets_404_and_cannot_change_or_list_the_customer(
    md_fleet: RunningFleet, caller: Caller, other_caller: Caller
) -> None:
    url = _url(md_fleet)
    created = httpx.post(f"{url}/customers", json=_customer(), headers=caller.headers).json()
    item = f"{url}/customers/{created['id']}"
    assert httpx.get(item, headers=other_caller.headers).status_code == 404
    assert httpx.patch(item, json={"name": "stolen"}, headers=other_caller.headers).status_code == 404
    assert httpx.delete(item, headers=other_caller.headers).status_code == 404
    listed = httpx.get(f"{url}/customers", headers=other_caller.headers).json()
    assert created["id"] not in {row["id"] for row in listed}
    assert {row["tenant_id"] for row in listed} <= {other_caller.tenant_id}
    # re-read as the owner: neither the update nor the delete of the other tenant changed the row
    assert httpx.get(item, headers=caller.headers).json()["name"] == "Rahim Traders"


def test_garbage_json_is_400_problem_and_stores_nothing(md_fleet: RunningFleet, caller: Caller) -> None:
    url = _url(md_fleet)
    stored = len(httpx.get(f"{url}/customers", params={"limit": 500}, headers=caller.headers).json())
    errors = sample(url, INVALID, entity_type="customer", field="body", error_type="malformed_json")
    creates = sample(url, CRUD, entity_type="customer", operation="create")
    response = httpx.post(
        f"{url}/customers", content=b"{not json", headers={**caller.headers, "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {"type", "title", "status", "detail"} <= response.json().keys()
    assert len(httpx.get(f"{url}/customers", params={"limit": 500}, headers=caller.headers).json()) == stored
    assert sample(url, INVALID, entity_type="customer", field="body", error_type="malformed_json") == errors + 1
    assert sample(url, CRUD, entity_type="customer", operation="create") == creates


def test_invalid_tin_is_422_naming_the_field_and_counted_once(md_fleet: RunningFleet, caller: Caller) -> None:
    url = _url(md_fleet)
    before = sample(url, INVALID, entity_type="customer", field="tin", error_type="invalid_length")
    response = httpx.post(f"{url}/customers", json=_customer(tin="12345"), headers=caller.headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "tin" in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "tin"
    assert sample(url, INVALID, entity_type="customer", field="tin", error_type="invalid_length") == before + 1


def test_duplicate_code_in_a_tenant_is_409_but_another_tenant_may_reuse_it(
    md_fleet: RunningFleet, caller: Caller, other_caller: Caller
) -> None:
    url = _url(md_fleet)
    body = _customer()
    assert httpx.post(f"{url}/customers", json=body, headers=caller.headers).status_code == 201
    duplicate = httpx.post(f"{url}/customers", json=body, headers=caller.headers)
    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"].startswith("application/problem+json")
    assert body["code"] in duplicate.json()["detail"]
    assert httpx.post(f"{url}/customers", json=body, headers=other_caller.headers).status_code == 201


def test_missing_token_is_401_and_spoofed_tenant_header_is_403(md_fleet: RunningFleet, caller: Caller) -> None:
    url = _url(md_fleet)
    assert httpx.get(f"{url}/customers").status_code == 401
    assert httpx.get(f"{url}/customers", headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
    spoofed = httpx.get(f"{url}/customers", headers={**caller.headers, "X-Tenant-ID": str(uuid.uuid4())})
    assert spoofed.status_code == 403


def test_product_vat_rate_is_a_percentage_and_account_parent_must_be_in_the_tenant(
    md_fleet: RunningFleet, caller: Caller, other_caller: Caller
) -> None:
    url = _url(md_fleet)
    product = httpx.post(
        f"{url}/products",
        json={"sku": f"S-{uuid.uuid4().hex[:6]}", "name": "Rice", "vat_rate": 15},
        headers=caller.headers,
    )
    assert product.status_code == 201, product.text
    assert product.json()["vat_rate"] == "15.00"
    parent = httpx.post(
        f"{url}/accounts",
        json={"code": f"A-{uuid.uuid4().hex[:6]}", "name": "Assets", "account_type": "asset", "balance": "1000.50"},
        headers=caller.headers,
    )
    assert parent.json()["balance"] == "1000.50"
    foreign = httpx.post(
        f"{url}/accounts",
        json={"code": "X1", "name": "Cash", "account_type": "asset", "parent_id": parent.json()["id"]},
        headers=other_caller.headers,
    )
    assert foreign.status_code == 422
    assert "parent_id" in foreign.json()["detail"]


def test_update_and_delete_publish_their_events_and_delete_hides_the_row(
    md_fleet: RunningFleet, caller: Caller, capture: Any
) -> None:
    url = _url(md_fleet)
    vendor = httpx.post(
        f"{url}/vendors",
        json={"code": f"V-{uuid.uuid4().hex[:6]}", "name": "Supplier", "bin": "123456789"},
        headers=caller.headers,
    ).json()
    updated, deleted = capture("master-data.vendor.updated"), capture("master-data.vendor.deleted")
    item = f"{url}/vendors/{vendor['id']}"
    patched = httpx.patch(item, json={"phone": "+8801812345678"}, headers=caller.headers)
    assert patched.status_code == 200
    assert patched.json()["phone"] == "+8801812345678"
    assert httpx.delete(item, headers=caller.headers).status_code == 204
    assert httpx.get(item, headers=caller.headers).status_code == 404
    assert [m.key for m in updated.collect()].count(vendor["id"]) == 1
    assert [m.key for m in deleted.collect()].count(vendor["id"]) == 1

"""api-gateway end to end: real organization, auth, master-data, workflow, rules-engine and gateway processes on
embedded PostgreSQL and Tansu; tokens come from the real auth service (register + login)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import httpx
import psutil
import pytest
from gw_support import graphql
from service_support import Caller, event_of, sample

if TYPE_CHECKING:
    from fleetcheck.fixtures.launcher import RunningFleet

pytestmark = pytest.mark.servers

CALLS = "gateway_service_call_total"
OPERATIONS = "gateway_federated_query_total"
CUSTOMER_FIELDS = "id tenantId code name nameBn phone tin"
CREATE = f"mutation Create($input: CustomerInput!) {{ createCustomer(input: $input) {{ {CUSTOMER_FIELDS} }} }}"
LIST = f"query List {{ customers(limit: 500) {{ {CUSTOMER_FIELDS} }} }}"
ONE = f"query One($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}"
UPDATE = (f"mutation Update($id: ID!, $input: CustomerPatch!) "
          f"{{ updateCustomer(id: $id, input: $input) {{ {CUSTOMER_FIELDS} }} }}")  # fmt: skip
DELETE = "mutation Delete($id: ID!) { deleteCustomer(id: $id) }"


def _customer(**extra: Any) -> dict[str, Any]:
    return {"code": f"C-{uuid.uuid4().hex[:8]}", "name": "Rahim Traders", "nameBn": "রহিম ট্রেডার্স",
            "phone": "01712-345678", "tin": "1234-5678-9012", **extra}  # fmt: skip


def _create(gateway_url: str, caller: Caller, **extra: Any) -> dict[str, Any]:
    response = graphql(gateway_url, CREATE, {"input": _customer(**extra)}, headers=caller.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("errors") is None, body
    return body["data"]["createCustomer"]


def _keyed(key: str) -> Any:
    return lambda message: message.key == key


def test_customer_created_through_the_gateway_is_in_master_data_with_exactly_one_event(
    gw_fleet: RunningFleet, gateway_url: str, caller: Caller, capture: Any
) -> None:
    master_data = gw_fleet.services["master-data"].base_url
    created_events = capture("master-data.customer.created")
    mutation_events = capture("gateway.mutation.received")
    calls = sample(gateway_url, CALLS, service="master-data", status="200")
    mutations = sample(gateway_url, OPERATIONS, operation_type="mutation")
    queries = sample(gateway_url, OPERATIONS, operation_type="query")

    customer = _create(gateway_url, caller)
    assert (customer["tenantId"], customer["phone"], customer["tin"]) == (caller.tenant_id, "+8801712345678",
                                                                          "123456789012")  # fmt: skip
    assert customer["nameBn"] == "রহিম ট্রেডার্স"
    listed = graphql(gateway_url, LIST, headers=caller.headers).json()["data"]["customers"]
    assert customer["id"] in {row["id"] for row in listed}

    # read back over master-data's own REST API, with the same token
    stored = httpx.get(f"{master_data}/customers/{customer['id']}", headers=caller.headers, timeout=30)
    assert stored.status_code == 200, stored.text
    assert (stored.json()["code"], stored.json()["tenant_id"]) == (customer["code"], caller.tenant_id)

    mine = created_events.collect(match=_keyed(customer["id"]))
    assert len(mine) == 1, f"expected exactly one master-data.customer.created for {customer['id']}; saw {len(mine)}"
    assert event_of(mine[0])["tenantid"] == caller.tenant_id
    received = [event_of(m) for m in mutation_events.collect()]
    assert [(e["tenantid"], e["data"]["operation_name"]) for e in received] == [(caller.tenant_id, "Create")]
    assert sample(gateway_url, CALLS, service="master-data", status="200") == calls + 2
    assert sample(gateway_url, OPERATIONS, operation_type="mutation") == mutations + 1
    assert sample(gateway_url, OPERATIONS, operation_type="query") == queries + 1


def test_me_and_organizations_come_from_auth_and_organization(gateway_url: str, caller: Caller) -> None:
    response = graphql(gateway_url, "{ me { id email tenantId } organizations { id tenantId } }",
                       headers=caller.headers)  # fmt: skip
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["me"] == {"id": caller.user_id, "email": caller.email, "tenantId": caller.tenant_id}
    assert {row["tenantId"] for row in data["organizations"]} <= {caller.tenant_id}


def test_without_a_token_the_gateway_answers_401_calls_no_subgraph_and_publishes_auth_failed(
    gateway_url: str, capture: Any
) -> None:
    events = capture("gateway.auth.failed")
    calls = sample(gateway_url, CALLS)
    operations = sample(gateway_url, OPERATIONS)
    response = graphql(gateway_url, LIST)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text
    refused = [event_of(m) for m in events.collect()]
    assert [(e["type"], e["data"]["reason"]) for e in refused] == [("gateway.auth.failed", "missing_token")]
    assert sample(gateway_url, CALLS) == calls
    assert sample(gateway_url, OPERATIONS) == operations


def test_a_forged_token_is_refused_as_invalid(gateway_url: str, caller: Caller, capture: Any) -> None:
    events = capture("gateway.auth.failed")
    forged = caller.token[:-4] + ("AAAA" if not caller.token.endswith("AAAA") else "BBBB")
    response = graphql(gateway_url, LIST, headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert [event_of(m)["data"]["reason"] for m in events.collect()] == ["invalid_token"]


def test_a_spoofed_x_tenant_id_is_rejected(gateway_url: str, caller: Caller, other_caller: Caller) -> None:
    response = graphql(gateway_url, LIST, headers={**caller.headers, "X-Tenant-ID": other_caller.tenant_id})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


def test_another_tenant_never_sees_the_customer_through_the_gateway(
    gateway_url: str, caller: Caller, other_caller: Caller
) -> None:
    customer = _create(gateway_url, caller)
    foreign = graphql(gateway_url, ONE, {"id": customer["id"]}, headers=other_caller.headers).json()
    assert foreign == {"data": {"customer": None}}
    listed = graphql(gateway_url, LIST, headers=other_caller.headers).json()["data"]["customers"]
    assert customer["id"] not in {row["id"] for row in listed}
    assert {row["tenantId"] for row in listed} <= {other_caller.tenant_id}
    # re-read as the owner: still there, unchanged
    own = graphql(gateway_url, ONE, {"id": customer["id"]}, headers=caller.headers).json()["data"]["customer"]
    assert own == customer


def _not_found_shape(body: dict[str, Any], the_id: str) -> Any:
    (error,) = body["errors"]
    return body["data"], error["message"].replace(the_id, "<id>"), error["extensions"]


def test_update_and_delete_mutations_work_for_the_owner_and_answer_another_tenant_as_a_missing_id(
    gateway_url: str, caller: Caller, other_caller: Caller
) -> None:
    customer, missing = _create(gateway_url, caller), str(uuid.uuid4())
    for document, variables, field in (
        (UPDATE, {"input": {"name": "Karim Traders"}}, "updateCustomer"),
        (DELETE, {}, "deleteCustomer"),
    ):
        foreign = graphql(gateway_url, document, {"id": customer["id"], **variables}, headers=other_caller.headers)
        absent = graphql(gateway_url, document, {"id": missing, **variables}, headers=other_caller.headers)
        assert _not_found_shape(foreign.json(), customer["id"]) == _not_found_shape(absent.json(), missing)
        assert foreign.json()["data"] == {field: None}
        assert foreign.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        own = graphql(gateway_url, ONE, {"id": customer["id"]}, headers=caller.headers).json()["data"]["customer"]
        assert own["name"] == customer["name"]  # the refused call changed nothing
    updated = graphql(gateway_url, UPDATE, {"id": customer["id"], "input": {"name": "Karim Traders"}},
                      headers=caller.headers).json()  # fmt: skip
    assert updated["data"]["updateCustomer"] == {**customer, "name": "Karim Traders"}
    deleted = graphql(gateway_url, DELETE, {"id": customer["id"]}, headers=caller.headers).json()
    assert deleted == {"data": {"deleteCustomer": True}}
    gone = graphql(gateway_url, ONE, {"id": customer["id"]}, headers=caller.headers).json()
    assert gone == {"data": {"customer": None}}


def test_invalid_customer_is_a_graphql_error_naming_the_field_without_internals(
    gw_fleet: RunningFleet, gateway_url: str, caller: Caller
) -> None:
    master_data = gw_fleet.services["master-data"].base_url
    code = f"C-{uuid.uuid4().hex[:8]}"
    response = graphql(gateway_url, CREATE, {"input": _customer(code=code, phone="12345", nameBn="👍 ভুল")},
                       headers=caller.headers)  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", "phone")
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    rows = httpx.get(f"{master_data}/customers", params={"limit": 500}, headers=caller.headers, timeout=30).json()
    assert code not in {row["code"] for row in rows}


def test_duplicate_code_is_a_conflict_error(gateway_url: str, caller: Caller) -> None:
    customer = _create(gateway_url, caller)
    response = graphql(gateway_url, CREATE, {"input": _customer(code=customer["code"])}, headers=caller.headers)
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "CONFLICT"


def test_a_malformed_document_is_a_graphql_error_and_no_operation(gateway_url: str, caller: Caller) -> None:
    operations = sample(gateway_url, OPERATIONS)
    response = graphql(gateway_url, "{ customers { id ", headers=caller.headers)
    assert response.status_code in (200, 400)  # GraphQL over HTTP allows both for a document that does not parse
    assert response.json()["errors"][0]["message"].startswith("Syntax Error")
    assert sample(gateway_url, OPERATIONS) == operations


def test_ready_lists_every_subgraph_and_its_probes_are_not_counted_as_calls(gateway_url: str) -> None:
    calls = sample(gateway_url, CALLS)
    for _ in range(3):
        ready = httpx.get(f"{gateway_url}/health/ready", timeout=30)
        assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"]) == {"auth", "master-data", "workflow", "rules-engine", "organization", "kafka"}
    httpx.get(f"{gateway_url}/health/dependencies", timeout=30)
    assert sample(gateway_url, CALLS) == calls


def test_a_frozen_subgraph_is_a_federation_error_and_ready_recovers(
    gw_fleet: RunningFleet, gateway_url: str, caller: Caller, capture: Any
) -> None:
    events = capture("gateway.federation.error")
    timeouts = sample(gateway_url, CALLS, service="organization", status="timeout")
    process = gw_fleet.process("organization")
    process.freeze()
    try:
        response = graphql(gateway_url, "{ organizations { id } }", headers=caller.headers, timeout=60)
        ready = httpx.get(f"{gateway_url}/health/ready", timeout=30)
    finally:
        process.thaw()
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "SUBGRAPH_UNAVAILABLE", "service": "organization"}
    assert ready.status_code == 503
    assert ready.json()["checks"]["organization"]["status"] == "down"
    failed = [event_of(m) for m in events.collect()]
    assert [(e["data"]["service"], e["data"]["status"], e["tenantid"]) for e in failed] == [
        ("organization", "timeout", caller.tenant_id)
    ]
    assert sample(gateway_url, CALLS, service="organization", status="timeout") == timeouts + 1
    assert httpx.get(f"{gateway_url}/health/ready", timeout=30).status_code == 200


def test_gateway_rss_after_start_is_reported(gw_fleet: RunningFleet) -> None:
    rss = psutil.Process(gw_fleet.services["api-gateway"].pid).memory_info().rss
    print(f"api-gateway RSS: {rss / 1_048_576:.1f} MiB")
    assert 0 < rss < 536_870_912  # the live threshold of the process contract


def test_processes_and_evaluations_come_from_workflow_and_rules_engine_per_tenant(
    gateway_url: str, caller: Caller, other_caller: Caller
) -> None:
    start = ("mutation Start($input: ProcessInput!) { startProcess(input: $input) "
             "{ id tenantId workflowType status businessKey amountBdt } }")  # fmt: skip
    key = f"PO-{uuid.uuid4().hex[:8]}"
    response = graphql(gateway_url, start, {"input": {"workflowType": "purchase-order", "businessKey": key,
                                                      "amountBdt": "125000.50"}}, headers=caller.headers)  # fmt: skip
    assert response.json().get("errors") is None, response.text
    process = response.json()["data"]["startProcess"]
    assert (process["tenantId"], process["businessKey"], process["amountBdt"]) == (caller.tenant_id, key, "125000.50")
    one = "query One($id: ID!) { process(id: $id) { id businessKey } }"
    assert graphql(gateway_url, one, {"id": process["id"]}, headers=caller.headers).json()["data"]["process"] == {
        "id": process["id"],
        "businessKey": key,
    }
    assert graphql(gateway_url, one, {"id": process["id"]}, headers=other_caller.headers).json() == {
        "data": {"process": None}
    }
    listed = graphql(gateway_url, "{ processes { id } }", headers=other_caller.headers).json()["data"]["processes"]
    assert process["id"] not in {row["id"] for row in listed}

    evaluate = ("mutation Evaluate($input: EvaluateInput!) { evaluate(input: $input) "
                "{ id tenantId ruleType outcome ratePercent taxAmountBdt } }")  # fmt: skip
    response = graphql(gateway_url, evaluate, {"input": {"entityType": "invoice", "entityId": "INV-1",
                                                         "ruleType": "vat", "amountBdt": "1000.00"}},
                       headers=caller.headers)  # fmt: skip
    assert response.json().get("errors") is None, response.text
    evaluation = response.json()["data"]["evaluate"]
    assert (evaluation["tenantId"], evaluation["ruleType"]) == (caller.tenant_id, "vat")
    read = "query One($id: ID!) { evaluation(id: $id) { id } }"
    assert graphql(gateway_url, read, {"id": evaluation["id"]}, headers=other_caller.headers).json() == {
        "data": {"evaluation": None}
    }


@pytest.mark.parametrize("subgraph", ["auth", "master-data", "organization", "workflow", "rules-engine"])
def test_each_subgraph_refuses_graphql_without_a_token_with_401_problem(gw_fleet: RunningFleet, subgraph: str) -> None:
    response = graphql(gw_fleet.services[subgraph].base_url, "{ __typename }")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_subgraph_answers_its_own_tenant_only_when_called_directly(
    gw_fleet: RunningFleet, gateway_url: str, caller: Caller, other_caller: Caller
) -> None:
    customer = _create(gateway_url, caller)
    master_data = gw_fleet.services["master-data"].base_url
    assert graphql(master_data, ONE, {"id": customer["id"]}, headers=other_caller.headers).json() == {
        "data": {"customer": None}
    }
    assert graphql(master_data, ONE, {"id": customer["id"]}, headers=caller.headers).json() == {
        "data": {"customer": customer}
    }

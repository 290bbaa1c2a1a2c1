"""Every reference service publishes a valid OpenAPI document, and schemathesis (positive and negative cases) finds no
server error, no undocumented status code or content type and no response that breaks its declared schema.

The default run sends a few cases per operation and mode (``CONFORMANCE_EXAMPLES``, default 8); the ``slow`` test
sends at least 100 per operation (``pytest tests/conformance -m slow``). GraphQL is fuzzed through the api-gateway
with ``schemathesis.graphql`` (positive cases only: schemathesis 4 generates no negative GraphQL queries).
"""

from __future__ import annotations

import os
import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import schemathesis
from _conformance_fuzz import fuzz_service, load_schema
from schemathesis import GenerationMode

from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.reference import reference_module

if TYPE_CHECKING:
    from conftest import LiveFleet

pytestmark = pytest.mark.servers

DEFAULT_EXAMPLES = int(os.environ.get("CONFORMANCE_EXAMPLES", "8"))
SLOW_EXAMPLES = 100
# Reference services that exist now, in start order: parametrizing by these keeps test ids stable and readable. Not
# imported from conftest.py: with several folders collected, `conftest` can name another folder's (seen).
SERVICES = [name for name in load_fleet().start_order() if reference_module(name) is not None]
_REST_SERVICES = [name for name in SERVICES if name != "api-gateway"]  # the gateway serves only /graphql


@pytest.mark.parametrize("service", SERVICES)
def test_openapi_document_is_valid(openapi_documents: dict[str, dict[str, Any]], live_fleet: LiveFleet,
                                   service: str) -> None:  # fmt: skip
    document = openapi_documents[service]
    assert document.get("openapi", "").startswith("3."), f"{service}: not an OpenAPI 3 document"
    load_schema(document, live_fleet.url(service))  # raises with the JSON-Schema error when it is not valid OpenAPI


def _fuzz(live_fleet: LiveFleet, document: dict[str, Any], service: str, examples: int, budget_s: float) -> None:
    schema = load_schema(document, live_fleet.url(service))
    report = fuzz_service(schema, lambda path: live_fleet.bearer_for(service, path), max_examples=examples,
                          deadline_s=budget_s)  # fmt: skip
    assert report.cases, f"{service}: schemathesis generated no case (does the document list any operation?)"
    assert report.clean, f"{service}: schemathesis found\n{report.render()}"


@pytest.mark.parametrize("service", _REST_SERVICES)
def test_schemathesis_finds_no_nonconformance(openapi_documents: dict[str, dict[str, Any]], live_fleet: LiveFleet,
                                              service: str) -> None:  # fmt: skip
    _fuzz(live_fleet, openapi_documents[service], service, DEFAULT_EXAMPLES, budget_s=60.0)


@pytest.mark.slow
@pytest.mark.parametrize("service", _REST_SERVICES)
def test_schemathesis_finds_no_nonconformance_in_100_cases_per_operation(
    openapi_documents: dict[str, dict[str, Any]], live_fleet: LiveFleet, service: str
) -> None:
    _fuzz(live_fleet, openapi_documents[service], service, SLOW_EXAMPLES, budget_s=1800.0)


# Errors the gateway labels as the caller's (extensions.code): schemathesis knows only Apollo's client codes and would
# call a duplicate generated customer code (CONFLICT) a server error. SUBGRAPH_UNAVAILABLE, INTERNAL_SERVER_ERROR or
# an unlabelled error stay failures.
CLIENT_ERROR_CODES = frozenset({"CONFLICT", "BAD_USER_INPUT", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"})


def _labelled_client_error(failure: Any) -> bool:
    errors = getattr(failure, "errors", None)
    if not errors:
        return False
    return all((error.get("extensions") or {}).get("code") in CLIENT_ERROR_CODES for error in errors)


def _fuzz_gateway_graphql(live_fleet: LiveFleet, examples: int) -> None:
    url = live_fleet.url("api-gateway") + "/graphql"
    headers = live_fleet.bearer_for("api-gateway", "/graphql")
    schema = schemathesis.graphql.from_url(url, headers=headers, timeout=30)
    checks = [schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance]
    report = fuzz_service(schema, lambda _path: headers, max_examples=examples, deadline_s=600.0,
                          modes=(GenerationMode.POSITIVE,), checks=checks, expected=_labelled_client_error)  # fmt: skip
    assert report.cases, "schemathesis found no query or mutation in the gateway's GraphQL schema"
    assert report.clean, f"api-gateway /graphql: schemathesis found\n{report.render()}"


def test_gateway_graphql_has_no_server_error(live_fleet: LiveFleet) -> None:
    _fuzz_gateway_graphql(live_fleet, DEFAULT_EXAMPLES)


@pytest.mark.slow
def test_gateway_graphql_has_no_server_error_in_100_cases_per_field(live_fleet: LiveFleet) -> None:
    _fuzz_gateway_graphql(live_fleet, SLOW_EXAMPLES)


def test_the_fuzzed_data_stays_out_of_the_tenant_the_contract_tests_judge(
    live_fleet: LiveFleet, fleet_target: Any
) -> None:
    """An approval rule that cannot decide (schemathesis generates such rules) in the conformance suite's tenant must
    not touch the synthetic tenant tests/contract and tests/pact judge on the same fleet: there it would match every
    purchase order, and every process would fail."""
    rules, processes = live_fleet.url("rules-engine") + "/rules", live_fleet.url("workflow") + "/processes"
    broken = {"code": f"CONF-{uuid.uuid4().hex[:8]}", "rule_type": "approval", "priority": 1000,
              "actions": [{"action_type": "set_rate", "parameters": {"rate_percent": "1.00"}}]}  # fmt: skip
    fuzzing = {"Authorization": f"Bearer {live_fleet.tenant_token}"}
    created = httpx.post(rules, json=broken, headers=fuzzing, timeout=30.0)
    assert created.status_code == 201, created.text
    judged = {"Authorization": f"Bearer {fleet_target.credentials.tenant_token}"}
    try:
        order = {"workflow_type": "purchase-order", "business_key": f"CONF-PO-{uuid.uuid4().hex[:8]}",
                 "amount_bdt": "125000.00"}  # fmt: skip
        started = httpx.post(processes, json=order, headers=judged, timeout=30.0)
        assert started.status_code == 201, started.text
        url, status, deadline = f"{processes}/{started.json()['id']}", "", time.monotonic() + 30.0
        while time.monotonic() < deadline and status not in {"completed", "failed"}:
            time.sleep(0.2)
            status = httpx.get(url, headers=judged, timeout=30.0).json()["status"]
        assert status == "completed", f"the judged tenant's purchase order of 125000.00 BDT ended {status!r}"
    finally:
        httpx.delete(f"{rules}/{created.json()['id']}", headers=fuzzing, timeout=30.0)

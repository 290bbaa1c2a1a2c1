"""Every reference service publishes a valid OpenAPI document, and schemathesis (positive and negative cases) finds no
server error, no undocumented status code or content type and no response that breaks its declared schema.

The default run sends a few cases per operation and mode (``CONFORMANCE_EXAMPLES``, default 8); the ``slow`` test
sends at least 100 per operation (``pytest tests/conformance -m slow``). GraphQL is fuzzed through the api-gateway
with ``schemathesis.graphql`` (positive cases only: schemathesis 4 generates no negative GraphQL queries).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from _conformance_fuzz import fuzz_service, load_schema
from schemathesis import GenerationMode

from conftest import SERVICES

if TYPE_CHECKING:
    from conftest import LiveFleet

pytestmark = pytest.mark.servers

DEFAULT_EXAMPLES = int(os.environ.get("CONFORMANCE_EXAMPLES", "8"))
SLOW_EXAMPLES = 100
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

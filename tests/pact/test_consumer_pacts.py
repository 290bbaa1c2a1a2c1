"""Consumer pacts: each test drives the consumer's own code against the Pact mock server (or, for a message pact,
hands the pact's example message to the consumer's own parsing function), then writes the pact file.

The written pact must equal the one committed in ``contracts/pacts/`` (the files providers are verified against);
``FLEETCHECK_REGEN_PACTS=1`` writes them there instead. No fleet runs here.

Where the brief of issue 14 and the reference consumers differ, the pact follows the consumer: the api-gateway reads
a customer through master-data's ``POST /graphql`` (a foreign id answers ``customer: null``, not a REST 404), and
it never logs in itself, so the login pact's consumer is fleetcheck (``fleetcheck.login``), which does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from _pacts import (
    CUSTOMER,
    JSON,
    MOBILE_RE,
    TENANT,
    TIME_RE,
    TIN_RE,
    USER,
    bearer_from_state,
    by_id_query,
    consumed,
    from_state,
    graphql_pact,
    message_pact,
    refused_graphql_pact,
    run_subgraph_call,
    uuid_,
    written,
)
from pact import Pact, match

from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.login import TokenSource
from fleetcheck.targets import Endpoint
from reference_services.api_gateway.schema import Customer, User, selection
from reference_services.api_gateway.subgraphs import SubgraphRefused
from reference_services.notification.messages import from_event

if TYPE_CHECKING:
    from pathlib import Path


CUSTOMER_DOC = by_id_query("customer", Customer)
ME_DOC = f"query Me {{ me {selection(User)} }}"


CUSTOMER_BODY = {
    "id": uuid_(CUSTOMER),
    "tenantId": uuid_(TENANT),
    "code": match.like("C-001"),
    "name": match.like("Padma Traders"),
    "nameBn": match.like("পদ্মা ট্রেডার্স"),
    "email": match.like("accounts@padma.example"),
    "phone": match.regex("+8801712345678", regex=MOBILE_RE),
    "tin": match.regex("123456789012", regex=TIN_RE),
    "nid": match.like("1234567890"),
    "address": match.like("Motijheel, Dhaka 1000"),
}


def _customer_query(description: str, state: str, customer: Any) -> tuple[Pact, Any]:
    """A pact of one customer query (the gateway's own document), served by the mock; returns the gateway's data."""
    variables = {"id": from_state(CUSTOMER, "customerId")}
    return graphql_pact("master-data", description, state, CUSTOMER_DOC, variables, {"customer": customer},
                        {"id": CUSTOMER})  # fmt: skip


def test_api_gateway_reads_a_customer_of_its_tenant_and_null_for_a_foreign_id(tmp_path: Path) -> None:
    own, found = _customer_query("a customer query for a customer of the caller's tenant", "tenant T has customer C",
                                 CUSTOMER_BODY)  # fmt: skip
    assert found["customer"]["tin"] == "123456789012"
    foreign, missing = _customer_query("a customer query for another tenant's customer",
                                       "customer C belongs to another tenant", None)  # fmt: skip
    assert missing == {"customer": None}  # the gateway's resolver answers null: "no such customer" for the caller
    written([own, foreign], tmp_path)


def test_api_gateway_reads_the_caller_from_auth_and_relays_a_refused_token(tmp_path: Path) -> None:
    pact = Pact("api-gateway", "auth").with_specification("V4")
    (
        pact.upon_receiving("a me query with a tenant user's token")
        .given("tenant T has user U")
        .with_request("POST", "/graphql")
        .with_header("Authorization", bearer_from_state())
        .with_body({"query": ME_DOC, "variables": {}}, JSON)
        .will_respond_with(200)
        .with_body(
            {
                "data": {
                    "me": {
                        "id": uuid_(USER),
                        "tenantId": uuid_(TENANT),
                        "email": match.like("user@padma.example"),
                        "firstName": match.like("Rahim"),
                        "lastName": match.like("Uddin"),
                        # firstNameBn is left out: it is nullable, and the gateway passes null on as it is
                        "isActive": match.bool(True),
                        "roles": match.like(["user"]),
                    }
                }
            },
            JSON,
        )
    )
    with pact.serve() as server:
        me = run_subgraph_call("auth", str(server.url), ME_DOC)
    assert me["me"]["tenantId"] == TENANT
    refused = refused_graphql_pact("auth", "a me query with a token auth does not accept", ME_DOC, {})
    with refused.serve() as server, pytest.raises(SubgraphRefused, match="answered 401"):
        run_subgraph_call("auth", str(server.url), ME_DOC, "not-a-token")
    written([pact, refused], tmp_path)


def test_fleetcheck_logs_in_as_the_fleet_file_declares(tmp_path: Path) -> None:
    fleet = load_fleet()
    pact = Pact("fleetcheck", "auth").with_specification("V4")
    (
        pact.upon_receiving("a login with a tenant user's e-mail and password")
        .given("tenant T has user U")
        .with_request("POST", "/auth/login")
        .with_body(
            {
                "tenant_id": from_state(TENANT, "tenantId"),
                "email": from_state("user@padma.example", "email"),
                "password": from_state("Secret-Passw0rd!", "password"),
            },
            JSON,
        )
        .will_respond_with(200)
        .with_body(
            {
                "access_token": match.like("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
                "refresh_token": match.like("r3fr3sh"),
                "token_type": "Bearer",
                "expires_in": match.int(900),
            },
            JSON,
        )
    )
    with pact.serve() as server:
        fields = {"tenant_id": TENANT, "email": "user@padma.example", "password": "Secret-Passw0rd!"}
        token = TokenSource.login(fleet.auth, Endpoint("auth", str(server.url)), fields).token()
        assert token == "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"
    written([pact], tmp_path)


def test_notification_sends_the_account_locked_message_for_auth_user_locked(tmp_path: Path) -> None:
    topic = "auth.user.locked"
    data = {
        "user_id": uuid_(USER),
        "tenant_id": uuid_(TENANT),
        "email": match.like("user@padma.example"),
        "failed_attempts": match.int(5),
        "locked_until": match.regex("2026-12-02T10:30:00+00:00", regex=TIME_RE),
    }
    pact = message_pact("notification", "auth", topic, "a user locked after failed logins", USER, data)
    # notification's own mapping from an event to a message
    ((request, metadata),) = consumed(pact, lambda event, metadata: (from_event(event), metadata))
    assert (request.template, request.channel, request.recipient) == ("account-locked", "email", "user@padma.example")
    assert metadata["topic"] == topic
    assert metadata["x-tenant-id"] == TENANT
    written([pact], tmp_path)

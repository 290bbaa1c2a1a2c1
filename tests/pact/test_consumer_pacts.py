"""Consumer pacts: each test drives the consumer's own code against the Pact mock server (or, for a message pact,
hands the pact's example message to the consumer's own parsing function), then writes the pact file.

The written pact must equal the one committed in ``contracts/pacts/`` (the files providers are verified against);
``FLEETCHECK_REGEN_PACTS=1`` writes them there instead. No fleet runs here.

Where the brief of issue 14 and the reference consumers differ, the pact follows the consumer: the api-gateway reads
a customer through master-data's ``POST /graphql`` (a foreign id answers ``customer: null``, not a REST 404), and
it never logs in itself, so the login pact's consumer is fleetcheck (``fleetcheck.login``), which does.
"""

from __future__ import annotations

import asyncio
import json
import os
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from pact import Pact, generate, match
from pact.match.matcher import GenericMatcher  # match.regex() takes no generator; its matcher class does
from prometheus_client import CollectorRegistry, Counter, Histogram

from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.login import TokenSource
from fleetcheck.pact import PACT_DIR, comparable
from fleetcheck.targets import Endpoint
from reference_services.api_gateway.schema import Customer, User, selection
from reference_services.api_gateway.subgraphs import SubgraphClient, SubgraphRefused
from reference_services.audit.records import facts_of
from reference_services.notification.messages import from_event

if TYPE_CHECKING:
    from pathlib import Path

UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
TIN_RE = r"^\d{12}$"  # SPEC.md: a TIN is exactly 12 digits
MOBILE_RE = r"^(\+?880|0)1[3-9]\d{8}$"  # SPEC.md: a Bangladesh mobile
TIME_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
TENANT = "0b5c7f5e-2f4c-4a8e-9d1a-3c2b1a0f9e8d"
CUSTOMER = "6f1e2d3c-4b5a-4e7f-8a9b-0c1d2e3f4a5b"
USER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
EVENT = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"  # JWT-shaped: header.claims.signature
JWT_BEARER_RE = r"^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
REGEN = os.environ.get("FLEETCHECK_REGEN_PACTS") == "1"
JSON = "application/json"


def uuid_(example: str) -> Any:
    return match.regex(example, regex=UUID_RE)


def from_state(example: str, name: str, prefix: str = "") -> Any:
    """A request value the provider state answers (``${name}``); ``example`` is what the consumer test sends."""
    return match.like(prefix + example, generator=generate.provider_state(f"{prefix}${{{name}}}"))


def bearer_from_state() -> Any:
    """``Authorization: Bearer <a JWT>``, the JWT the provider state answers as ``${token}``."""
    generator = generate.provider_state("Bearer ${token}")
    return GenericMatcher("regex", f"Bearer {TOKEN}", regex=JWT_BEARER_RE, generator=generator)


def _written(pacts: list[Pact], tmp_path: Path) -> None:
    """Write the pacts of one consumer and provider into one file (each pact was served alone, so a mock never had
    to choose between two interactions of the same request) and require the committed copy to match (or, under
    FLEETCHECK_REGEN_PACTS=1, write it to contracts/pacts/)."""
    name = f"{pacts[0].consumer}-{pacts[0].provider}.json"
    directory = PACT_DIR if REGEN else tmp_path
    for index, pact in enumerate(pacts):
        pact.write_file(directory, overwrite=index == 0)
    if REGEN:
        return
    committed = PACT_DIR / name
    assert committed.is_file(), f"{committed} is not committed; run FLEETCHECK_REGEN_PACTS=1 pytest tests/pact"
    written = json.loads((tmp_path / name).read_text(encoding="utf-8"))
    assert comparable(written) == comparable(json.loads(committed.read_text(encoding="utf-8"))), (
        f"{committed} is stale: FLEETCHECK_REGEN_PACTS=1 .venv/bin/python -m pytest tests/pact/test_consumer_pacts.py"
    )


def _subgraphs(service: str, url: str) -> SubgraphClient:
    """The gateway's own subgraph client, pointed at the mock server (its metrics in a registry of their own)."""
    registry = CollectorRegistry()
    metrics = SimpleNamespace(
        service_calls=Counter("calls", "calls", ["service", "status"], registry=registry),
        service_call_duration=Histogram("call_seconds", "seconds", ["service"], registry=registry),
    )
    return SubgraphClient({service: url}, metrics)  # type: ignore[arg-type]


async def _execute(client: SubgraphClient, service: str, document: str, token: str, **variables: Any) -> Any:
    await client.start()
    try:
        return await client.execute(service, document, variables, authorization=f"Bearer {token}", correlation_id="c1")
    finally:
        await client.stop()


CUSTOMER_DOC = f"query Customer($id: ID!) {{ customer(id: $id) {selection(Customer)} }}"
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
    pact = Pact("api-gateway", "master-data").with_specification("V4")
    (
        pact.upon_receiving(description)
        .given(state)
        .with_request("POST", "/graphql")
        .with_header("Authorization", bearer_from_state())
        .with_body({"query": CUSTOMER_DOC, "variables": {"id": from_state(CUSTOMER, "customerId")}}, JSON)
        .will_respond_with(200)
        .with_body({"data": {"customer": customer}}, JSON)
    )
    with pact.serve() as server:
        client = _subgraphs("master-data", str(server.url))
        return pact, asyncio.run(_execute(client, "master-data", CUSTOMER_DOC, TOKEN, id=CUSTOMER))


def test_api_gateway_reads_a_customer_of_its_tenant_and_null_for_a_foreign_id(tmp_path: Path) -> None:
    own, found = _customer_query("a customer query for a customer of the caller's tenant", "tenant T has customer C",
                                 CUSTOMER_BODY)  # fmt: skip
    assert found["customer"]["tin"] == "123456789012"
    foreign, missing = _customer_query("a customer query for another tenant's customer",
                                       "customer C belongs to another tenant", None)  # fmt: skip
    assert missing == {"customer": None}  # the gateway's resolver answers null: "no such customer" for the caller
    _written([own, foreign], tmp_path)


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
        me = asyncio.run(_execute(_subgraphs("auth", str(server.url)), "auth", ME_DOC, TOKEN))
    assert me["me"]["tenantId"] == TENANT
    refused = Pact("api-gateway", "auth").with_specification("V4")
    (
        refused.upon_receiving("a me query with a token auth does not accept")
        .with_request("POST", "/graphql")
        .with_header("Authorization", "Bearer not-a-token")
        .with_body({"query": ME_DOC, "variables": {}}, JSON)
        .will_respond_with(401)
        .with_header("Content-Type", match.regex("application/problem+json", regex=r"^application/problem\+json"))
        .with_body({"status": 401, "title": match.like("Unauthorized"), "detail": match.like("no valid token")})
    )
    with refused.serve() as server, pytest.raises(SubgraphRefused, match="answered 401"):
        asyncio.run(_execute(_subgraphs("auth", str(server.url)), "auth", ME_DOC, "not-a-token"))
    _written([pact, refused], tmp_path)


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
    _written([pact], tmp_path)


def _metadata(topic: str, key_example: str) -> dict[str, Any]:
    return {"topic": topic, "key": uuid_(key_example), "x-tenant-id": uuid_(TENANT)}


def _envelope(topic: str, source: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    """The CloudEvents 1.0 envelope every fleet event carries (SPEC.md, Events)."""
    return {
        "specversion": "1.0",
        "id": uuid_(EVENT),
        "source": source,
        "type": topic,
        "time": match.regex("2026-12-02T10:00:00+06:00", regex=TIME_RE),
        "subject": uuid_(subject),
        "datacontenttype": "application/json",
        "tenantid": uuid_(TENANT),
        "correlationid": match.like("c0ffee"),
        "data": data,
    }


def _body(message: str | bytes | None) -> dict[str, Any]:
    assert message is not None
    decoded = json.loads(message)
    assert isinstance(decoded, dict)
    return decoded


def test_notification_sends_the_account_locked_message_for_auth_user_locked(tmp_path: Path) -> None:
    topic = "auth.user.locked"
    pact = Pact("notification", "auth").with_specification("V4")
    data = {
        "user_id": uuid_(USER),
        "tenant_id": uuid_(TENANT),
        "email": match.like("user@padma.example"),
        "failed_attempts": match.int(5),
        "locked_until": match.regex("2026-12-02T10:30:00+00:00", regex=TIME_RE),
    }
    (
        pact.upon_receiving(f"{topic}: a user locked after failed logins", interaction="Async")
        .with_body(_envelope(topic, "/auth", USER, data), JSON)
        .with_metadata(_metadata(topic, USER))
    )
    seen: list[Any] = []

    def consume(message: str | bytes | None, metadata: dict[str, object]) -> None:
        request = from_event(_body(message))  # notification's own mapping from an event to a message
        seen.append((request, metadata))

    pact.verify(consume, "Async")
    ((request, metadata),) = seen
    assert (request.template, request.channel, request.recipient) == ("account-locked", "email", "user@padma.example")
    assert metadata["topic"] == topic
    assert metadata["x-tenant-id"] == TENANT
    _written([pact], tmp_path)


def test_audit_records_master_data_customer_created(tmp_path: Path) -> None:
    topic = "master-data.customer.created"
    pact = Pact("audit", "master-data").with_specification("V4")
    data = {
        "id": uuid_(CUSTOMER),
        "tenant_id": uuid_(TENANT),
        "code": match.like("C-001"),
        "name": match.like("Padma Traders"),
        "tin": match.regex("123456789012", regex=TIN_RE),
        "phone": match.regex("+8801712345678", regex=MOBILE_RE),
    }
    (
        pact.upon_receiving(f"{topic}: a customer created", interaction="Async")
        .with_body(_envelope(topic, "/master-data", CUSTOMER, data), JSON)
        .with_metadata(_metadata(topic, CUSTOMER))
    )
    seen: list[Any] = []
    pact.verify(lambda message, _metadata: seen.append(facts_of(_body(message))), "Async")  # audit's own mapping
    (facts,) = seen
    assert (facts.event_type, facts.severity, facts.outcome) == (topic, "info", "success")
    assert str(facts.tenant_id) == TENANT
    assert facts.subject == CUSTOMER
    _written([pact], tmp_path)

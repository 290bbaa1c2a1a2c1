"""What the consumer-pact tests share: ids, regexes and matchers (SPEC.md's formats), values a provider state
injects, the GraphQL and refused-token interactions of the gateway's subgraph calls, the CloudEvents envelope of a
message pact, and writing a consumer's pacts (or requiring the committed copy to match)."""

from __future__ import annotations

import asyncio
import json
import os
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from pact import Pact, generate, match
from pact.match.matcher import GenericMatcher  # match.regex() takes no generator; its matcher class does
from prometheus_client import CollectorRegistry, Counter, Histogram

from fleetcheck.pact import PACT_DIR, comparable
from reference_services.api_gateway.schema import selection
from reference_services.api_gateway.subgraphs import SubgraphClient

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
TIN_RE = r"^\d{12}$"  # SPEC.md: a TIN is exactly 12 digits
MOBILE_RE = r"^(\+?880|0)1[3-9]\d{8}$"  # SPEC.md: a Bangladesh mobile
TIME_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
MONEY_RE = r"^-?\d+\.\d{2}$"  # SPEC.md: money in BDT, numeric(18,2), as a string
PROBLEM_RE = r"^application/problem\+json"
TENANT = "0b5c7f5e-2f4c-4a8e-9d1a-3c2b1a0f9e8d"
CUSTOMER = "6f1e2d3c-4b5a-4e7f-8a9b-0c1d2e3f4a5b"
USER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
EVENT = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
PROCESS = "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b"
TASK = "4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c"
EVALUATION = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
ORGANIZATION = "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
FILE = "8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1a"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"  # JWT-shaped: header.claims.signature
BAD_TOKEN = "not-a-token"
JWT_BEARER_RE = r"^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
REGEN = os.environ.get("FLEETCHECK_REGEN_PACTS") == "1"
JSON = "application/json"


def uuid_(example: str) -> Any:
    return match.regex(example, regex=UUID_RE)


def time_(example: str = "2026-12-02T10:00:00+06:00") -> Any:
    return match.regex(example, regex=TIME_RE)


def money(example: str) -> Any:
    return match.regex(example, regex=MONEY_RE)


def from_state(example: str, name: str, prefix: str = "") -> Any:
    """A request value the provider state answers (``${name}``); ``example`` is what the consumer test sends."""
    return match.like(prefix + example, generator=generate.provider_state(f"{prefix}${{{name}}}"))


def bearer_from_state() -> Any:
    """``Authorization: Bearer <a JWT>``, the JWT the provider state answers as ``${token}``."""
    generator = generate.provider_state("Bearer ${token}")
    return GenericMatcher("regex", f"Bearer {TOKEN}", regex=JWT_BEARER_RE, generator=generator)


def problem(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """A problem+json body (SPEC.md: errors carry type, title, status, detail) as a consumer relies on it."""
    return {"status": status, "title": match.like(title), "detail": match.like(detail), **extra}


def written(pacts: list[Pact], tmp_path: Path) -> None:
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
        f"{committed} is stale: FLEETCHECK_REGEN_PACTS=1 .venv/bin/python -m pytest tests/pact -k consumer"
    )


# ---- the api-gateway's subgraph calls ------------------------------------------------------------------------------


def by_id_query(field: str, cls: type[Any]) -> str:
    """The gateway's document for one ``field(id:)`` of a subgraph: ``query Customer($id: ID!) { customer(...) }``."""
    return f"query {field[0].upper()}{field[1:]}($id: ID!) {{ {field}(id: $id) {selection(cls)} }}"


def subgraphs(service: str, url: str) -> SubgraphClient:
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


def run_subgraph_call(service: str, url: str, document: str, token: str = TOKEN, **variables: Any) -> Any:
    """The gateway's subgraph client sends ``document`` to ``url``; its ``data`` (or its exception)."""
    return asyncio.run(_execute(subgraphs(service, url), service, document, token, **variables))


def graphql_pact(
    provider: str,
    description: str,
    state: str | None,
    document: str,
    variables: dict[str, Any],
    data: dict[str, Any],
    sent: dict[str, Any],
) -> tuple[Pact, Any]:
    """One api-gateway -> ``provider`` GraphQL interaction (``variables`` as the pact has them, ``sent`` as the
    gateway sends them), served by the mock to the gateway's own client; returns the pact and the gateway's data."""
    pact = Pact("api-gateway", provider).with_specification("V4")
    interaction = pact.upon_receiving(description)
    if state is not None:
        interaction = interaction.given(state)
    (
        interaction.with_request("POST", "/graphql")
        .with_header("Authorization", bearer_from_state())
        .with_body({"query": document, "variables": variables}, JSON)
        .will_respond_with(200)
        .with_body({"data": data}, JSON)
    )
    with pact.serve() as server:
        return pact, run_subgraph_call(provider, str(server.url), document, **sent)


def refused_graphql_pact(provider: str, description: str, document: str, variables: dict[str, Any]) -> Pact:
    """``provider`` answers a token it does not accept with 401 problem+json; the gateway's client raises
    SubgraphRefused on it (the test asserts that, as it runs the call itself)."""
    pact = Pact("api-gateway", provider).with_specification("V4")
    (
        pact.upon_receiving(description)
        .with_request("POST", "/graphql")
        .with_header("Authorization", f"Bearer {BAD_TOKEN}")
        .with_body({"query": document, "variables": variables}, JSON)
        .will_respond_with(401)
        .with_header("Content-Type", match.regex("application/problem+json", regex=PROBLEM_RE))
        .with_body(problem(401, "Unauthorized", "no valid token"))
    )
    return pact


# ---- message pacts ---------------------------------------------------------------------------------------------------


def envelope(topic: str, source: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    """The CloudEvents 1.0 envelope every fleet event carries (SPEC.md, Events)."""
    return {
        "specversion": "1.0",
        "id": uuid_(EVENT),
        "source": source,
        "type": topic,
        "time": time_(),
        "subject": uuid_(subject),
        "datacontenttype": "application/json",
        "tenantid": uuid_(TENANT),
        "correlationid": match.like("c0ffee"),
        "data": data,
    }


def message_pact(
    consumer: str, provider: str, topic: str, what: str, key: str, data: dict[str, Any], *, subject: str | None = None
) -> Pact:
    """A V4 asynchronous message on ``topic``: the envelope as body; topic, key and x-tenant-id as metadata."""
    pact = Pact(consumer, provider).with_specification("V4")
    (
        pact.upon_receiving(f"{topic}: {what}", interaction="Async")
        .with_body(envelope(topic, f"/{provider}", subject or key, data), JSON)  # SPEC.md: source is /<service>
        .with_metadata({"topic": topic, "key": uuid_(key), "x-tenant-id": uuid_(TENANT)})
    )
    return pact


def consumed(pact: Pact, consume: Callable[[dict[str, Any], dict[str, object]], Any]) -> list[Any]:
    """Hand the pact's example message (the decoded body and its metadata) to ``consume``; what it returned."""
    seen: list[Any] = []

    def handler(message: str | bytes | None, metadata: dict[str, object]) -> None:
        assert message is not None
        body = json.loads(message)
        assert isinstance(body, dict)
        seen.append(consume(body, metadata))

    pact.verify(handler, "Async")
    return seen

"""api-gateway: a forged token refused, a query, a mutation, a mutation master-data refuses, a document that does not
validate; bursts send queries.

The gateway keys every event of a request by its own request id (also the events' correlation id), which it answers
in the ``X-Request-ID`` header; that id is each action's aggregate. One request causes two events (``received``, then
``gateway.query.completed``), so each request is recorded as two actions, one per event. The forged token is answered
401 and recorded as a refusal whose ``gateway.auth.failed`` event is judged like any other (tenant: the nil uuid,
since no verified token names one). ``gateway.federation.error`` needs a subgraph that is down or
failing, which no request of a healthy fleet causes: the scenario does not cover it.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.events import WriteRecord
from fleetcheck.observe import exchange

from ._context import ScenarioContext, Writer, tenant

if TYPE_CHECKING:
    import httpx

    from fleetcheck.targets import Credentials, Endpoint

SERVICE = "api-gateway"
REQUEST_ID = "X-Request-ID"
#: The tenant of an event whose request had no verified token.
NO_TENANT = str(uuid.UUID(int=0))
_QUERY = "query EventsCustomers($limit: Int!) { customers(limit: $limit) { id code } }"
_CREATE = "mutation EventsCreateCustomer($input: CustomerInput!) { createCustomer(input: $input) { id code } }"
_INVALID = "query EventsInvalid { noSuchField }"


def _forged(token: str) -> str:
    """The token with its signature replaced: the claims are the tenant's, the signature is no key's."""
    head = token.rpartition(".")[0]
    return f"{head}.{base64.urlsafe_b64encode(secrets.token_bytes(256)).rstrip(b'=').decode()}"


def _request(ctx: ScenarioContext, label: str, body: dict[str, Any], topics: tuple[str | None, ...], tenant_id: str,
             token: str, *, refusal: bool = False) -> None:  # fmt: skip
    """POST /graphql once, recorded as one action per event it must cause (in the order the gateway sends them)."""
    sent = ctx.send("POST", "/graphql", body, token=token)
    request_id = sent[0].header(REQUEST_ID) or ""
    for topic in topics:
        suffix = f" ({topic.rsplit('.', 1)[-1]})" if topic and len(topics) > 1 else ""
        ctx.record(label + suffix, sent, topic, request_id, tenant_id, refusal=refusal)


def scenario(ctx: ScenarioContext) -> None:
    token, tenant_id = tenant(ctx)
    _request(ctx, "POST /graphql (forged token)", {"query": _QUERY, "variables": {"limit": 1}},
             ("gateway.auth.failed",), NO_TENANT, _forged(token), refusal=True)  # fmt: skip
    _request(ctx, "POST /graphql customers", {"query": _QUERY, "variables": {"limit": 1}},
             ("gateway.query.received", "gateway.query.completed"), tenant_id, token)  # fmt: skip
    customer = {"code": f"GW-{uuid.uuid4().hex[:10]}", "name": "Gateway Event Customer"}
    mutation = {"query": _CREATE, "variables": {"input": customer}}
    _request(ctx, "POST /graphql createCustomer", mutation,
             ("gateway.mutation.received", "gateway.query.completed"), tenant_id, token)  # fmt: skip
    _request(ctx, "POST /graphql createCustomer (duplicate code)", mutation,
             ("gateway.mutation.received", "gateway.query.completed"), tenant_id, token)  # fmt: skip
    _request(ctx, "POST /graphql (document does not validate)", {"query": _INVALID}, (None,), tenant_id, token)


def _query(client: httpx.Client, endpoint: Endpoint, credentials: Credentials, n: int) -> WriteRecord:
    """One query; its record carries the gateway's request id, which is its events' correlation id."""
    headers = {"X-Correlation-ID": str(uuid.uuid4())}
    if credentials.tenant_token:
        headers["Authorization"] = f"Bearer {credentials.tenant_token}"
    body = {"query": _QUERY, "variables": {"limit": 1 + n % 5}}
    answer = exchange(client, "POST", endpoint.url("/graphql"), headers=headers, json_body=body)
    request_id = answer.header(REQUEST_ID) or headers["X-Correlation-ID"]
    return WriteRecord(SERVICE, "gateway.query.received", request_id, request_id, answer.status)


WRITER = Writer(SERVICE, "gateway.query.received", _query)

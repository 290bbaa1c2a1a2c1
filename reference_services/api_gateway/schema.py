"""The gateway's GraphQL schema: each field is resolved by one call to the subgraph that owns the data.

A gateway type declares its fields once; the document sent to the subgraph selects exactly those fields
(``selection``) and the answer is mapped back (``build``), so the gateway and subgraph schemas cannot drift silently: a
field the subgraph lacks fails the call as a federation error, visible in metrics and events.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry
from litestar import Request, Response  # noqa: TC002 - Litestar reads the context getter's annotations
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON  # noqa: TC002 - Strawberry resolves annotations at runtime

from reference_services.kernel.graphql import graphql_endpoint, is_unexpected
from reference_services.kernel.security import bearer_token, provide_principal

from .federation import Caller, Gateway

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphql import GraphQLError
    from litestar import Controller

__all__ = ["REQUEST_ID_HEADER", "graphql_controller"]

T = TypeVar("T")
#: The response header naming the gateway request: the key (and correlation id) of the events it caused.
REQUEST_ID_HEADER = "X-Request-ID"
_log = logging.getLogger("reference_services.api_gateway.schema")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _fields(cls: type[Any]) -> list[str]:
    return [field.python_name for field in cls.__strawberry_definition__.fields]


def selection(cls: type[Any]) -> str:
    """``{ id tenantId ... }`` for every field of a gateway type."""
    return "{ " + " ".join(_camel(name) for name in _fields(cls)) + " }"


def build(cls: type[T], body: dict[str, Any]) -> T:
    return cls(**{name: body.get(_camel(name)) for name in _fields(cls)})


def _input(value: Any) -> dict[str, Any]:
    return {_camel(name): item for name, item in vars(value).items() if item is not strawberry.UNSET}


# --- types (mirrors of the subgraphs' types) ------------------------------------------------------------------------


@strawberry.type(description="A customer (master-data).")
class Customer:
    id: strawberry.ID
    tenant_id: str
    code: str
    name: str
    name_bn: str | None
    email: str | None
    phone: str | None
    tin: str | None
    nid: str | None
    address: str | None
    created_at: str
    updated_at: str | None


@strawberry.input(description="A customer's optional fields (a base of the inputs, not a type of the schema).")
class CustomerDetails:
    name_bn: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    tin: str | None = strawberry.UNSET
    nid: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET


@strawberry.input
class CustomerInput(CustomerDetails):
    code: str
    name: str


@strawberry.input(description="The fields of a customer to change; the ones left out stay as they are.")
class CustomerPatch(CustomerDetails):
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET


@strawberry.type(description="The user of the bearer token (auth).")
class User:
    id: strawberry.ID
    tenant_id: str
    email: str
    first_name: str
    last_name: str
    first_name_bn: str | None
    is_active: bool
    roles: list[str]


@strawberry.type(description="An organization of the caller's tenant (organization).")
class Organization:
    id: strawberry.ID
    tenant_id: str
    code: str
    name: str
    name_bn: str | None


@strawberry.type(description="A workflow process of the caller's tenant (workflow).")
class Process:
    id: strawberry.ID
    tenant_id: str
    workflow_type: str
    status: str
    business_key: str
    amount_bdt: str | None
    variables: JSON | None
    created_at: str | None
    updated_at: str | None


@strawberry.input
class ProcessInput:
    workflow_type: str
    business_key: str
    amount_bdt: str | None = strawberry.UNSET
    variables: JSON | None = strawberry.UNSET


@strawberry.type(description="A rules evaluation of the caller's tenant (rules-engine).")
class Evaluation:
    id: strawberry.ID
    tenant_id: str
    entity_type: str
    entity_id: str
    rule_type: str | None
    amount_bdt: str | None
    outcome: str | None
    rule_code: str | None
    rate_percent: str | None
    tax_amount_bdt: str | None
    decision: str | None
    error: str | None
    trigger: str | None
    created_at: str | None


@strawberry.input
class EvaluateInput:
    entity_type: str
    entity_id: str
    rule_type: str
    amount_bdt: str | None = strawberry.UNSET
    attributes: JSON | None = strawberry.UNSET


# --- resolvers ------------------------------------------------------------------------------------------------------


async def _call(info: strawberry.Info, service: str, document: str, **variables: Any) -> dict[str, Any]:
    gateway: Gateway = info.context["gateway"]
    return await gateway.call(info.context["caller"], service, document, variables)


@strawberry.type
class Query:
    @strawberry.field(description="The caller (auth).")
    async def me(self, info: strawberry.Info) -> User | None:
        data = await _call(info, "auth", f"query Me {{ me {selection(User)} }}")
        return None if data.get("me") is None else build(User, data["me"])

    @strawberry.field(description="The caller's tenant's customers (master-data).")
    async def customers(self, info: strawberry.Info, limit: int = 100, offset: int = 0) -> list[Customer]:
        document = (f"query Customers($limit: Int!, $offset: Int!) "
                    f"{{ customers(limit: $limit, offset: $offset) {selection(Customer)} }}")  # fmt: skip
        data = await _call(info, "master-data", document, limit=limit, offset=offset)
        return [build(Customer, row) for row in data.get("customers") or []]

    @strawberry.field(description="One customer of the caller's tenant; null for a missing or foreign id.")
    async def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer | None:
        document = f"query Customer($id: ID!) {{ customer(id: $id) {selection(Customer)} }}"
        data = await _call(info, "master-data", document, id=str(id))
        return None if data.get("customer") is None else build(Customer, data["customer"])

    @strawberry.field(description="The caller's tenant's organizations (organization).")
    async def organizations(self, info: strawberry.Info) -> list[Organization]:
        data = await _call(info, "organization", f"query Organizations {{ organizations {selection(Organization)} }}")
        return [build(Organization, row) for row in data.get("organizations") or []]

    @strawberry.field(description="The caller's tenant's workflow processes, newest first (workflow).")
    async def processes(
        self,
        info: strawberry.Info,
        workflow_type: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Process]:
        document = (f"query Processes($workflowType: String, $status: String, $limit: Int!, $offset: Int!) "
                    f"{{ processes(workflowType: $workflowType, status: $status, limit: $limit, offset: $offset) "
                    f"{selection(Process)} }}")  # fmt: skip
        data = await _call(info, "workflow", document, workflowType=workflow_type, status=status, limit=limit,
                           offset=offset)  # fmt: skip
        return [build(Process, row) for row in data.get("processes") or []]

    @strawberry.field(description="One process of the caller's tenant; null for a missing or foreign id.")
    async def process(self, info: strawberry.Info, id: strawberry.ID) -> Process | None:
        document = f"query Process($id: ID!) {{ process(id: $id) {selection(Process)} }}"
        data = await _call(info, "workflow", document, id=str(id))
        return None if data.get("process") is None else build(Process, data["process"])

    @strawberry.field(description="One rules evaluation of the caller's tenant; null for a missing or foreign id.")
    async def evaluation(self, info: strawberry.Info, id: strawberry.ID) -> Evaluation | None:
        document = f"query Evaluation($id: ID!) {{ evaluation(id: $id) {selection(Evaluation)} }}"
        data = await _call(info, "rules-engine", document, id=str(id))
        return None if data.get("evaluation") is None else build(Evaluation, data["evaluation"])


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a customer in the caller's tenant (master-data).")
    async def create_customer(self, info: strawberry.Info, input: CustomerInput) -> Customer:
        document = (f"mutation CreateCustomer($input: CustomerInput!) "
                    f"{{ createCustomer(input: $input) {selection(Customer)} }}")  # fmt: skip
        data = await _call(info, "master-data", document, input=_input(input))
        return build(Customer, data["createCustomer"])

    @strawberry.mutation(description="Change a customer of the caller's tenant; NOT_FOUND for a missing or foreign id.")
    async def update_customer(self, info: strawberry.Info, id: strawberry.ID, input: CustomerPatch) -> Customer | None:
        document = (f"mutation UpdateCustomer($id: ID!, $input: CustomerPatch!) "
                    f"{{ updateCustomer(id: $id, input: $input) {selection(Customer)} }}")  # fmt: skip
        data = await _call(info, "master-data", document, id=str(id), input=_input(input))
        return None if data.get("updateCustomer") is None else build(Customer, data["updateCustomer"])

    @strawberry.mutation(description="Delete a customer of the caller's tenant; NOT_FOUND for a missing or foreign id.")
    async def delete_customer(self, info: strawberry.Info, id: strawberry.ID) -> bool | None:
        data = await _call(info, "master-data", "mutation DeleteCustomer($id: ID!) { deleteCustomer(id: $id) }",
                           id=str(id))  # fmt: skip
        return data.get("deleteCustomer")

    @strawberry.mutation(description="Start a workflow process in the caller's tenant (workflow).")
    async def start_process(self, info: strawberry.Info, input: ProcessInput) -> Process:
        document = (f"mutation StartProcess($input: ProcessInput!) "
                    f"{{ startProcess(input: $input) {selection(Process)} }}")  # fmt: skip
        data = await _call(info, "workflow", document, input=_input(input))
        return build(Process, data["startProcess"])

    @strawberry.mutation(description="Evaluate the tenant's rules of one type for an entity (rules-engine).")
    async def evaluate(self, info: strawberry.Info, input: EvaluateInput) -> Evaluation:
        document = (f"mutation Evaluate($input: EvaluateInput!) "
                    f"{{ evaluate(input: $input) {selection(Evaluation)} }}")  # fmt: skip
        data = await _call(info, "rules-engine", document, input=_input(input))
        return build(Evaluation, data["evaluate"])


# --- operations: metrics and events ---------------------------------------------------------------------------------


class OperationEvents(SchemaExtension):
    """Around each executed operation: ``gateway.<type>.received`` before; metrics, ``gateway.query.completed`` after.

    Documents that do not parse or validate are never executed, so they are neither counted nor announced.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        gateway: Gateway = context.context["gateway"]
        caller: Caller = context.context["caller"]
        operation_type = context.operation_type.value
        gateway.operation_received(caller, operation_type, context.operation_name)
        started = time.perf_counter()
        yield
        result = context.result
        errors = len(getattr(result, "errors", None) or [])
        gateway.operation_completed(caller, operation_type, context.operation_name, time.perf_counter() - started,
                                    errors)  # fmt: skip


class GatewaySchema(strawberry.Schema):
    """Logs unexpected errors with their traceback (server side only) and the caller's own errors in one line."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [error for error in errors if is_unexpected(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)
        for error in errors:
            if not is_unexpected(error):
                _log.info("GraphQL error for the caller: %s %s", error.message, error.extensions or "")


def _refusal(request: Request[Any, Any, Any], error: Exception) -> str:
    if isinstance(error, PermissionDeniedException):
        return "tenant_mismatch"
    return "missing_token" if bearer_token(request) is None else "invalid_token"


def graphql_controller(gateway: Gateway) -> type[Controller]:
    """``POST /graphql``; without a valid token: 401 problem+json and ``gateway.auth.failed``, no subgraph call.

    Every answer (a refusal too) carries the request id in ``X-Request-ID``.
    """

    async def context(request: Request[Any, Any, Any], response: Response[Any]) -> dict[str, Any]:
        request_id = str(uuid.uuid4())
        # the request id keys the request's events; the caller gets it to find them (and to quote it in a report)
        response.headers[REQUEST_ID_HEADER] = request_id
        try:
            principal = await provide_principal(request)
        except (NotAuthorizedException, PermissionDeniedException) as error:
            gateway.auth_failed(request_id, _refusal(request, error))
            error.headers = {**(error.headers or {}), REQUEST_ID_HEADER: request_id}
            raise
        # only the bearer travels on, re-assembled: never X-Tenant-ID, cookies or any other header of the caller
        caller = Caller(principal, f"Bearer {bearer_token(request)}", request_id)
        return {"gateway": gateway, "caller": caller}

    return graphql_endpoint(Query, Mutation, context, schema_class=GatewaySchema, extensions=[OperationEvents])

"""workflow's GraphQL subgraph at ``POST /graphql``: processes over the same ``WorkflowService`` as REST.

Resolvers run with the caller's verified ``Principal`` (the kernel's dependency: 401 problem+json without a valid
token), so another tenant's process is ``null``, never its data. ``startProcess`` takes the REST body's fields and
goes through the same checks; a rejected field is a ``BAD_USER_INPUT`` error naming it, a duplicate business key a
``CONFLICT``. Other resolver failures are masked ("Unexpected error.") so no SQL or stack trace reaches a client.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLError
from litestar.exceptions import NotFoundException, ValidationException
from strawberry.scalars import JSON  # noqa: TC002 - Strawberry resolves annotations at runtime

from reference_services.kernel.graphql import convert_input, rejected_input, subgraph_controller
from reference_services.kernel.handlers import correlation_id, page

from .schemas import ProcessStart
from .service import DuplicateProcess

if TYPE_CHECKING:
    from litestar import Controller

    from .service import WorkflowService

__all__ = ["graphql_controller"]


@strawberry.type
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

    @classmethod
    def of(cls, body: dict[str, Any]) -> Process:
        return cls(**{name: body.get(name) for name in cls.__annotations__})


@strawberry.input
class ProcessInput:
    workflow_type: str = strawberry.field(description="purchase-order, invoice-approval, leave-request or "
                                                      "expense-reimbursement")  # fmt: skip
    business_key: str
    amount_bdt: str | None = strawberry.field(default=None, description='an amount in BDT such as "125000.50"')
    variables: JSON | None = None


def _service(info: strawberry.Info) -> tuple[WorkflowService, uuid.UUID]:
    return info.context["service"], info.context["principal"].tenant_id


def _start(data: ProcessInput) -> ProcessStart:
    raw = {"workflow_type": data.workflow_type, "business_key": data.business_key, "amount_bdt": data.amount_bdt,
           "variables": data.variables or {}}  # fmt: skip
    return convert_input(raw, ProcessStart)


@strawberry.type
class Query:
    @strawberry.field(description="The caller's tenant's processes, newest first.")
    async def processes(self, info: strawberry.Info, workflow_type: str | None = None, status: str | None = None,
                        limit: int = 100, offset: int = 0) -> list[Process]:  # fmt: skip
        service, tenant = _service(info)
        if "\x00" in f"{workflow_type or ''}{status or ''}":
            return []  # PostgreSQL text cannot hold NUL: nothing matches, and the query itself would be refused
        limit, offset = page(limit, offset)
        rows = await service.list_processes(tenant, workflow_type=workflow_type, status=status, limit=limit,
                                            offset=offset)  # fmt: skip
        return [Process.of(row) for row in rows]

    @strawberry.field(description="One process of the caller's tenant; null for a missing or foreign id.")
    async def process(self, info: strawberry.Info, id: strawberry.ID) -> Process | None:
        service, tenant = _service(info)
        try:
            return Process.of(await service.get_process(tenant, uuid.UUID(str(id))))
        except (ValueError, NotFoundException):
            return None


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Start a process in the caller's tenant (its approval task asks rules-engine).")
    async def start_process(self, info: strawberry.Info, input: ProcessInput) -> Process:
        service, tenant = _service(info)
        try:
            body = await service.start(tenant, _start(input), correlation_id(info.context["request"]))
        except DuplicateProcess as error:
            raise GraphQLError(str(error), extensions={"code": "CONFLICT", "field": "business_key"}) from None
        except ValidationException as error:
            raise rejected_input(error) from None
        return Process.of(body)


def graphql_controller(service: WorkflowService) -> type[Controller]:
    """The ``/graphql`` controller over ``service`` (the same instance the REST routes use)."""
    return subgraph_controller(Query, Mutation, service=service)

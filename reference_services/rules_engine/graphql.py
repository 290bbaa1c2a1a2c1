"""rules-engine's GraphQL subgraph at ``POST /graphql``: ``evaluate`` and evaluations over the same ``RulesService``.

Resolvers run with the caller's verified ``Principal`` (the kernel's dependency: 401 problem+json without a valid
token), so another tenant's evaluation is ``null``. ``evaluate`` takes the REST body's fields and goes through the
same checks (msgspec + ``check_*``); a rejected field is a ``BAD_USER_INPUT`` error naming it. An evaluation that
failed (``outcome: error``) is stored and published as in REST and returned as data. Other resolver failures are
masked ("Unexpected error.") so no SQL or stack trace reaches a client.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import strawberry
from litestar.exceptions import NotFoundException, ValidationException
from strawberry.scalars import JSON  # noqa: TC002 - Strawberry resolves annotations at runtime

from reference_services.kernel.graphql import convert_input, rejected_input, subgraph_controller
from reference_services.kernel.handlers import correlation_id, page

from .schemas import EvaluateRequest
from .service import EvaluationFailed

if TYPE_CHECKING:
    from litestar import Controller

    from .service import RulesService

__all__ = ["graphql_controller"]


@strawberry.type
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

    @classmethod
    def of(cls, body: dict[str, Any]) -> Evaluation:
        return cls(**{name: body.get(name) for name in cls.__annotations__})


@strawberry.input
class EvaluateInput:
    entity_type: str
    entity_id: str
    rule_type: str = strawberry.field(description="vat, ait or approval")
    amount_bdt: str | None = strawberry.field(default=None, description='an amount in BDT such as "125000.50"')
    attributes: JSON | None = None


def _service(info: strawberry.Info) -> tuple[RulesService, uuid.UUID]:
    return info.context["service"], info.context["principal"].tenant_id


def _request(data: EvaluateInput) -> EvaluateRequest:
    raw = {"entity_type": data.entity_type, "entity_id": data.entity_id, "rule_type": data.rule_type,
           "amount_bdt": data.amount_bdt, "attributes": data.attributes or {}}  # fmt: skip
    return convert_input(raw, EvaluateRequest)


@strawberry.type
class Query:
    @strawberry.field(description="One evaluation of the caller's tenant; null for a missing or foreign id.")
    async def evaluation(self, info: strawberry.Info, id: strawberry.ID) -> Evaluation | None:
        service, tenant = _service(info)
        try:
            return Evaluation.of(await service.get_evaluation(tenant, uuid.UUID(str(id))))
        except (ValueError, NotFoundException):
            return None

    @strawberry.field(description="The caller's tenant's evaluations, newest first (optionally of one entity).")
    async def evaluations(self, info: strawberry.Info, entity_id: str | None = None, limit: int = 100,
                          offset: int = 0) -> list[Evaluation]:  # fmt: skip
        service, tenant = _service(info)
        rows = await service.list_evaluations(tenant, entity_id, *page(limit, offset))
        return [Evaluation.of(row) for row in rows]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Evaluate the tenant's rules of one type for an entity (stored and published).")
    async def evaluate(self, info: strawberry.Info, input: EvaluateInput) -> Evaluation:
        service, tenant = _service(info)
        try:
            body = await service.evaluate_request(tenant, _request(input), correlation_id(info.context["request"]))
        except EvaluationFailed as failed:
            body = failed.body  # stored and published like any evaluation; the outcome says "error"
        except ValidationException as error:
            raise rejected_input(error) from None
        return Evaluation.of(body)


def graphql_controller(service: RulesService) -> type[Controller]:
    """The ``/graphql`` controller over ``service`` (the same instance the REST routes use)."""
    return subgraph_controller(Query, Mutation, service=service)

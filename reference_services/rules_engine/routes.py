"""rules-engine's HTTP routes: ``GET|POST /rules``, ``GET|PATCH|DELETE /rules/{rule_id}``, ``POST /evaluate``,
``GET /evaluations`` and ``GET /evaluations/{evaluation_id}`` (all tenant-scoped, user JWT)."""

from __future__ import annotations

import uuid  # noqa: TC003 - Litestar reads handler annotations at runtime
from typing import TYPE_CHECKING, Any, Literal

from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody  # noqa: TC002 - Litestar reads annotations at runtime

from reference_services.kernel.errors import problem
from reference_services.kernel.handlers import correlation_id, page
from reference_services.kernel.security import Principal  # noqa: TC001 - Litestar reads handler annotations at runtime

from .schemas import EvaluateRequest, RuleCreate, RuleUpdate  # noqa: TC001 - Litestar reads annotations at runtime
from .service import DuplicateRule, EvaluationFailed

if TYPE_CHECKING:
    from litestar.handlers import HTTPRouteHandler

    from .service import RulesService

__all__ = ["route_handlers"]


def route_handlers(service: RulesService) -> list[HTTPRouteHandler]:
    @post("/rules", status_code=201)
    async def create_rule(data: JSONBody[RuleCreate], principal: Principal,
                          request: Request[Any, Any, Any]) -> Response[Any]:  # fmt: skip
        try:
            body = await service.create_rule(principal.tenant_id, data, correlation_id(request))
        except DuplicateRule as error:
            return problem(409, str(error), title="Duplicate business key")
        return Response(body, status_code=201)

    @get("/rules")
    async def list_rules(principal: Principal, rule_type: Literal["vat", "ait", "approval"] | None = None,
                         limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:  # fmt: skip
        return await service.list_rules(principal.tenant_id, rule_type, *page(limit, offset))

    @get("/rules/{rule_id:uuid}")
    async def get_rule(rule_id: FromPath[uuid.UUID], principal: Principal) -> dict[str, Any]:
        return await service.get_rule(principal.tenant_id, rule_id)

    @patch("/rules/{rule_id:uuid}")
    async def update_rule(rule_id: FromPath[uuid.UUID], data: JSONBody[RuleUpdate], principal: Principal,
                          request: Request[Any, Any, Any]) -> dict[str, Any]:  # fmt: skip
        return await service.update_rule(principal.tenant_id, rule_id, data, correlation_id(request))

    @delete("/rules/{rule_id:uuid}")
    async def delete_rule(rule_id: FromPath[uuid.UUID], principal: Principal,
                          request: Request[Any, Any, Any]) -> None:  # fmt: skip
        await service.delete_rule(principal.tenant_id, rule_id, correlation_id(request))

    @post("/evaluate", status_code=200)
    async def evaluate(data: JSONBody[EvaluateRequest], principal: Principal,
                       request: Request[Any, Any, Any]) -> Response[Any]:  # fmt: skip
        try:
            body = await service.evaluate_request(principal.tenant_id, data, correlation_id(request))
        except EvaluationFailed as failed:
            # the failed evaluation is stored and published; the caller learns why and where to read it
            return problem(422, str(failed), title="Evaluation failed", evaluation_id=failed.body["id"])
        return Response(body, status_code=200)

    @get("/evaluations")
    async def list_evaluations(principal: Principal, entity_id: str | None = None, limit: int = 100,
                               offset: int = 0) -> list[dict[str, Any]]:  # fmt: skip
        return await service.list_evaluations(principal.tenant_id, entity_id, *page(limit, offset))

    @get("/evaluations/{evaluation_id:uuid}")
    async def get_evaluation(evaluation_id: FromPath[uuid.UUID], principal: Principal) -> dict[str, Any]:
        return await service.get_evaluation(principal.tenant_id, evaluation_id)

    return [create_rule, list_rules, get_rule, update_rule, delete_rule, evaluate, list_evaluations, get_evaluation]

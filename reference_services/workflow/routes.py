"""workflow's HTTP routes (tenant-scoped, user JWT): ``GET|POST /processes``, ``GET /processes/{process_id}``,
``GET /tasks``, ``GET /tasks/{task_id}``, ``POST /tasks/{task_id}/complete``, ``POST /tasks/{task_id}/assign``."""

from __future__ import annotations

import uuid  # noqa: TC003 - Litestar reads handler annotations at runtime
from typing import TYPE_CHECKING, Any, Literal

from litestar import Request, Response, get, post
from litestar.params import FromPath, JSONBody  # noqa: TC002 - Litestar reads annotations at runtime

from reference_services.kernel.errors import problem
from reference_services.kernel.handlers import correlation_id, page
from reference_services.kernel.security import Principal  # noqa: TC001 - Litestar reads handler annotations at runtime

from .schemas import AssignTask, CompleteTask, ProcessStart  # noqa: TC001 - Litestar reads annotations at runtime
from .service import DuplicateProcess, TaskNotOpen

if TYPE_CHECKING:
    from litestar.handlers import HTTPRouteHandler

    from .service import WorkflowService

__all__ = ["route_handlers"]

WorkflowType = Literal["purchase-order", "invoice-approval", "leave-request", "expense-reimbursement"]
ProcessStatus = Literal["pending_rules", "awaiting_approval", "completed", "rejected", "failed"]


def route_handlers(service: WorkflowService) -> list[HTTPRouteHandler]:
    @post("/processes", status_code=201)
    async def start_process(data: JSONBody[ProcessStart], principal: Principal,
                            request: Request[Any, Any, Any]) -> Response[Any]:  # fmt: skip
        try:
            body = await service.start(principal.tenant_id, data, correlation_id(request))
        except DuplicateProcess as error:
            return problem(409, str(error), title="Duplicate business key")
        return Response(body, status_code=201)

    @get("/processes")
    async def list_processes(principal: Principal, workflow_type: WorkflowType | None = None,
                             status: ProcessStatus | None = None, limit: int = 100,
                             offset: int = 0) -> list[dict[str, Any]]:  # fmt: skip
        limit, offset = page(limit, offset)
        return await service.list_processes(principal.tenant_id, workflow_type=workflow_type, status=status,
                                            limit=limit, offset=offset)  # fmt: skip

    @get("/processes/{process_id:uuid}")
    async def get_process(process_id: FromPath[uuid.UUID], principal: Principal) -> dict[str, Any]:
        return await service.get_process(principal.tenant_id, process_id)

    @get("/tasks")
    async def list_tasks(principal: Principal, status: Literal["open", "completed", "cancelled"] | None = None,
                         process_id: uuid.UUID | None = None, assignee_role: str | None = None, limit: int = 100,
                         offset: int = 0) -> list[dict[str, Any]]:  # fmt: skip
        limit, offset = page(limit, offset)
        return await service.list_tasks(principal.tenant_id, status=status, process_id=process_id,
                                        assignee_role=assignee_role, limit=limit, offset=offset)  # fmt: skip

    @get("/tasks/{task_id:uuid}")
    async def get_task(task_id: FromPath[uuid.UUID], principal: Principal) -> dict[str, Any]:
        return await service.get_task(principal.tenant_id, task_id)

    @post("/tasks/{task_id:uuid}/complete", status_code=200)
    async def complete_task(task_id: FromPath[uuid.UUID], data: JSONBody[CompleteTask], principal: Principal,
                            request: Request[Any, Any, Any]) -> Response[Any]:  # fmt: skip
        try:
            body = await service.complete_task(principal.tenant_id, task_id, data.outcome, principal.sub,
                                               correlation_id(request))  # fmt: skip
        except TaskNotOpen as error:
            return problem(409, str(error), title="Task is not open")
        return Response(body, status_code=200)

    @post("/tasks/{task_id:uuid}/assign", status_code=200)
    async def assign_task(task_id: FromPath[uuid.UUID], data: JSONBody[AssignTask], principal: Principal,
                          request: Request[Any, Any, Any]) -> Response[Any]:  # fmt: skip
        try:
            body = await service.assign_task(principal.tenant_id, task_id, data.user_id, correlation_id(request))
        except TaskNotOpen as error:
            return problem(409, str(error), title="Task is not open")
        return Response(body, status_code=200)

    return [start_process, list_processes, get_process, list_tasks, get_task, complete_task, assign_task]

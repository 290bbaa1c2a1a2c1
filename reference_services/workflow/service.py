"""workflow's operations: start a process (with its approval task), read processes and tasks, complete and assign
tasks, and move processes on rules-engine's evaluations.

Every change runs in one tenant transaction with its outbox events; every state change is a row in ``transitions``
and a ``workflow.transition.triggered`` event. Metric changes are collected as ``effects`` and applied only after the
transaction committed (a rolled-back operation moves nothing).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from reference_services.kernel.outbox import OutboxEvent, add_event

from .models import WORKFLOW_TYPES, Assignment, Process, Task, Transition
from .schemas import check_amount, check_json_value, reject
from .states import APPROVAL_TASK, AUTOMATIC, OPEN_STATES, TERMINAL_STATES, completion_status, role_for_decision

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

    from sqlalchemy.ext.asyncio import AsyncSession

    from reference_services.kernel.db import Database

    from .metrics import WorkflowMetrics
    from .schemas import ProcessStart

__all__ = ["SOURCE", "DuplicateProcess", "TaskNotOpen", "WorkflowService"]

SOURCE = "workflow"
RULES_ENGINE = "rules-engine"
_UNIQUE_VIOLATION = "23505"
_log = logging.getLogger("reference_services.workflow")

Effects = list[Callable[[], None]]


class DuplicateProcess(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"a process with business_key {key!r} already exists in this tenant; choose another "
            f"business_key or read the existing process"
        )


class TaskNotOpen(Exception):
    def __init__(self, task: Task) -> None:
        super().__init__(
            f"task {task.id} is {task.status}"
            + (f" ({task.outcome})" if task.outcome else "")
            + "; only an open task can be completed or assigned"
        )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _process_body(process: Process) -> dict[str, Any]:
    return {
        "id": str(process.id), "tenant_id": str(process.tenant_id), "workflow_type": process.workflow_type,
        "status": process.status, "business_key": process.business_key, "amount_bdt": _money(process.amount_bdt),
        "variables": process.variables, "created_at": _iso(process.created_at), "updated_at": _iso(process.updated_at),
    }  # fmt: skip


def _task_body(task: Task, assignee: uuid.UUID | None = None) -> dict[str, Any]:
    return {
        "id": str(task.id), "tenant_id": str(task.tenant_id), "process_id": str(task.process_id),
        "task_type": task.task_type, "status": task.status, "assignee_role": task.assignee_role,
        "assignee_user_id": None if assignee is None else str(assignee), "outcome": task.outcome,
        "completed_at": _iso(task.completed_at), "created_at": _iso(task.created_at),
        "updated_at": _iso(task.updated_at),
    }  # fmt: skip


def _transition_body(transition: Transition) -> dict[str, Any]:
    return {"id": str(transition.id), "from_state": transition.from_state, "to_state": transition.to_state,
            "reason": transition.reason, "created_at": _iso(transition.created_at)}  # fmt: skip


class WorkflowService:
    def __init__(self, database: Database, metrics: WorkflowMetrics) -> None:
        self.database = database
        self.metrics = metrics

    # --- processes -----------------------------------------------------------------------------------------------

    async def start(self, tenant: uuid.UUID, data: ProcessStart, correlation: str | None) -> dict[str, Any]:
        """A process in ``pending_rules`` with an open approval task (its workflow.task.created asks rules-engine)."""
        amount = check_amount(data.amount_bdt, required=data.workflow_type != "leave-request")
        key = check_json_value("business_key", data.business_key).strip()
        if not key:
            raise reject("business_key", "expected a non-empty business key such as PO-2025-0001")
        variables = check_json_value("variables", data.variables)
        effects: Effects = []
        async with self.database.tenant_transaction(tenant) as session:
            process = Process(tenant_id=tenant, workflow_type=data.workflow_type, status="new", business_key=key,
                              amount_bdt=amount, variables=variables)  # fmt: skip
            session.add(process)
            try:
                await session.flush()
            except IntegrityError as error:
                if _sqlstate(error) == _UNIQUE_VIOLATION:
                    raise DuplicateProcess(key) from None
                raise
            task = Task(tenant_id=tenant, process_id=process.id, task_type=APPROVAL_TASK, status="open")
            session.add(task)
            await session.flush()
            await session.refresh(task)
            await self._move(session, process, "pending_rules", "process started; approval task created", effects,
                             correlation)  # fmt: skip
            add_event(session, topic="workflow.process.started", key=process.id, data=_process_body(process),
                      tenant_id=tenant, source=SOURCE, correlation_id=correlation)  # fmt: skip
            add_event(session, topic="workflow.task.created", key=task.id, tenant_id=tenant, source=SOURCE,
                      correlation_id=correlation, data={
                          **_task_body(task), "task_id": str(task.id), "workflow_type": process.workflow_type,
                          "business_key": process.business_key, "amount_bdt": _money(process.amount_bdt)})  # fmt: skip
            body = {**_process_body(process), "tasks": [_task_body(task)]}
        workflow_type = data.workflow_type
        self.metrics.starts.labels(workflow_type=workflow_type).inc()
        self.metrics.active.labels(workflow_type=workflow_type).inc()
        _apply(effects)
        return body

    async def list_processes(self, tenant: uuid.UUID, *, workflow_type: str | None, status: str | None,
                             limit: int, offset: int) -> list[dict[str, Any]]:  # fmt: skip
        async with self.database.tenant_transaction(tenant) as session:
            query = select(Process).where(Process.tenant_id == tenant)
            if workflow_type is not None:
                query = query.where(Process.workflow_type == workflow_type)
            if status is not None:
                query = query.where(Process.status == status)
            rows = await session.scalars(query.order_by(Process.created_at.desc(), Process.id).limit(limit)
                                         .offset(offset))  # fmt: skip
            return [_process_body(row) for row in rows]

    async def get_process(self, tenant: uuid.UUID, process_id: uuid.UUID) -> dict[str, Any]:
        """The process with its tasks and its whole history (transitions, oldest first)."""
        async with self.database.tenant_transaction(tenant) as session:
            process = await self._process(session, tenant, process_id)
            tasks = await session.scalars(select(Task).where(Task.process_id == process.id).order_by(Task.created_at))
            task_bodies = [_task_body(task, await self._assignee(session, task.id)) for task in tasks]
            history = await session.scalars(select(Transition).where(Transition.process_id == process.id)
                                            .order_by(Transition.created_at, Transition.id))  # fmt: skip
            return {**_process_body(process), "tasks": task_bodies,
                    "transitions": [_transition_body(t) for t in history]}  # fmt: skip

    # --- tasks ---------------------------------------------------------------------------------------------------

    async def list_tasks(self, tenant: uuid.UUID, *, status: str | None, process_id: uuid.UUID | None,
                         assignee_role: str | None, limit: int, offset: int) -> list[dict[str, Any]]:  # fmt: skip
        async with self.database.tenant_transaction(tenant) as session:
            query = select(Task).where(Task.tenant_id == tenant)
            if status is not None:
                query = query.where(Task.status == status)
            if process_id is not None:
                query = query.where(Task.process_id == process_id)
            if assignee_role is not None:
                query = query.where(Task.assignee_role == assignee_role)
            rows = list(await session.scalars(query.order_by(Task.created_at.desc(), Task.id).limit(limit)
                                              .offset(offset)))  # fmt: skip
            return [_task_body(row, await self._assignee(session, row.id)) for row in rows]

    async def get_task(self, tenant: uuid.UUID, task_id: uuid.UUID) -> dict[str, Any]:
        async with self.database.tenant_transaction(tenant) as session:
            task = await self._task(session, tenant, task_id)
            return _task_body(task, await self._assignee(session, task.id))

    async def complete_task(self, tenant: uuid.UUID, task_id: uuid.UUID, outcome: str, actor: str,
                            correlation: str | None) -> dict[str, Any]:  # fmt: skip
        """A person decides the approval task: the process completes (approved) or is rejected."""
        effects: Effects = []
        async with self.database.tenant_transaction(tenant) as session:
            process, task = await self._locked(session, tenant, task_id)
            await self._complete(session, process, task, outcome, f"completed by user {actor}", actor, effects,
                                 correlation)  # fmt: skip
            body = {**_task_body(task, await self._assignee(session, task.id)), "process_status": process.status}
        _apply(effects)
        return body

    async def assign_task(self, tenant: uuid.UUID, task_id: uuid.UUID, user_id: uuid.UUID,
                          correlation: str | None) -> dict[str, Any]:  # fmt: skip
        async with self.database.tenant_transaction(tenant) as session:
            process, task = await self._locked(session, tenant, task_id)
            session.add(Assignment(tenant_id=tenant, task_id=task.id, user_id=user_id))
            task.updated_at = func.now()
            await session.flush()
            await session.refresh(task)
            body = _task_body(task, user_id)
            add_event(session, topic="workflow.task.assigned", key=task.id, tenant_id=tenant, source=SOURCE,
                      correlation_id=correlation, data={**body, "task_id": str(task.id), "user_id": str(user_id),
                                                        "workflow_type": process.workflow_type})  # fmt: skip
        return body

    # --- rules-engine's evaluations (the consumer calls these inside its transaction) -----------------------------

    async def apply_evaluation(self, session: AsyncSession, tenant: uuid.UUID, data: dict[str, Any],
                               effects: Effects, correlation: str | None) -> None:  # fmt: skip
        """Move the process of an approval task by rules-engine's decision; anything stale or foreign is ignored."""
        found = await self._evaluated_task(session, tenant, data)
        if found is None:
            return
        process, task = found
        decision, rule = data.get("decision"), data.get("rule_code")
        outcome = AUTOMATIC.get(str(decision))
        if outcome is not None:
            await self._complete(session, process, task, outcome, f"{decision} by rule {rule}", RULES_ENGINE, effects,
                                 correlation)  # fmt: skip
            return
        task.assignee_role = role_for_decision(decision)
        task.updated_at = func.now()
        reason = f"rule {rule} requires {task.assignee_role} approval" if rule else "no rule decides: a person must"
        await self._move(session, process, "awaiting_approval", reason, effects, correlation)

    async def apply_failure(self, session: AsyncSession, tenant: uuid.UUID, data: dict[str, Any],
                            effects: Effects, correlation: str | None) -> None:  # fmt: skip
        """rules-engine could not evaluate the approval rules: the task is cancelled and the process fails."""
        found = await self._evaluated_task(session, tenant, data)
        if found is None:
            return
        process, task = found
        task.status, task.updated_at = "cancelled", func.now()
        reason = f"approval rules could not be evaluated: {str(data.get('error'))[:500]}"
        await self._move(session, process, "failed", reason, effects, correlation)

    async def _evaluated_task(self, session: AsyncSession, tenant: uuid.UUID,
                              data: dict[str, Any]) -> tuple[Process, Task] | None:  # fmt: skip
        # only evaluations rules-engine made for our own workflow.task.created count: an evaluation requested over
        # its REST API names no task of ours in its context, and an amount that differs is not about this process
        context = data.get("context") or {}
        if data.get("rule_type") != "approval" or data.get("trigger") != "event" or "task_id" not in context:
            return None
        try:
            process, task = await self._locked(session, tenant, _uuid(context["task_id"]))
        except (NotFoundException, TaskNotOpen, ValueError) as why:
            _log.info("evaluation %s ignored: %s", data.get("evaluation_id"), why)
            return None
        if process.status != "pending_rules" or data.get("amount_bdt") != _money(process.amount_bdt):
            _log.info("evaluation %s ignored: process %s is %s", data.get("evaluation_id"), process.id, process.status)
            return None
        return process, task

    # --- the state machine ---------------------------------------------------------------------------------------

    async def _complete(self, session: AsyncSession, process: Process, task: Task, outcome: str, reason: str,
                        actor: str, effects: Effects, correlation: str | None) -> None:  # fmt: skip
        task.status, task.outcome, task.completed_at, task.updated_at = "completed", outcome, func.now(), func.now()
        await session.flush()
        await session.refresh(task)
        add_event(session, topic="workflow.task.completed", key=task.id, tenant_id=process.tenant_id, source=SOURCE,
                  correlation_id=correlation, data={**_task_body(task, await self._assignee(session, task.id)),
                                                    "task_id": str(task.id),
                                                    "workflow_type": process.workflow_type,
                                                    "completed_by": actor})  # fmt: skip
        task_type = task.task_type
        effects.append(lambda: self.metrics.task_completions.labels(task_type=task_type, outcome=outcome).inc())
        await self._move(session, process, "completed" if outcome == "approved" else "rejected", reason, effects,
                         correlation)  # fmt: skip

    async def _move(self, session: AsyncSession, process: Process, to_state: str, reason: str, effects: Effects,
                    correlation: str | None) -> None:  # fmt: skip
        """One transition: the history row, the new status, its event(s); metrics once the transaction commits."""
        from_state, workflow_type = process.status, process.workflow_type
        transition = Transition(tenant_id=process.tenant_id, process_id=process.id, from_state=from_state,
                                to_state=to_state, reason=reason)  # fmt: skip
        session.add(transition)
        process.status = to_state
        if from_state != "new":
            process.updated_at = func.now()
        await session.flush()
        await session.refresh(transition)
        await session.refresh(process)
        add_event(session, topic="workflow.transition.triggered", key=process.id, tenant_id=process.tenant_id,
                  source=SOURCE, correlation_id=correlation, data={
                      **_transition_body(transition), "process_id": str(process.id),
                      "workflow_type": workflow_type, "business_key": process.business_key})  # fmt: skip
        effects.append(lambda: self.metrics.transitions.labels(workflow_type=workflow_type, from_state=from_state,
                                                               to_state=to_state).inc())  # fmt: skip
        if to_state in TERMINAL_STATES:
            status = completion_status(to_state)
            topic = "workflow.process.failed" if to_state == "failed" else "workflow.process.completed"
            add_event(session, topic=topic, key=process.id, tenant_id=process.tenant_id, source=SOURCE,
                      correlation_id=correlation, data={**_process_body(process), "outcome": status,
                                                        "reason": reason})  # fmt: skip

            def ended() -> None:
                self.metrics.completions.labels(workflow_type=workflow_type, status=status).inc()
                self.metrics.active.labels(workflow_type=workflow_type).dec()

            effects.append(ended)

    # --- reads and locks -----------------------------------------------------------------------------------------

    async def _process(self, session: AsyncSession, tenant: uuid.UUID, process_id: uuid.UUID,
                       *, for_update: bool = False) -> Process:  # fmt: skip
        query = select(Process).where(Process.id == process_id, Process.tenant_id == tenant)
        process = await session.scalar(query.with_for_update() if for_update else query)
        if process is None:
            raise NotFoundException(detail=f"No process {process_id} for this tenant.")
        return process

    async def _task(self, session: AsyncSession, tenant: uuid.UUID, task_id: uuid.UUID,
                    *, for_update: bool = False) -> Task:  # fmt: skip
        query = select(Task).where(Task.id == task_id, Task.tenant_id == tenant)
        task = await session.scalar(query.with_for_update() if for_update else query)
        if task is None:
            raise NotFoundException(detail=f"No task {task_id} for this tenant.")
        return task

    async def _locked(self, session: AsyncSession, tenant: uuid.UUID, task_id: uuid.UUID) -> tuple[Process, Task]:
        """Lock the process, then its task (always in that order: a person and rules-engine may race)."""
        task = await self._task(session, tenant, task_id)
        process = await self._process(session, tenant, task.process_id, for_update=True)
        task = await self._task(session, tenant, task_id, for_update=True)
        await session.refresh(task)
        if task.status != "open" or process.status not in OPEN_STATES:
            raise TaskNotOpen(task)
        return process, task

    async def _assignee(self, session: AsyncSession, task_id: uuid.UUID) -> uuid.UUID | None:
        return await session.scalar(
            select(Assignment.user_id)
            .where(Assignment.task_id == task_id)
            .order_by(Assignment.assigned_at.desc(), Assignment.created_at.desc())
            .limit(1)
        )

    # --- gauges and statistics -----------------------------------------------------------------------------------

    async def count_active(self) -> None:
        """Set ``workflow_active_processes`` at start-up.

        The runtime role cannot read across tenants (RLS); every process was started with a workflow.process.started
        event, so the RLS-exempt outbox names every tenant that owns processes.
        """
        totals = dict.fromkeys(WORKFLOW_TYPES, 0)
        async with self.database.system_transaction() as session:
            tenants = list(await session.scalars(select(OutboxEvent.tenant_id).distinct()))
        for tenant in tenants:
            async with self.database.tenant_transaction(tenant) as session:
                rows = await session.execute(
                    select(Process.workflow_type, func.count())
                    .where(Process.tenant_id == tenant, Process.status.in_(OPEN_STATES))
                    .group_by(Process.workflow_type))  # fmt: skip
                for workflow_type, count in rows:
                    totals[workflow_type] += count
        for workflow_type, total in totals.items():
            self.metrics.active.labels(workflow_type=workflow_type).set(total)

    async def statistics(self) -> dict[str, Any]:
        return {f"active_{t.replace('-', '_')}_processes": int(self.metrics.active.labels(workflow_type=t)._value.get())
                for t in WORKFLOW_TYPES}  # fmt: skip


def _apply(effects: Effects) -> None:
    for effect in effects:
        effect()


def _uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))


def _sqlstate(error: IntegrityError) -> str | None:
    orig = error.orig
    return getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)

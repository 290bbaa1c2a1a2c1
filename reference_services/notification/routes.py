"""notification's HTTP routes (user JWT, tenant-scoped): notifications (list, read, send one) and templates (CRUD)."""

from __future__ import annotations

import uuid  # noqa: TC003 - Litestar reads handler annotations at runtime
from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, delete, get, patch, post
from litestar.di import Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import select

from reference_services.kernel import Database, Principal, problem
from reference_services.kernel.handlers import MAX_LIMIT, correlation_id, visible_row

from .messages import MessageRequest, RecipientError
from .metrics import NotificationMetrics  # noqa: TC001 - Litestar resolves dependencies by annotation
from .models import Notification, Template
from .schemas import NotificationCreate, TemplateCreate, TemplateUpdate  # noqa: TC001 - read at runtime
from .service import UnknownTemplate, body_of, send
from .sink import LocalSink  # noqa: TC001 - Litestar resolves dependencies by annotation

__all__ = ["route_handlers"]


def _template_body(row: Template) -> dict[str, Any]:
    return {"id": str(row.id), "tenant_id": str(row.tenant_id), "code": row.code, "channel": row.channel,
            "subject": row.subject, "body": row.body}  # fmt: skip


def _invalid(field: str, message: str) -> Response[dict[str, Any]]:
    return problem(422, message, title="Invalid request body", errors=[{"field": field, "message": message}])


class NotificationController(Controller):
    path = "/notifications"

    @get("/")
    async def list_notifications(
        self,
        principal: Principal,
        database: Database,
        status: Annotated[str | None, QueryParameter(max_length=16)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 100,
    ) -> list[dict[str, Any]]:
        query = select(Notification).order_by(Notification.created_at.desc(), Notification.id).limit(limit)
        if status is not None:
            query = query.where(Notification.status == status)
        async with database.tenant_transaction(principal.tenant_id) as session:
            rows = (await session.scalars(query)).all()
        return [body_of(row) for row in rows]

    @get("/{notification_id:uuid}")
    async def get_notification(
        self, notification_id: FromPath[uuid.UUID], principal: Principal, database: Database
    ) -> dict[str, Any]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            return body_of(await visible_row(session, Notification, notification_id, "notification"))

    @post("/")
    async def send_notification(
        self,
        data: JSONBody[NotificationCreate],
        principal: Principal,
        database: Database,
        sink: LocalSink,
        business: NotificationMetrics,
        request: Request[Any, Any, Any],
    ) -> Response[dict[str, Any]]:
        if data.template is None and data.body is None:
            return _invalid("body", "body: give a template code or a body; the request has neither")
        message = MessageRequest(channel=data.channel, recipient=data.recipient, template=data.template,
                                 subject=data.subject, body=data.body, data=dict(data.data))  # fmt: skip
        try:
            async with database.tenant_transaction(principal.tenant_id) as session:
                row = await send(session, sink, principal.tenant_id, message, correlation_id(request))
        except (UnknownTemplate, RecipientError) as error:
            field = str(error).split(":", 1)[0]
            return _invalid(field, str(error))
        business.delivered(row.channel, row.status)
        return Response(body_of(row), status_code=201)


class TemplateController(Controller):
    path = "/templates"

    @get("/")
    async def list_templates(self, principal: Principal, database: Database) -> list[dict[str, Any]]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            rows = (await session.scalars(select(Template).order_by(Template.code))).all()
        return [_template_body(row) for row in rows]

    @post("/")
    async def create_template(
        self, data: JSONBody[TemplateCreate], principal: Principal, database: Database
    ) -> dict[str, Any]:
        async with database.tenant_transaction(principal.tenant_id) as session:
            row = Template(tenant_id=principal.tenant_id, code=data.code, channel=data.channel, subject=data.subject,
                           body=data.body)  # fmt: skip
            session.add(row)
            await session.flush()
            return _template_body(row)

    @get("/{template_id:uuid}")
    async def get_template(self, template_id: FromPath[uuid.UUID], principal: Principal, database: Database
                           ) -> dict[str, Any]:  # fmt: skip
        async with database.tenant_transaction(principal.tenant_id) as session:
            return _template_body(await visible_row(session, Template, template_id, "template"))

    @patch("/{template_id:uuid}")
    async def update_template(
        self, template_id: FromPath[uuid.UUID], data: JSONBody[TemplateUpdate], principal: Principal,
        database: Database,
    ) -> dict[str, Any]:  # fmt: skip
        async with database.tenant_transaction(principal.tenant_id) as session:
            row = await visible_row(session, Template, template_id, "template")
            for field in ("channel", "body", "subject"):
                if getattr(data, field) is not None:
                    setattr(row, field, getattr(data, field))
            await session.flush()
            return _template_body(row)

    @delete("/{template_id:uuid}")
    async def delete_template(self, template_id: FromPath[uuid.UUID], principal: Principal, database: Database
                              ) -> None:  # fmt: skip
        async with database.tenant_transaction(principal.tenant_id) as session:
            await session.delete(await visible_row(session, Template, template_id, "template"))


def route_handlers(sink: LocalSink, business: NotificationMetrics) -> list[Any]:
    dependencies = {"sink": Provide(lambda: sink, sync_to_thread=False),
                    "business": Provide(lambda: business, sync_to_thread=False)}  # fmt: skip
    return [Router("/", route_handlers=[NotificationController, TemplateController], dependencies=dependencies)]

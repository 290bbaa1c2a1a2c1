"""Sending one message: resolve the template, render, deliver to the sink, store the row and stage its event."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from reference_services.kernel import add_event

from .messages import BUILT_IN_TEMPLATES, check_recipient, render
from .models import Notification, Template

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from .messages import MessageRequest
    from .sink import LocalSink

__all__ = ["UnknownTemplate", "body_of", "send"]

SERVICE = "notification"


class UnknownTemplate(LookupError):
    """A template code that neither the tenant nor the built-ins define."""


def body_of(row: Notification) -> dict[str, Any]:
    return {"id": str(row.id), "tenant_id": str(row.tenant_id), "channel": row.channel, "recipient": row.recipient,
            "template": row.template, "subject": row.subject, "body": row.body, "status": row.status,
            "error": row.error, "source_event_id": None if row.source_event_id is None else str(row.source_event_id),
            "sent_at": None if row.sent_at is None else row.sent_at.isoformat()}  # fmt: skip


async def _template(session: AsyncSession, code: str) -> tuple[str, str | None, str]:
    own = await session.scalar(select(Template).where(Template.code == code))
    if own is not None:
        return own.channel, own.subject, own.body
    if code in BUILT_IN_TEMPLATES:
        built_in = BUILT_IN_TEMPLATES[code]
        return built_in.channel, built_in.subject, built_in.body
    raise UnknownTemplate(f"template: no template {code!r} for this tenant (and no built-in one)")


async def send(session: AsyncSession, sink: LocalSink, tenant_id: uuid.UUID, request: MessageRequest,
               correlation_id: str | None = None) -> Notification:  # fmt: skip
    """Deliver ``request`` and stage the row plus ``notification.message.{sent,failed}`` in ``session``'s transaction.

    ``correlation_id`` (the caller's ``X-Correlation-ID``, or the consumed event's) travels on in the event.

    Raises UnknownTemplate or RecipientError (the caller's mistakes) before anything is stored or delivered.
    """
    channel, subject, body = request.channel, request.subject, request.body
    if request.template is not None:
        template_channel, template_subject, template_body = await _template(session, request.template)
        channel, subject, body = channel or template_channel, subject or template_subject, body or template_body
    channel = channel or "in_app"
    recipient = check_recipient(channel, request.recipient)
    source_event = uuid.UUID(request.source_event_id) if request.source_event_id else None
    row = Notification(id=uuid.uuid4(), tenant_id=tenant_id, channel=channel, recipient=recipient,
                       template=request.template, subject=render(subject, request.data),
                       body=render(body, request.data) or "", source_event_id=source_event)  # fmt: skip
    try:
        await asyncio.to_thread(sink.deliver, tenant_id, channel, {
            "id": str(row.id), "channel": channel, "recipient": recipient, "subject": row.subject, "body": row.body,
            "at": datetime.now(UTC).isoformat()})  # fmt: skip
    except OSError as error:
        row.status, row.error = "failed", f"sink write failed: {error.strerror or error}"[:500]
    else:
        row.status, row.sent_at = "sent", datetime.now(UTC)
    session.add(row)
    await session.flush()
    add_event(session, topic=f"notification.message.{row.status}", key=row.id, tenant_id=tenant_id, source=SERVICE,
              correlation_id=correlation_id, data={k: v for k, v in body_of(row).items() if k != "body"})  # fmt: skip
    return row

"""The notification consumer: one message per consumed event id (workflow completions and assignments, lockouts)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from reference_services.kernel.consumer import IdempotentConsumer

from .messages import EVENT_TEMPLATES, from_event
from .service import send

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from reference_services.kernel import Database, ServiceMetrics

    from .metrics import NotificationMetrics
    from .sink import LocalSink

__all__ = ["CONSUMED_TOPICS", "NotificationConsumer"]

CONSUMED_TOPICS = tuple(EVENT_TEMPLATES)


class NotificationConsumer(IdempotentConsumer):
    def __init__(
        self, database: Database, *, bootstrap: str, metrics: ServiceMetrics, sink: LocalSink,
        business: NotificationMetrics,
    ) -> None:  # fmt: skip
        super().__init__(database, bootstrap=bootstrap, group_id="notification", topics=CONSUMED_TOPICS,
                         metrics=metrics)  # fmt: skip
        self.sink = sink
        self.business = business

    async def handle(self, session: AsyncSession, event: dict[str, Any]) -> None:
        # the kernel opened this transaction for the event's tenant; it already checked the id is a uuid
        row = await send(session, self.sink, uuid.UUID(str(event["tenantid"])), from_event(event),
                         str(event.get("correlationid") or "")[:100] or None)  # fmt: skip
        channel, status = row.channel, row.status
        self.after_commit(lambda: self.business.delivered(channel, status))  # the counter moves once it committed

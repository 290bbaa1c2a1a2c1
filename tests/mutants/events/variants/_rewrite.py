"""Wrap master-data's ``add_event`` so a variant can rewrite the staged outbox row (event value and headers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reference_services.kernel.outbox import OutboxEvent
from reference_services.master_data import service

if TYPE_CHECKING:
    from collections.abc import Callable

_real = service.add_event


def rewrite_rows(change: Callable[[OutboxEvent], None]) -> None:
    """After the real ``add_event`` staged its row, ``change(row)`` may rewrite it before the transaction commits."""

    def add_event(session: Any, **kwargs: Any) -> dict[str, Any]:
        event = _real(session, **kwargs)
        row = next(r for r in session.new if isinstance(r, OutboxEvent) and str(r.id) == event["id"])
        change(row)
        return event

    service.add_event = add_event

"""Mutant: notification consumes workflow.process.completed but sends nothing for it -> FLOWS-WORKFLOW-NOTIFIES."""

from __future__ import annotations

from typing import Any

from reference_services.notification.consumer import NotificationConsumer

_real = NotificationConsumer.handle


async def _handle(self: NotificationConsumer, session: Any, event: dict[str, Any]) -> None:
    if event.get("type") == "workflow.process.completed":
        return
    await _real(self, session, event)


NotificationConsumer.handle = _handle  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("notification")

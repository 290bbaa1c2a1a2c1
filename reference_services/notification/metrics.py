"""Business metrics of the notification service (SPEC.md): ``notifications_sent_total{channel, status}``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import CHANNELS, STATUSES

if TYPE_CHECKING:
    from reference_services.kernel import ServiceMetrics

__all__ = ["NotificationMetrics"]


class NotificationMetrics:
    """One increment per message whose row committed, labelled with its delivery status."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.sent = metrics.counter("notifications_sent_total", "Messages handed to the sink, by channel and status.",
                                    ["channel", "status"])  # fmt: skip
        for channel in CHANNELS:
            for status in STATUSES:
                self.sent.labels(channel=channel, status=status)

    def delivered(self, channel: str, status: str) -> None:
        self.sent.labels(channel=channel, status=status).inc()

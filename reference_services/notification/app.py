"""Builds the notification app from its configuration (``python -m reference_services.notification serve``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_services.kernel import Database, KafkaCheck, PostgresCheck, ServiceMetrics, create_app

from .consumer import CONSUMED_TOPICS, NotificationConsumer
from .metrics import NotificationMetrics
from .routes import route_handlers
from .sink import LocalSink, sink_directory

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import ServiceConfig

__all__ = ["SERVICE_NAME", "TOPICS", "build_app"]

SERVICE_NAME = "notification"
TOPICS = ("notification.message.sent", "notification.message.failed")


def build_app(config: ServiceConfig) -> Litestar:
    database = Database(config.require("database_app_url", "FLEET_DATABASE_APP_URL"))
    bootstrap = config.require("kafka_bootstrap", "FLEET_KAFKA_BOOTSTRAP")
    metrics = ServiceMetrics(SERVICE_NAME)
    business = NotificationMetrics(metrics)
    sink = LocalSink(sink_directory(config.storage_dir))
    consumer = NotificationConsumer(database, bootstrap=bootstrap, metrics=metrics, sink=sink, business=business)
    return create_app(
        config=config,
        route_handlers=route_handlers(sink, business),
        metrics=metrics,
        database=database,
        dependencies=[PostgresCheck(database), KafkaCheck(bootstrap, timeout_s=config.dependency_timeout_s)],
        background=[consumer],
        event_topics=TOPICS,
        consumed_topics=CONSUMED_TOPICS,
    )

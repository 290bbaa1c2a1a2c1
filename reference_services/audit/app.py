"""Builds the audit app from its configuration (``python -m reference_services.audit serve``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from reference_services.kernel import Database, KafkaCheck, PostgresCheck, ServiceMetrics, create_app

from .consumer import OWN_TOPIC, AuditConsumer, subscription
from .metrics import AuditMetrics
from .routes import route_handlers

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import ServiceConfig

__all__ = ["SERVICE_NAME", "build_app"]

SERVICE_NAME = "audit"


def build_app(config: ServiceConfig) -> Litestar:
    database = Database(config.require("database_app_url", "FLEET_DATABASE_APP_URL"))
    bootstrap = config.require("kafka_bootstrap", "FLEET_KAFKA_BOOTSTRAP")
    metrics = ServiceMetrics(SERVICE_NAME)
    consumer = AuditConsumer(database, bootstrap=bootstrap, topics=subscription(os.environ), metrics=metrics,
                             audit=AuditMetrics(metrics))  # fmt: skip
    return create_app(
        config=config,
        route_handlers=route_handlers(),
        metrics=metrics,
        database=database,
        dependencies=[PostgresCheck(database), KafkaCheck(bootstrap, timeout_s=config.dependency_timeout_s)],
        background=[consumer],
        event_topics=[OWN_TOPIC],
    )

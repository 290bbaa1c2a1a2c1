"""Builds the configuration app from its environment (``python -m reference_services.configuration serve``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_services.kernel import Database, KafkaCheck, PostgresCheck, ServiceMetrics, create_app

from .metrics import ConfigurationMetrics
from .routes import TOPIC, route_handlers

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import ServiceConfig

__all__ = ["SERVICE_NAME", "build_app"]

SERVICE_NAME = "configuration"


def build_app(config: ServiceConfig) -> Litestar:
    database = Database(config.require("database_app_url", "FLEET_DATABASE_APP_URL"))
    bootstrap = config.require("kafka_bootstrap", "FLEET_KAFKA_BOOTSTRAP")
    metrics = ServiceMetrics(SERVICE_NAME)
    business = ConfigurationMetrics(metrics)
    return create_app(
        config=config,
        route_handlers=route_handlers(business),
        metrics=metrics,
        database=database,
        dependencies=[PostgresCheck(database), KafkaCheck(bootstrap, timeout_s=config.dependency_timeout_s)],
        event_topics=[TOPIC],
    )

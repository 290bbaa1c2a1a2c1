"""Builds the scheduler app from its environment (``python -m reference_services.scheduler serve``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from reference_services.kernel import ConfigError, Database, KafkaCheck, PostgresCheck, ServiceMetrics, create_app

from .metrics import SchedulerMetrics
from .routes import TOPICS, route_handlers
from .runner import SchedulerLoop

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import ServiceConfig

__all__ = ["POLL_ENV", "SERVICE_NAME", "build_app"]

SERVICE_NAME = "scheduler"
POLL_ENV = "FLEET_SCHEDULER_POLL_S"


def _poll_s() -> float:
    raw = os.environ.get(POLL_ENV, "1.0")
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0.05 <= value <= 60:
        raise ConfigError(f"{POLL_ENV}: expected seconds between 0.05 and 60 (e.g. 1.0); got {raw!r}")
    return value


def build_app(config: ServiceConfig) -> Litestar:
    database = Database(config.require("database_app_url", "FLEET_DATABASE_APP_URL"))
    bootstrap = config.require("kafka_bootstrap", "FLEET_KAFKA_BOOTSTRAP")
    metrics = ServiceMetrics(SERVICE_NAME)
    business = SchedulerMetrics(metrics)
    return create_app(
        config=config,
        route_handlers=route_handlers(business),
        metrics=metrics,
        database=database,
        dependencies=[PostgresCheck(database), KafkaCheck(bootstrap, timeout_s=config.dependency_timeout_s)],
        background=[SchedulerLoop(database, business, poll_s=_poll_s())],
        event_topics=TOPICS,
    )

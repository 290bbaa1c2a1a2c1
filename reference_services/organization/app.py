"""Builds the organization app from its configuration (``python -m reference_services.organization serve``)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from reference_services.kernel import Database, KafkaCheck, PostgresCheck, ServiceMetrics, create_app

from .graphql import graphql_controller
from .metrics import OrganizationMetrics
from .routes import TOPICS, route_handlers

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import DependencyCheck, ServiceConfig

__all__ = ["SERVICE_NAME", "build_app"]

SERVICE_NAME = "organization"


def build_app(config: ServiceConfig) -> Litestar:
    database = Database(config.require("database_app_url", "FLEET_DATABASE_APP_URL"))
    bootstrap = config.require("kafka_bootstrap", "FLEET_KAFKA_BOOTSTRAP")
    metrics = ServiceMetrics(SERVICE_NAME)
    business = OrganizationMetrics(metrics)
    dependencies: list[DependencyCheck] = [
        PostgresCheck(database),
        KafkaCheck(bootstrap, timeout_s=config.dependency_timeout_s),
    ]

    async def stats() -> dict[str, Any]:
        counts = await business.refresh_tenants(database)
        return {"tenants_total": sum(counts.values()), **{f"tenants_{k}": v for k, v in counts.items()}}

    async def load_gauges() -> None:
        # PostgreSQL down at start: ready says so; the gauge catches up on the next change.
        with contextlib.suppress(Exception):
            await business.refresh_tenants(database)

    return create_app(
        config=config,
        route_handlers=[*route_handlers(business), graphql_controller(database)],
        metrics=metrics,
        database=database,
        dependencies=dependencies,
        stats=stats,
        on_startup=[load_gauges],
        event_topics=TOPICS,
    )

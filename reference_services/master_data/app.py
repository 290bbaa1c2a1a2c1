"""master-data's app factory: the kernel app with the CRUD routes of customers, vendors, products and accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_services.kernel import Database, KafkaCheck, PostgresCheck, ServiceMetrics, create_app

from .graphql import graphql_controller
from .metrics import MasterDataMetrics
from .routes import route_handlers
from .schema import ENTITIES
from .service import MasterDataService

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import ServiceConfig

__all__ = ["SERVICE", "TOPICS", "build_app"]

SERVICE = "master-data"
TOPICS = tuple(spec.topic(action) for spec in ENTITIES for action in ("created", "updated", "deleted"))


def build_app(config: ServiceConfig, *, database: Database | None = None) -> Litestar:
    """The master-data app; tokens are verified with auth's JWKS (FLEET_JWKS_URL)."""
    config.require("jwks_url", "FLEET_JWKS_URL")
    database = database or Database(config.require("database_app_url", "FLEET_DATABASE_APP_URL"))
    bootstrap = config.require("kafka_bootstrap", "FLEET_KAFKA_BOOTSTRAP")
    metrics = ServiceMetrics(SERVICE)
    service = MasterDataService(database, MasterDataMetrics.register(metrics, (s.entity_type for s in ENTITIES)))
    app = create_app(
        config=config,
        route_handlers=[*route_handlers(service), graphql_controller(service)],
        metrics=metrics,
        database=database,
        dependencies=[PostgresCheck(database), KafkaCheck(bootstrap, timeout_s=config.dependency_timeout_s)],
        stats=service.statistics,
        on_startup=[service.count_entities],
        event_topics=TOPICS,
    )
    app.state.master_data_service = service
    return app

"""import-export's app factory: the kernel app with the import/export routes; ready checks master-data too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_services.kernel import Database, KafkaCheck, PostgresCheck, ServiceCheck, ServiceMetrics, create_app

from .csv_format import ENTITIES
from .master_data_client import MasterDataClient
from .metrics import ImportExportMetrics
from .routes import TOPICS, route_handlers
from .service import ImportExportService

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import ServiceConfig

__all__ = ["SERVICE", "build_app"]

SERVICE = "import-export"


def build_app(config: ServiceConfig, *, database: Database | None = None) -> Litestar:
    """The import-export app: tokens via FLEET_JWKS_URL, master-data via FLEET_SERVICE_URL_MASTER_DATA."""
    config.require("jwks_url", "FLEET_JWKS_URL")
    master_data_url = config.service_url("master-data")
    database = database or Database(config.require("database_app_url", "FLEET_DATABASE_APP_URL"))
    bootstrap = config.require("kafka_bootstrap", "FLEET_KAFKA_BOOTSTRAP")
    metrics = ServiceMetrics(SERVICE)
    business = ImportExportMetrics.register(metrics, (e.entity_type for e in ENTITIES.values()))
    service = ImportExportService(database, MasterDataClient(master_data_url), business)
    app = create_app(
        config=config,
        route_handlers=route_handlers(service),
        metrics=metrics,
        database=database,
        dependencies=[
            PostgresCheck(database),
            KafkaCheck(bootstrap, timeout_s=config.dependency_timeout_s),
            ServiceCheck("master-data", master_data_url, timeout_s=config.dependency_timeout_s),
        ],
        event_topics=TOPICS,
    )
    app.state.import_export_service = service
    return app

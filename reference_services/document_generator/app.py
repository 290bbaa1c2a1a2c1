"""document-generator's app factory: the kernel app with the document routes; ready checks file-storage too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_services.kernel import Database, KafkaCheck, PostgresCheck, ServiceCheck, ServiceMetrics, create_app

from .file_storage_client import FileStorageClient
from .metrics import DocumentMetrics
from .rendering import BUILT_IN, FORMATS, Renderer
from .routes import TOPICS, route_handlers
from .service import CUSTOM_LABEL, DocumentService

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import ServiceConfig

__all__ = ["SERVICE", "build_app"]

SERVICE = "document-generator"


def build_app(config: ServiceConfig, *, database: Database | None = None) -> Litestar:
    """The document-generator app: tokens via FLEET_JWKS_URL, files via FLEET_SERVICE_URL_FILE_STORAGE."""
    config.require("jwks_url", "FLEET_JWKS_URL")
    file_storage_url = config.service_url("file-storage")
    database = database or Database(config.require("database_app_url", "FLEET_DATABASE_APP_URL"))
    bootstrap = config.require("kafka_bootstrap", "FLEET_KAFKA_BOOTSTRAP")
    metrics = ServiceMetrics(SERVICE)
    business = DocumentMetrics.register(metrics, (*BUILT_IN, CUSTOM_LABEL), FORMATS)
    service = DocumentService(database, Renderer(), FileStorageClient(file_storage_url), business)
    app = create_app(
        config=config,
        route_handlers=route_handlers(service),
        metrics=metrics,
        database=database,
        dependencies=[
            PostgresCheck(database),
            KafkaCheck(bootstrap, timeout_s=config.dependency_timeout_s),
            ServiceCheck("file-storage", file_storage_url, timeout_s=config.dependency_timeout_s),
        ],
        event_topics=TOPICS,
    )
    app.state.document_service = service
    return app

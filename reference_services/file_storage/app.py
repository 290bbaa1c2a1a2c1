"""file-storage's app factory: the kernel app with the file routes and a storage-directory readiness check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reference_services.kernel import Database, KafkaCheck, PostgresCheck, ServiceMetrics, StorageCheck, create_app

from .metrics import FileStorageMetrics
from .routes import TOPICS, route_handlers
from .service import FileStorageService
from .storage import LocalStore

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import ServiceConfig

__all__ = ["SERVICE", "build_app", "storage_directory"]

SERVICE = "file-storage"


def storage_directory(config: ServiceConfig) -> Path:
    """FLEET_STORAGE_DIR, or ``./storage/file-storage`` under the working directory when it is not set."""
    return Path(config.storage_dir) if config.storage_dir else Path.cwd() / "storage" / SERVICE


def build_app(config: ServiceConfig, *, database: Database | None = None) -> Litestar:
    """The file-storage app; tokens are verified with auth's JWKS (FLEET_JWKS_URL)."""
    config.require("jwks_url", "FLEET_JWKS_URL")
    database = database or Database(config.require("database_app_url", "FLEET_DATABASE_APP_URL"))
    bootstrap = config.require("kafka_bootstrap", "FLEET_KAFKA_BOOTSTRAP")
    store = LocalStore(storage_directory(config))
    metrics = ServiceMetrics(SERVICE)
    service = FileStorageService(database, store, FileStorageMetrics.register(metrics))
    app = create_app(
        config=config,
        route_handlers=route_handlers(service),
        metrics=metrics,
        database=database,
        dependencies=[
            PostgresCheck(database),
            KafkaCheck(bootstrap, timeout_s=config.dependency_timeout_s),
            StorageCheck(str(store.root)),
        ],
        stats=service.statistics,
        on_startup=[service.load_usage],
        event_topics=TOPICS,
    )
    app.state.file_storage_service = service
    return app

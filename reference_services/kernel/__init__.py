"""The reference-service kernel: what every service shares (see README.md in this folder for the API)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import BackgroundTask, create_app
    from .config import ConfigError, ServiceConfig
    from .db import Base, Database, TenantScoped, Timestamps, UUIDPrimaryKey
    from .errors import problem
    from .health import DependencyCheck, KafkaCheck, PostgresCheck, ServiceCheck, StorageCheck, now_iso
    from .metrics import ServiceMetrics
    from .outbox import OutboxEvent, OutboxRelay, ProcessedEvent, add_event, add_events
    from .security import JwtVerifier, Principal, platform_admin_guard, provide_principal

# Names are loaded on first use (PEP 562), not at import: ``migrate`` subprocesses import a service's models, which
# import this package, and need only db.py and SQLAlchemy. Importing the app layer too (Litestar, strawberry) cost
# each of the fleet's 12 migration processes about a second of CPU at every fleet start.
_WHERE = {
    "BackgroundTask": "app",
    "Base": "db",
    "ConfigError": "config",
    "Database": "db",
    "DependencyCheck": "health",
    "JwtVerifier": "security",
    "KafkaCheck": "health",
    "OutboxEvent": "outbox",
    "OutboxRelay": "outbox",
    "PostgresCheck": "health",
    "Principal": "security",
    "ProcessedEvent": "outbox",
    "ServiceCheck": "health",
    "ServiceConfig": "config",
    "ServiceMetrics": "metrics",
    "StorageCheck": "health",
    "TenantScoped": "db",
    "Timestamps": "db",
    "UUIDPrimaryKey": "db",
    "add_event": "outbox",
    "add_events": "outbox",
    "create_app": "app",
    "now_iso": "health",
    "platform_admin_guard": "security",
    "problem": "errors",
    "provide_principal": "security",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "BackgroundTask",
    "Base",
    "ConfigError",
    "Database",
    "DependencyCheck",
    "JwtVerifier",
    "KafkaCheck",
    "OutboxEvent",
    "OutboxRelay",
    "PostgresCheck",
    "Principal",
    "ProcessedEvent",
    "ServiceCheck",
    "ServiceConfig",
    "ServiceMetrics",
    "StorageCheck",
    "TenantScoped",
    "Timestamps",
    "UUIDPrimaryKey",
    "add_event",
    "add_events",
    "create_app",
    "now_iso",
    "platform_admin_guard",
    "problem",
    "provide_principal",
]

"""The app factory: health, metrics, problem+json errors, RED middleware, outbox relay, startup and shutdown.

``create_event_driven_app`` assembles the whole app of a service built around one business object that REST, GraphQL
and a Kafka consumer share.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide

from .db import Database
from .errors import exception_handlers, plain_errors_as_problems
from .health import HealthModule, KafkaCheck, PostgresCheck
from .metrics import RedMiddleware, ServiceMetrics, metrics_handler
from .openapi import openapi_config
from .outbox import OutboxRelay
from .security import JwtVerifier, provide_principal

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from .config import ServiceConfig
    from .health import DependencyCheck

__all__ = ["BackgroundTask", "ConsumerFactory", "EventDrivenService", "create_app", "create_event_driven_app"]

MAX_BODY_BYTES = 1_048_576


class BackgroundTask(Protocol):
    """Something started with the app and stopped with it (the outbox relay, a consumer)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def create_app(
    *,
    config: ServiceConfig,
    route_handlers: Sequence[Any],
    metrics: ServiceMetrics,
    database: Database | None,
    dependencies: Sequence[DependencyCheck],
    stats: Callable[[], Awaitable[dict[str, Any]]] | None = None,
    on_startup: Sequence[Callable[[], Awaitable[None]]] = (),
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
    background: Sequence[BackgroundTask] = (),
    event_topics: Sequence[str] = (),
    consumed_topics: Sequence[str] = (),
    relay_outbox: bool = True,
) -> Litestar:
    """A Litestar app that serves the service's handlers plus the contract every service shares.

    Handlers may declare ``principal: Principal`` (verified JWT), ``database: Database`` and ``config: ServiceConfig``
    parameters; the app state carries ``jwt_verifier`` and ``platform_admin_token`` for the guards.
    An outbox relay runs when a database and FLEET_KAFKA_BOOTSTRAP are configured and ``relay_outbox`` is true.
    """
    health = HealthModule(
        service=config.service_name,
        metrics=metrics,
        dependencies=dependencies,
        timeout_s=config.dependency_timeout_s,
        rss_limit_bytes=config.live_rss_limit_bytes,
        stats=stats,
    )
    tasks: list[BackgroundTask] = list(background)
    if event_topics or consumed_topics:
        metrics.enable_events(event_topics, consumed_topics)
    if relay_outbox and database is not None and config.kafka_bootstrap:
        tasks.insert(
            0, OutboxRelay(database, bootstrap=config.kafka_bootstrap, metrics=metrics, poll_s=config.outbox_poll_s)
        )

    async def start_tasks() -> None:
        for task in tasks:
            await task.start()

    async def stop_tasks() -> None:
        for task in reversed(tasks):
            try:
                await task.stop()
            except Exception:  # shutdown continues; the error is logged, not raised
                logging.getLogger("reference_services.app").exception("stopping %r failed", task)
        if database is not None:
            await database.dispose()

    app = Litestar(
        route_handlers=[*health.route_handlers(), metrics_handler(metrics), *route_handlers],
        exception_handlers=exception_handlers(),
        after_request=plain_errors_as_problems,
        dependencies={
            "principal": Provide(provide_principal),
            "database": Provide(lambda: database, sync_to_thread=False),
            "config": Provide(lambda: config, sync_to_thread=False),
        },
        state=State(
            {
                "jwt_verifier": JwtVerifier.from_config(config),
                "platform_admin_token": config.platform_admin_token,
                "health": health,
                "metrics": metrics,
            }
        ),
        on_startup=[*on_startup, start_tasks],
        on_shutdown=[stop_tasks, *on_shutdown],
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=openapi_config(config.service_name),  # /schema/openapi.json, kernel errors documented
        debug=False,
    )
    # Wrap the whole ASGI handler (not only matched routes) so 404s are counted too, labelled "<unmatched>".
    app.asgi_handler = RedMiddleware(app.asgi_handler, metrics)
    return app


class EventDrivenService(Protocol):
    """The business object of an app built by ``create_event_driven_app``."""

    async def statistics(self) -> dict[str, Any]:
        """What ``/health/stats`` reports under ``statistics``."""
        ...

    async def count_active(self) -> None:
        """Set the business gauges from the database."""
        ...


S = TypeVar("S", bound=EventDrivenService)
_S_contra = TypeVar("_S_contra", contravariant=True)


class ConsumerFactory(Protocol[_S_contra]):
    """A service's consumer class: built from the app's database, Kafka bootstrap, metrics and business object."""

    def __call__(
        self, database: Database, *, bootstrap: str, metrics: ServiceMetrics, service: _S_contra
    ) -> BackgroundTask: ...


def create_event_driven_app(
    config: ServiceConfig,
    *,
    service_name: str,
    database: Database | None,
    service: Callable[[Database, ServiceMetrics], S],
    consumer: ConsumerFactory[S],
    route_handlers: Callable[[S], Sequence[Any]],
    event_topics: Sequence[str],
    consumed_topics: Sequence[str],
    state_key: str,
) -> Litestar:
    """``create_app`` for a service whose REST routes, GraphQL and Kafka consumer share one business object.

    Tokens are verified with auth's JWKS (FLEET_JWKS_URL); ``database`` (tests may give one) defaults to
    FLEET_DATABASE_APP_URL, and ready checks PostgreSQL and Kafka. ``service(database, metrics)`` builds the business
    object: its ``statistics`` feed ``/health/stats``, its gauges are loaded at start, and the app state carries it as
    ``state_key``.
    """
    config.require("jwks_url", "FLEET_JWKS_URL")
    database = database or Database(config.require("database_app_url", "FLEET_DATABASE_APP_URL"))
    bootstrap = config.require("kafka_bootstrap", "FLEET_KAFKA_BOOTSTRAP")
    metrics = ServiceMetrics(service_name)
    business = service(database, metrics)
    events = consumer(database, bootstrap=bootstrap, metrics=metrics, service=business)

    async def load_gauges() -> None:
        # PostgreSQL down at start: ready says so; the gauge follows changes from then on.
        with contextlib.suppress(Exception):
            await business.count_active()

    app = create_app(
        config=config,
        route_handlers=route_handlers(business),
        metrics=metrics,
        database=database,
        dependencies=[PostgresCheck(database), KafkaCheck(bootstrap, timeout_s=config.dependency_timeout_s)],
        stats=business.statistics,
        on_startup=[load_gauges],
        background=[events],
        event_topics=event_topics,
        consumed_topics=consumed_topics,
    )
    app.state[state_key] = business
    return app

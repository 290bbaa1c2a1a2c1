"""rules-engine's app factory: the kernel app, the rules and evaluation routes, the workflow.task.created consumer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_services.kernel.app import create_event_driven_app

from .consumer import TaskCreatedConsumer
from .graphql import graphql_controller
from .metrics import RulesMetrics
from .routes import route_handlers
from .service import SOURCE, RulesService

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import Database, ServiceConfig

__all__ = ["CONSUMED", "SERVICE", "TOPICS", "build_app"]

SERVICE = SOURCE
TOPICS = (
    "rules.evaluation.requested",
    "rules.evaluation.completed",
    "rules.evaluation.failed",
    "rules.rule.created",
    "rules.rule.updated",
    "rules.rule.deleted",
)
CONSUMED = ("workflow.task.created",)


def build_app(config: ServiceConfig, *, database: Database | None = None) -> Litestar:
    """The rules-engine app; tokens are verified with auth's JWKS (FLEET_JWKS_URL)."""
    return create_event_driven_app(
        config,
        service_name=SERVICE,
        database=database,
        service=lambda database, metrics: RulesService(database, RulesMetrics.register(metrics)),
        consumer=TaskCreatedConsumer,
        route_handlers=lambda service: [*route_handlers(service), graphql_controller(service)],
        event_topics=TOPICS,
        consumed_topics=CONSUMED,
        state_key="rules_service",
    )

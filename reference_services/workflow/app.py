"""workflow's app factory: the kernel app, the process and task routes, the rules-engine evaluation consumer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_services.kernel.app import create_event_driven_app

from .consumer import CONSUMED, EvaluationConsumer
from .graphql import graphql_controller
from .metrics import WorkflowMetrics
from .routes import route_handlers
from .service import SOURCE, WorkflowService

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import Database, ServiceConfig

__all__ = ["SERVICE", "TOPICS", "build_app"]

SERVICE = SOURCE
TOPICS = (
    "workflow.process.started",
    "workflow.process.completed",
    "workflow.process.failed",
    "workflow.task.created",
    "workflow.task.assigned",
    "workflow.task.completed",
    "workflow.transition.triggered",
)


def build_app(config: ServiceConfig, *, database: Database | None = None) -> Litestar:
    """The workflow app; tokens are verified with auth's JWKS (FLEET_JWKS_URL).

    rules-engine is reached only through events, so it is no readiness dependency (fleet.yaml ``depends_on``).
    """
    return create_event_driven_app(
        config,
        service_name=SERVICE,
        database=database,
        service=lambda database, metrics: WorkflowService(database, WorkflowMetrics.register(metrics)),
        consumer=EvaluationConsumer,
        route_handlers=lambda service: [*route_handlers(service), graphql_controller(service)],
        event_topics=TOPICS,
        consumed_topics=CONSUMED,
        state_key="workflow_service",
    )

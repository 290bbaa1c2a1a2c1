"""api-gateway's app factory: the kernel app (no database) with ``POST /graphql`` in front of the subgraphs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reference_services.kernel import ConfigError, KafkaCheck, ServiceCheck, ServiceMetrics, create_app

from .events import DirectPublisher
from .federation import Gateway
from .metrics import GatewayMetrics
from .schema import graphql_controller
from .subgraphs import SubgraphClient

if TYPE_CHECKING:
    from litestar import Litestar

    from reference_services.kernel import DependencyCheck, ServiceConfig

__all__ = ["SERVICE", "SUBGRAPHS", "TOPICS", "build_app"]

SERVICE = "api-gateway"
SUBGRAPHS = ("auth", "master-data", "workflow", "rules-engine", "organization")
TOPICS = ("gateway.query.received", "gateway.query.completed", "gateway.mutation.received",
          "gateway.federation.error", "gateway.auth.failed")  # fmt: skip


@dataclass(slots=True)
class UnconfiguredService:
    """A declared subgraph without FLEET_SERVICE_URL_<NAME>: ready reports it down (never silently left out)."""

    name: str
    type: str = "service"
    required: bool = True

    async def check(self) -> None:
        variable = "FLEET_SERVICE_URL_" + self.name.upper().replace("-", "_")
        raise RuntimeError(f"{variable} is not set; the gateway cannot reach {self.name}")


def _url(config: ServiceConfig, name: str) -> str | None:
    try:
        return config.service_url(name)
    except ConfigError:
        return None


def build_app(config: ServiceConfig) -> Litestar:
    """The gateway app; tokens are verified with auth's JWKS (FLEET_JWKS_URL) before any subgraph is called."""
    config.require("jwks_url", "FLEET_JWKS_URL")
    bootstrap = config.require("kafka_bootstrap", "FLEET_KAFKA_BOOTSTRAP")
    metrics = ServiceMetrics(SERVICE)
    business = GatewayMetrics.register(metrics, SUBGRAPHS, TOPICS)
    urls = {name: _url(config, name) for name in SUBGRAPHS}
    client = SubgraphClient(urls, business)
    publisher = DirectPublisher(bootstrap, business, source=SERVICE)
    checks: list[DependencyCheck] = [
        ServiceCheck(name, url, timeout_s=config.dependency_timeout_s) if url else UnconfiguredService(name)
        for name, url in urls.items()
    ]
    checks.append(KafkaCheck(bootstrap, timeout_s=config.dependency_timeout_s))

    async def stats() -> dict[str, Any]:
        return {"subgraphs_configured": sum(1 for url in urls.values() if url)}

    return create_app(
        config=config,
        route_handlers=[graphql_controller(Gateway(client, publisher, business))],
        metrics=metrics,
        database=None,
        dependencies=checks,
        stats=stats,
        background=[client, publisher],
        event_topics=TOPICS,
    )

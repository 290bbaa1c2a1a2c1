"""One gateway request: the verified caller, the calls to subgraphs, and the events those calls cause.

Subgraph failures become GraphQL errors with ``extensions.code`` (``UNAUTHENTICATED``, ``SUBGRAPH_UNAVAILABLE`` or the
subgraph's own caller-error code); a subgraph's internals (status lines, bodies, stack traces) never reach the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError

from .events import NO_TENANT
from .subgraphs import SubgraphFailed, SubgraphRefused, SubgraphRejected

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping

    from reference_services.kernel.security import Principal

    from .events import DirectPublisher
    from .metrics import GatewayMetrics
    from .subgraphs import SubgraphClient

__all__ = ["Caller", "Gateway"]

_NAME_MAX = 100


@dataclass(frozen=True, slots=True)
class Caller:
    """The verified principal of one gateway request, its bearer (forwarded as is) and the request id (event key)."""

    principal: Principal
    authorization: str
    request_id: str


class Gateway:
    """What every request shares: the subgraph client, the event publisher and the business metrics."""

    def __init__(self, client: SubgraphClient, publisher: DirectPublisher, metrics: GatewayMetrics) -> None:
        self.client = client
        self.publisher = publisher
        self.metrics = metrics

    def publish(self, topic: str, request_id: str, tenant_id: uuid.UUID, data: dict[str, Any]) -> None:
        # key = the gateway request (its aggregate); the request id doubles as the correlation id downstream
        self.publisher.publish(topic, key=request_id, data={"request_id": request_id, **data}, tenant_id=tenant_id,
                               correlation_id=request_id)  # fmt: skip

    def auth_failed(self, request_id: str, reason: str, *, tenant_id: uuid.UUID = NO_TENANT,
                    service: str | None = None) -> None:  # fmt: skip
        self.publish("gateway.auth.failed", request_id, tenant_id, {"reason": reason, "service": service})

    async def call(self, caller: Caller, service: str, document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The subgraph's ``data``; a GraphQLError for the caller (and the matching event) when it failed."""
        try:
            return await self.client.execute(service, document, variables, authorization=caller.authorization,
                                             correlation_id=caller.request_id)  # fmt: skip
        except SubgraphRefused:
            self.auth_failed(caller.request_id, "refused_by_subgraph", tenant_id=caller.principal.tenant_id,
                             service=service)  # fmt: skip
            raise GraphQLError(f"{service} refused the bearer token; log in again",
                               extensions={"code": "UNAUTHENTICATED", "service": service}) from None  # fmt: skip
        except SubgraphFailed as error:
            self.publish("gateway.federation.error", caller.request_id, caller.principal.tenant_id,
                         {"service": service, "reason": error.reason, "status": error.status})  # fmt: skip
            raise GraphQLError(f"{service} is unavailable; try again later",
                               extensions={"code": "SUBGRAPH_UNAVAILABLE", "service": service}) from None  # fmt: skip
        except SubgraphRejected as error:
            first = error.errors[0]
            extensions = {**(first.get("extensions") or {}), "service": service}
            raise GraphQLError(str(first.get("message", "rejected")), extensions=extensions) from None

    def operation_received(self, caller: Caller, operation_type: str, operation_name: str | None) -> None:
        self.publish(f"gateway.{operation_type}.received", caller.request_id, caller.principal.tenant_id,
                     {"operation_type": operation_type, "operation_name": _name(operation_name),
                      "user_id": caller.principal.sub})  # fmt: skip

    def operation_completed(
        self, caller: Caller, operation_type: str, operation_name: str | None, seconds: float, error_count: int
    ) -> None:
        self.metrics.federated_queries.labels(operation_type=operation_type).inc()
        self.metrics.federated_query_duration.labels(operation_type=operation_type).observe(seconds)
        self.publish("gateway.query.completed", caller.request_id, caller.principal.tenant_id,
                     {"operation_type": operation_type, "operation_name": _name(operation_name),
                      "status": "error" if error_count else "success", "error_count": error_count,
                      "duration_ms": round(seconds * 1000, 3)})  # fmt: skip


def _name(operation_name: str | None) -> str | None:
    return None if operation_name is None else operation_name[:_NAME_MAX]

"""Calls to the subgraphs' ``POST /graphql`` over HTTP, with the caller's bearer token and nothing else of the caller.

Each call is counted once in ``gateway_service_call_total{service, status}`` (status = the HTTP status, or
``unreachable``/``timeout`` when no answer came) and timed in ``gateway_service_call_duration_seconds{service}``.
Health probes use their own client (the kernel's ServiceCheck), so they are never counted here.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .metrics import GatewayMetrics

__all__ = [
    "CALLER_ERROR_CODES",
    "SubgraphClient",
    "SubgraphError",
    "SubgraphFailed",
    "SubgraphRefused",
    "SubgraphRejected",
]

# error codes a subgraph uses for the caller's own mistakes; they are relayed as they are
CALLER_ERROR_CODES = frozenset({"BAD_USER_INPUT", "CONFLICT", "NOT_FOUND", "FORBIDDEN"})


class SubgraphError(Exception):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


class SubgraphFailed(SubgraphError):
    """The subgraph did not answer usefully (down, timeout, 5xx, not GraphQL, an internal error): a federation error."""

    def __init__(self, service: str, reason: str, status: str) -> None:
        super().__init__(service, reason)
        self.status = status


class SubgraphRefused(SubgraphError):
    """The subgraph refused the caller's credentials (401/403)."""


class SubgraphRejected(SubgraphError):
    """The subgraph answered GraphQL errors that are the caller's own (validation, duplicate key): relay them."""

    def __init__(self, service: str, errors: tuple[dict[str, Any], ...]) -> None:
        super().__init__(service, "rejected the request")
        self.errors = errors


class SubgraphClient:
    """One pooled ``httpx.AsyncClient`` for the app's lifetime; ``urls`` maps subgraph name -> base URL (or None)."""

    def __init__(self, urls: Mapping[str, str | None], metrics: GatewayMetrics, *, timeout_s: float = 10.0) -> None:
        self.urls = dict(urls)
        self.metrics = metrics
        self.timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        # trust_env=False: proxies or netrc from the environment must never see a caller's token
        self._client = httpx.AsyncClient(timeout=self.timeout_s, trust_env=False, follow_redirects=False)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def execute(
        self, service: str, document: str, variables: Mapping[str, Any], *, authorization: str, correlation_id: str
    ) -> dict[str, Any]:
        """The ``data`` of the subgraph's answer; SubgraphFailed / SubgraphRefused / SubgraphRejected otherwise."""
        base = self.urls.get(service)
        if not base or self._client is None:
            raise SubgraphFailed(service, "not configured", "unconfigured")
        started = time.perf_counter()
        status = "unreachable"
        try:
            response = await self._client.post(
                f"{base.rstrip('/')}/graphql",
                json={"query": document, "variables": dict(variables)},
                headers={"Authorization": authorization, "X-Correlation-ID": correlation_id},
            )
            status = str(response.status_code)
        except httpx.TimeoutException:
            status = "timeout"
            raise SubgraphFailed(service, f"no answer within {self.timeout_s:g} s", status) from None
        except httpx.HTTPError as error:
            raise SubgraphFailed(service, f"unreachable ({type(error).__name__})", status) from None
        finally:
            self.metrics.service_calls.labels(service=service, status=status).inc()
            self.metrics.service_call_duration.labels(service=service).observe(time.perf_counter() - started)
        return _data(service, response)


def _data(service: str, response: httpx.Response) -> dict[str, Any]:
    if response.status_code in (401, 403):
        raise SubgraphRefused(service, f"answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        raise SubgraphFailed(service, f"answered {response.status_code} without a GraphQL result",
                             str(response.status_code))  # fmt: skip
    errors = body.get("errors") or []
    if errors:
        codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
        if codes and codes <= CALLER_ERROR_CODES:
            raise SubgraphRejected(service, tuple(errors))
        if "UNAUTHENTICATED" in codes:
            raise SubgraphRefused(service, "answered UNAUTHENTICATED")
        raise SubgraphFailed(service, "answered an error it did not attribute to the caller", "200")
    data = body.get("data")
    if not isinstance(data, dict):
        raise SubgraphFailed(service, "answered no data", "200")
    return data

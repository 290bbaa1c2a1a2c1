"""What only the api-gateway tests need: a GraphQL call through the gateway (the rest is in service_support)."""

from __future__ import annotations

from typing import Any

import httpx
from service_support import TIMEOUT

__all__ = ["graphql"]


def graphql(gateway_url: str, query: str, variables: dict[str, Any] | None = None, *,
            headers: dict[str, str] | None = None, timeout: float = TIMEOUT) -> httpx.Response:  # fmt: skip
    return httpx.post(f"{gateway_url}/graphql", json={"query": query, "variables": variables or {}},
                      headers=headers or {}, timeout=timeout)  # fmt: skip

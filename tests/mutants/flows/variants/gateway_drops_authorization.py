"""Mutant: the gateway verifies the caller's token but forwards no Authorization to the subgraphs, so master-data
refuses createCustomer -> FLOWS-LOGIN-GATEWAY-MASTER-DATA."""

from __future__ import annotations

from typing import Any

from reference_services.api_gateway.subgraphs import SubgraphClient

_real = SubgraphClient.execute


async def _execute(self: SubgraphClient, service: str, document: str, variables: Any, *, authorization: str,
                   correlation_id: str) -> dict[str, Any]:  # fmt: skip
    return await _real(self, service, document, variables, authorization="", correlation_id=correlation_id)


SubgraphClient.execute = _execute  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("api-gateway")

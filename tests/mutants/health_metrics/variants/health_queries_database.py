"""organization: the cheap /health runs the dependency checks (SPEC.md: it must not call dependencies), so it turns
503 with PostgreSQL down; liveness and readiness are untouched."""

from typing import Any

from litestar import Response, get

from reference_services.kernel import health
from tests.mutants.serve import serve

_original = health.HealthModule.route_handlers


def _route_handlers(self: health.HealthModule) -> list[Any]:
    module = self

    @get("/health", include_in_schema=False)
    async def cheap() -> Response[dict[str, Any]]:
        ok = all(r.up for r in await module.run_checks())
        body = {"status": "ok" if ok else "error", "service": module.service, "timestamp": health.now_iso()}
        return Response(body, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})

    return [h for h in _original(self) if h.paths != {"/health"}] + [cheap]


health.HealthModule.route_handlers = _route_handlers  # type: ignore[method-assign]
serve("organization")

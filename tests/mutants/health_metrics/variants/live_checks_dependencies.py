"""auth: /health/live runs the dependency checks (a database outage would get every pod restarted)."""

from typing import Any

from litestar import Response, get

from reference_services.kernel import health
from tests.mutants.serve import serve

_original = health.HealthModule.route_handlers


def _route_handlers(self: health.HealthModule) -> list[Any]:
    module = self

    @get("/health/live", include_in_schema=False)
    async def live() -> Response[dict[str, Any]]:
        results = await module.run_checks()
        ok = all(r.up for r in results)
        body = {"status": "ok" if ok else "error", "timestamp": health.now_iso()}
        return Response(body, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})

    return [h for h in _original(self) if "/health/live" not in h.paths] + [live]


health.HealthModule.route_handlers = _route_handlers  # type: ignore[method-assign]
serve("auth")

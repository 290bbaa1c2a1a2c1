"""master-data: the RED middleware labels requests with the raw path (ids included), not the route template."""

import time
from typing import Any

from reference_services.kernel import metrics
from tests.mutants.serve import serve


async def _call(self: metrics.RedMiddleware, scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        await self.app(scope, receive, send)
        return
    started, status = time.perf_counter(), 500

    async def send_wrapper(message: Any) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        await send(message)

    try:
        await self.app(scope, receive, send_wrapper)
    finally:
        self.metrics.observe_request(scope["method"], scope["path"], status, time.perf_counter() - started)


metrics.RedMiddleware.__call__ = _call  # type: ignore[method-assign]
serve("master-data")

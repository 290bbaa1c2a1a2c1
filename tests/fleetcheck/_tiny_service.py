"""A tiny real HTTP service (Litestar on uvicorn, loopback, free port) for observer and runner tests.

It speaks the fleet health profile (its stats' uptime in whole seconds), counts requests in a Prometheus registry
by route template, echoes what it was sent, and has a switch that makes ready answer 503 (what a real service does
when its dependency is down).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import uvicorn
from litestar import Litestar, Request, Response, get, post
from litestar.params import FromPath  # noqa: TC002 - Litestar reads handler annotations at runtime
from prometheus_client import CollectorRegistry, Counter, generate_latest

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["TinyService", "start_tiny_service"]


@dataclass(slots=True)
class TinyService:
    name: str
    base_url: str
    broken: threading.Event = field(default_factory=threading.Event)
    broken_file: Path | None = None  # ready is also down while this file exists (for shell fault hooks)
    server: Any = None
    thread: Any = None

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _app(service: TinyService) -> Litestar:
    registry = CollectorRegistry()
    requests = Counter("http_requests", "Requests.", ["method", "route", "status_code"], registry=registry)
    headers = {"Cache-Control": "no-store"}

    def count(request: Request[Any, Any, Any], status: int) -> None:
        requests.labels(request.method, request.scope.get("path_template", "?"), str(status)).inc()

    @get("/health")
    async def health(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        count(request, 200)
        return Response({"status": "ok", "service": service.name, "timestamp": _now()}, headers=headers)

    @get("/health/live")
    async def live(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        count(request, 200)
        return Response({"status": "ok", "timestamp": _now()}, headers=headers)

    @get("/health/ready")
    async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        down = service.broken.is_set() or (service.broken_file is not None and service.broken_file.exists())
        pg = {"status": "down", "error": "refused"} if down else {"status": "up", "latency_ms": 0.4}
        body = {"status": "error" if down else "ok", "checks": {"postgres": pg}, "timestamp": _now()}
        count(request, 503 if down else 200)
        return Response(body, status_code=503 if down else 200, headers=headers)

    @get("/things/{thing_id:str}")
    async def thing(request: Request[Any, Any, Any], thing_id: FromPath[str]) -> Response[dict[str, Any]]:
        count(request, 404)
        return Response({"detail": f"no thing {thing_id}"}, status_code=404)

    @post("/echo/{value:str}")
    async def echo(request: Request[Any, Any, Any], value: FromPath[str]) -> Response[dict[str, Any]]:
        count(request, 201)
        body = await request.json()
        return Response({"value": value, "json": body, "authorization": request.headers.get("authorization")})

    started = time.monotonic()

    @get("/health/stats")
    async def stats(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        count(request, 200)
        # uptime in whole seconds, as a service that truncates reports it
        statistics = {"uptime_seconds": int(time.monotonic() - started), "requests_total": 0, "rss_bytes": 1}
        return Response({"service": service.name, "statistics": statistics, "timestamp": _now()}, headers=headers)

    @get("/metrics")
    async def metrics() -> Response[bytes]:
        return Response(generate_latest(registry), media_type="text/plain; version=0.0.4; charset=utf-8")

    return Litestar([health, live, ready, stats, thing, echo, metrics])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_tiny_service(name: str = "auth") -> TinyService:
    port = _free_port()
    service = TinyService(name, f"http://127.0.0.1:{port}")
    config = uvicorn.Config(_app(service), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    service.server = uvicorn.Server(config)
    service.thread = threading.Thread(target=service.server.run, name=f"tiny-{name}", daemon=True)
    service.thread.start()
    deadline = time.monotonic() + 10
    while not service.server.started:
        if time.monotonic() > deadline:
            service.close()
            raise RuntimeError(f"tiny service {name} did not start on 127.0.0.1:{port} within 10 s")
        time.sleep(0.02)
    return service

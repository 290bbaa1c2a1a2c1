"""The five health endpoints of SPEC.md and the dependency checks behind ``/health/ready``."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import httpx
import psutil
from litestar import Response, get
from sqlalchemy import text

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from litestar.handlers import HTTPRouteHandler

    from .db import Database
    from .metrics import ServiceMetrics

__all__ = [
    "DependencyCheck",
    "HealthModule",
    "KafkaCheck",
    "PostgresCheck",
    "ServiceCheck",
    "StorageCheck",
    "now_iso",
]

_NO_STORE = {"Cache-Control": "no-store"}


def now_iso() -> str:
    """ISO-8601 with offset (``2025-01-01T00:00:00.000000+00:00``)."""
    return datetime.now(UTC).isoformat()


@runtime_checkable
class DependencyCheck(Protocol):
    """A dependency that ready checks: ``check()`` returns when it answered a real request, raises otherwise."""

    name: str
    type: str
    required: bool

    async def check(self) -> None: ...


@dataclass(slots=True)
class PostgresCheck:
    """``SELECT 1`` through the app engine (so the pool the app uses is what is checked)."""

    database: Database
    name: str = "postgres"
    type: str = "postgres"
    required: bool = True

    async def check(self) -> None:
        async with self.database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))


@dataclass(slots=True)
class KafkaCheck:
    """A metadata request (``AdminClient.list_topics``) in a worker thread, bounded by its own timeout."""

    bootstrap: str
    timeout_s: float = 2.0
    name: str = "kafka"
    type: str = "kafka"
    required: bool = True
    _admin: Any = field(default=None, repr=False)

    async def check(self) -> None:
        await asyncio.to_thread(self._list_topics)

    def _list_topics(self) -> None:
        from confluent_kafka.admin import AdminClient

        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self.bootstrap, "socket.timeout.ms": 2000})
        self._admin.list_topics(timeout=self.timeout_s)


@dataclass(slots=True)
class ServiceCheck:
    """``GET <base_url>/health`` must answer 200.

    The client is made once and kept: building an ``httpx.AsyncClient`` loads the CA bundle (about 50 ms of CPU on
    the event loop), and the gateway checks five subgraphs at once, so a client per check made ready miss its 1 s
    budget on a loaded machine.
    """

    name: str
    base_url: str
    timeout_s: float = 2.0
    type: str = "service"
    required: bool = True
    _client: httpx.AsyncClient | None = field(default=None, repr=False)

    async def check(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_s, trust_env=False)
        response = await self._client.get(f"{self.base_url.rstrip('/')}/health")
        if response.status_code != 200:
            raise RuntimeError(f"{self.name} /health answered {response.status_code}")


@dataclass(slots=True)
class StorageCheck:
    """Write and delete a probe file in the storage directory."""

    directory: str
    name: str = "storage"
    type: str = "storage"
    required: bool = True

    async def check(self) -> None:
        await asyncio.to_thread(self._probe)

    def _probe(self) -> None:
        probe = Path(self.directory) / f".ready-probe-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()


@dataclass(frozen=True, slots=True)
class _Result:
    name: str
    up: bool
    latency_ms: float
    error: str | None = None


class HealthModule:
    """Runs the checks and serves the five endpoints.

    Each check runs in its own task with a timeout. On timeout the task is cancelled but NOT awaited (a hung
    connection's cleanup could block the answer), and while a previous check of the same dependency is still
    unwinding no new one starts: a frozen dependency therefore costs at most one pool connection, and ready answers
    within about the timeout.
    """

    def __init__(
        self,
        *,
        service: str,
        metrics: ServiceMetrics,
        dependencies: Sequence[DependencyCheck],
        timeout_s: float = 2.0,
        rss_limit_bytes: int = 536_870_912,
        stats: Callable[[], Awaitable[dict[str, Any]]] | None = None,
    ) -> None:
        self.service = service
        self.metrics = metrics
        self.dependencies = list(dependencies)
        self.timeout_s = timeout_s
        self.rss_limit_bytes = rss_limit_bytes
        self.stats = stats
        self.started = time.monotonic()
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._process = psutil.Process()

    async def run_checks(self) -> list[_Result]:
        return list(await asyncio.gather(*(self._run_one(dep) for dep in self.dependencies)))

    async def _run_one(self, dependency: DependencyCheck) -> _Result:
        started = time.perf_counter()
        previous = self._in_flight.get(dependency.name)
        if previous is not None and not previous.done():
            return _Result(dependency.name, False, 0.0, "previous check still pending (dependency hangs)")
        task = asyncio.create_task(dependency.check(), name=f"ready-check-{dependency.name}")
        self._in_flight[dependency.name] = task
        task.add_done_callback(_consume_result)
        done, _ = await asyncio.wait({task}, timeout=self.timeout_s)
        latency = round((time.perf_counter() - started) * 1000, 3)
        if not done:
            task.cancel()
            return _Result(dependency.name, False, latency, f"timed out after {self.timeout_s:g} s")
        error = task.exception()
        if error is not None:
            return _Result(dependency.name, False, latency, _short(error))
        return _Result(dependency.name, True, latency)

    def rss_bytes(self) -> int:
        return int(self._process.memory_info().rss)

    def route_handlers(self) -> list[HTTPRouteHandler]:
        module = self

        @get("/health", sync_to_thread=False, include_in_schema=False)
        def health() -> Response[dict[str, Any]]:
            return _json({"status": "ok", "service": module.service, "timestamp": now_iso()})

        @get("/health/live", sync_to_thread=False, include_in_schema=False)
        def live() -> Response[dict[str, Any]]:
            rss = module.rss_bytes()
            if rss > module.rss_limit_bytes:
                reason = f"{rss} over {module.rss_limit_bytes}"
                return _json({"status": "error", "timestamp": now_iso(), "reason": reason}, 503)
            return _json({"status": "ok", "timestamp": now_iso()})

        @get("/health/ready", include_in_schema=False)
        async def ready() -> Response[dict[str, Any]]:
            results = await module.run_checks()
            checks = {r.name: _check_body(r) for r in results}
            required = {d.name for d in module.dependencies if d.required}
            ok = all(r.up for r in results if r.name in required)
            body = {"status": "ok" if ok else "error", "checks": checks, "timestamp": now_iso()}
            return _json(body, 200 if ok else 503)

        @get("/health/stats", include_in_schema=False)
        async def stats() -> Response[dict[str, Any]]:
            statistics: dict[str, Any] = {
                "uptime_seconds": round(time.monotonic() - module.started, 3),
                "requests_total": module.metrics.requests_seen,
                "rss_bytes": module.rss_bytes(),
            }
            if module.stats is not None:
                statistics.update(await module.stats())
            return _json({"service": module.service, "statistics": statistics, "timestamp": now_iso()})

        @get("/health/dependencies", include_in_schema=False)
        async def dependencies() -> Response[dict[str, Any]]:
            results = {r.name: r for r in await module.run_checks()}
            listed = [
                {
                    "name": d.name,
                    "type": d.type,
                    "required": d.required,
                    "status": "up" if results[d.name].up else "down",
                    "latency_ms": results[d.name].latency_ms,
                }
                for d in module.dependencies
            ]
            return _json({"service": module.service, "dependencies": listed, "timestamp": now_iso()})

        return [health, live, ready, stats, dependencies]


def _check_body(result: _Result) -> dict[str, Any]:
    if result.up:
        return {"status": "up", "latency_ms": result.latency_ms}
    return {"status": "down", "latency_ms": result.latency_ms, "error": result.error}


def _json(body: dict[str, Any], status: int = 200) -> Response[dict[str, Any]]:
    return Response(content=body, status_code=status, media_type="application/json", headers=_NO_STORE)


def _short(error: BaseException) -> str:
    text_ = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text_}"[:200] if text_ else type(error).__name__


def _consume_result(task: asyncio.Task[None]) -> None:
    # Retrieve the outcome of abandoned checks so asyncio never logs "exception was never retrieved".
    if not task.cancelled():
        task.exception()

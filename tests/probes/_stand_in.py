"""A stand-in for one service of the reference fleet: a tiny loopback HTTP server (standard library) speaking the
fleet health profile and a Prometheus exposition, switchable at run time between healthy, failing (500) and hanging.

It is not a service the suite verifies; it gives the prober something real to reach over a socket, in the states
a prober must survive.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.exposition import choose_encoder

__all__ = ["StandIn"]

_HANG_LIMIT_S = 30.0  # a hanging answer is released at close, and never later than this


class StandIn:
    """``mode`` is ``healthy``, ``error`` (every path answers 500) or ``hang`` (no answer until released)."""

    def __init__(self, service: str, dependencies: tuple[str, ...] = ("postgres", "kafka")) -> None:
        self.service, self.dependencies = service, dependencies
        self.mode = "healthy"
        self.requests: list[str] = []
        #: requests held without an answer right now (mode ``hang``)
        self.hanging = 0
        self._release = threading.Event()
        self._registry = CollectorRegistry()
        self._counter = Counter("http_requests", "HTTP requests served.", ["route"], registry=self._registry)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def release(self) -> None:
        """Let every held request go (each closes without an answer)."""
        self._release.set()

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5.0)

    def _body(self, path: str) -> dict[str, Any] | None:
        now = datetime.now(UTC).isoformat()
        if path == "/health":
            return {"status": "ok", "service": self.service, "timestamp": now}
        if path == "/health/live":
            return {"status": "ok", "timestamp": now}
        if path == "/health/ready":
            checks = {d: {"status": "up", "latency_ms": 0.3} for d in self.dependencies}
            return {"status": "ok", "checks": checks, "timestamp": now}
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                stand_in.requests.append(self.path)
                if stand_in.mode == "hang":
                    stand_in.hanging += 1
                    try:
                        stand_in._release.wait(_HANG_LIMIT_S)
                    finally:
                        stand_in.hanging -= 1
                    return  # the connection closes without an answer
                if stand_in.mode == "error":
                    self._send(500, b'{"detail": "internal error"}', "application/json")
                    return
                stand_in._counter.labels(self.path).inc()
                if self.path == "/metrics":
                    encoder, content_type = choose_encoder(self.headers.get("Accept"))
                    self._send(200, encoder(stand_in._registry), content_type)
                    return
                body = stand_in._body(self.path)
                if body is None:
                    self._send(404, b'{"detail": "not found"}', "application/json")
                    return
                self._send(200, json.dumps(body).encode(), "application/json")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

        return Handler

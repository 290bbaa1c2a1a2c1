"""HTTP observers: turn a live service into the observation records that checks judge.

Every request goes through :func:`exchange`, which never raises for transport errors: a refused connection, a timeout
or a malformed URL becomes an :class:`~contracts.observations.HttpExchange` with ``status`` 0 and ``error`` set, so an
unreachable service yields findings, not a crashed run.

Example:
    >>> from fleetcheck.targets import Endpoint
    >>> snapshot = observe_health(Endpoint.at("auth", "http://127.0.0.1:1"))  # nothing listens on port 1
    >>> snapshot.health.status, bool(snapshot.health.error)
    (0, True)
"""

from __future__ import annotations

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from fleetcheck.contracts.observations import (
    FaultObservation,
    HealthSnapshot,
    HttpExchange,
    MetricsSnapshot,
    OperationObservation,
    TrafficObservation,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from fleetcheck.contracts.fleet import OperationRequest, OperationSpec
    from fleetcheck.fixtures.faults import FaultHook
    from fleetcheck.targets import Credentials, Endpoint

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "OPENMETRICS_ACCEPT",
    "FaultHookFailed",
    "MissingCredentialError",
    "exchange",
    "observe_client",
    "observe_faults",
    "observe_health",
    "observe_metrics",
    "observe_operation",
    "observe_traffic",
    "process_start_time",
]

DEFAULT_TIMEOUT_S = 5.0
OPENMETRICS_ACCEPT = "application/openmetrics-text; version=1.0.0"
_BODY_LIMIT = 4 * 1024 * 1024  # a scrape is rarely above 1 MiB; cap memory if a target streams garbage
_PLACEHOLDER = re.compile(r"\{[^{}/]+\}")
_START_TIME = re.compile(r"^process_start_time_seconds(?:\{[^}]*\})?\s+(\S+)", re.MULTILINE)
_POLL_S = 0.1


class MissingCredentialError(RuntimeError):
    """An operation needs a credential the target does not provide."""


class FaultHookFailed(RuntimeError):
    """The fault hook itself failed (inject or restore); the fault checks cannot be judged."""


def exchange(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    files: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> HttpExchange:
    """Send one request and record it; transport errors become ``status=0`` with ``error``, never an exception."""
    request_headers = tuple((headers or {}).items())
    path = httpx.URL(url).raw_path.decode("ascii", "replace") if url.startswith(("http://", "https://")) else url
    started = time.perf_counter()
    try:
        response = client.request(
            method, url, headers=dict(request_headers), json=json_body, files=files, timeout=timeout or client.timeout
        )
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        elapsed = time.perf_counter() - started
        return HttpExchange(method, url, path, 0, (), b"", elapsed, _describe(exc), request_headers)
    elapsed = time.perf_counter() - started
    return HttpExchange(
        method=method,
        url=url,
        path=path,
        status=response.status_code,
        headers=tuple(response.headers.multi_items()),
        body=response.content[:_BODY_LIMIT],
        elapsed_s=elapsed,
        request_headers=request_headers,
    )


def _describe(exc: Exception) -> str:
    text = str(exc) or "no detail"
    return f"{type(exc).__name__}: {text}"


def observe_client(timeout: float = DEFAULT_TIMEOUT_S) -> httpx.Client:
    # No redirects: a health endpoint that redirects is itself something the checks should see.
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)


def observe_health(endpoint: Endpoint, *, timeout: float = DEFAULT_TIMEOUT_S) -> HealthSnapshot:
    """Read the five health endpoints of one service once (stats/dependencies only where the profile has them)."""
    paths = endpoint.paths
    with observe_client(timeout) as client:
        health = exchange(client, "GET", endpoint.url(paths.health))
        live = exchange(client, "GET", endpoint.url(paths.live))
        ready = exchange(client, "GET", endpoint.url(paths.ready))
        stats = exchange(client, "GET", endpoint.url(paths.stats)) if paths.stats else None
        deps = exchange(client, "GET", endpoint.url(paths.dependencies)) if paths.dependencies else None
    return HealthSnapshot(endpoint.profile, health, live, ready, stats, deps, observed_at=time.time())


def _scrape(client: httpx.Client, endpoint: Endpoint, accept: str | None = None) -> HttpExchange:
    headers = {"Accept": accept} if accept else None
    return exchange(client, "GET", endpoint.url(endpoint.paths.metrics), headers=headers)


def observe_metrics(endpoint: Endpoint, *, timeout: float = DEFAULT_TIMEOUT_S) -> MetricsSnapshot:
    """Scrape ``/metrics`` twice: as Prometheus does by default, and asking for OpenMetrics."""
    with observe_client(timeout) as client:
        text = _scrape(client, endpoint)
        openmetrics = _scrape(client, endpoint, OPENMETRICS_ACCEPT)
    return MetricsSnapshot(text=text, openmetrics=openmetrics)


def fill_id_route(route: str, value: str) -> str:
    """``/customers/{customer_id}`` -> ``/customers/<value>`` (every placeholder gets the same value)."""
    return _PLACEHOLDER.sub(value, route)


def observe_traffic(
    endpoint: Endpoint,
    id_routes: Sequence[str],
    *,
    health_requests: int = 5,
    ids_per_route: int = 2,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> TrafficObservation:
    """Scrape, send known traffic, scrape again.

    The traffic is ``health_requests`` GETs of the health endpoint plus ``ids_per_route`` GETs per id route, each
    with a fresh uuid, so a counter that moves by anything other than the traffic sent, or a route label that holds
    a raw id, is visible to the checks. The caller must not send other requests to this service meanwhile.
    """
    with observe_client(timeout) as client:
        before = _scrape(client, endpoint)
        sent = [exchange(client, "GET", endpoint.url(endpoint.paths.health)) for _ in range(health_requests)]
        id_paths: list[str] = []
        for route in id_routes:
            for _ in range(ids_per_route):
                path = fill_id_route(route, str(uuid.uuid4()))
                id_paths.append(path)
                sent.append(exchange(client, "GET", endpoint.url(path)))
        after = _scrape(client, endpoint)
    return TrafficObservation(before=before, sent=tuple(sent), after=after, id_paths=tuple(id_paths))


def _fill(value: Any, fills: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for key, replacement in fills.items():
            value = value.replace(key, replacement)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, fills) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fill(v, fills) for v in value]
    return value


def _auth_headers(request: OperationRequest, credentials: Credentials, operation: str) -> dict[str, str]:
    if request.auth == "none":
        return {}
    token = credentials.tenant_token if request.auth == "tenant" else credentials.platform_admin_token
    if not token:
        kind = "a tenant bearer token" if request.auth == "tenant" else "the platform-admin token"
        why = credentials.missing_reason or "the target provides none"
        raise MissingCredentialError(
            f"operation {operation} ({request.method} {request.path}) needs {kind}; {why}. "
            "Add credentials to the target file."
        )
    return {"Authorization": f"Bearer {token}"}


def observe_operation(
    endpoint: Endpoint, operation: OperationSpec, credentials: Credentials, *, timeout: float = DEFAULT_TIMEOUT_S
) -> OperationObservation:
    """Scrape, run a declared business operation once, scrape again.

    ``{uuid}`` is one fresh uuid per run (shared by every request of the operation, so later requests can name what
    earlier ones created), ``{tenant_id}`` the synthetic tenant of the target, and ``{previous.id}`` the ``id`` field
    of the previous request's JSON answer (to act on what the previous request created).

    Raises:
        MissingCredentialError: the operation needs a credential the target does not give (checked before sending).
    """
    headers = [_auth_headers(r, credentials, operation.name) for r in operation.requests]
    fills = {"{uuid}": str(uuid.uuid4()), "{tenant_id}": credentials.tenant_id or "", "{previous.id}": ""}
    exchanges: list[HttpExchange] = []
    with observe_client(timeout) as client:
        before = _scrape(client, endpoint)
        for request, auth in zip(operation.requests, headers, strict=True):
            url = endpoint.url(_fill(request.path, fills))
            sent = exchange(client, request.method, url, headers=auth, json_body=_fill(request.json_body, fills))
            exchanges.append(sent)
            fills["{previous.id}"] = _created_id(sent)
        after = _scrape(client, endpoint)
    return OperationObservation(operation=operation.name, before=before, exchanges=tuple(exchanges), after=after)


def _created_id(sent: HttpExchange) -> str:
    try:
        body = json.loads(sent.body)
    except ValueError:
        return ""
    return str(body["id"]) if isinstance(body, dict) and "id" in body else ""


def process_start_time(scrape: HttpExchange) -> float | None:
    """``process_start_time_seconds`` from a text scrape, or ``None`` when the target does not expose it."""
    if scrape.status != 200:
        return None
    match = _START_TIME.search(scrape.body.decode("utf-8", "replace"))
    if match is None:
        return None
    try:
        return float(match.group(1))
    except ValueError:
        return None


_During = tuple[HttpExchange, HttpExchange]


@dataclass(frozen=True, slots=True)
class _Before:
    baseline_ready: HttpExchange
    start_time: float | None


def observe_faults(
    hook: FaultHook,
    dependency: str,
    mode: str,
    services: Mapping[str, Endpoint],
    *,
    recovery_bound_s: float = 15.0,
    timeout: float = 10.0,
) -> dict[str, FaultObservation]:
    """Break ``dependency`` once (``mode`` "stop" or "freeze") and record how every given service's health behaved.

    Order: baseline ready and process start time of each service; inject; ready (timed) and live of all services
    concurrently; restore (always, in ``finally``); poll ready until 200 or ``recovery_bound_s``; start time again.
    ``timeout`` bounds each HTTP call and must exceed the ready bound the checks judge, so a slow answer is measured
    rather than cut off.

    Raises:
        FaultHookFailed: inject or restore failed; the message names the dependency, the mode and the hook's error.
    """
    names = list(services)
    with ThreadPoolExecutor(max_workers=max(2, min(32, 2 * len(names)))) as pool:
        before = dict(zip(names, pool.map(lambda n: _read_before(services[n], timeout), names), strict=True))
        _call_hook(hook.inject, dependency, mode, "inject")
        try:
            during = _read_during(pool, services, timeout)
        finally:
            _call_hook(hook.restore, dependency, mode, "restore")
        restored_at = time.perf_counter()
        after = dict(
            zip(
                names,
                pool.map(lambda n: _read_recovery(services[n], restored_at, recovery_bound_s, timeout), names),
                strict=True,
            )
        )
    return {
        name: FaultObservation(
            dependency=dependency,
            mode=mode,
            baseline_ready=before[name].baseline_ready,
            during_ready=during[name][0],
            during_live=during[name][1],
            recovered_ready=after[name][0],
            recovery_s=after[name][1],
            start_time_before=before[name].start_time,
            start_time_after=after[name][2],
            profile=services[name].profile,
        )
        for name in names
    }


def _call_hook(action: Any, dependency: str, mode: str, verb: str) -> None:
    try:
        action(mode)
    except Exception as exc:  # any hook failure (command, state, backend start) is reported, not a crash
        raise FaultHookFailed(f"the fault hook for {dependency} failed to {verb} {mode!r}: {exc}") from exc


def _read_before(endpoint: Endpoint, timeout: float) -> _Before:
    with observe_client(timeout) as client:
        ready = exchange(client, "GET", endpoint.url(endpoint.paths.ready))
        start = process_start_time(_scrape(client, endpoint))
    return _Before(ready, start)


def _read_during(pool: ThreadPoolExecutor, services: Mapping[str, Endpoint], timeout: float) -> dict[str, _During]:
    # Ready and live of every service at once: a frozen dependency makes ready slow, and live must not wait on it.
    def read(endpoint: Endpoint, path: str) -> HttpExchange:
        with observe_client(timeout) as client:
            return exchange(client, "GET", endpoint.url(path))

    ready = {n: pool.submit(read, e, e.paths.ready) for n, e in services.items()}
    live = {n: pool.submit(read, e, e.paths.live) for n, e in services.items()}
    return {n: (ready[n].result(), live[n].result()) for n in services}


def _read_recovery(
    endpoint: Endpoint, restored_at: float, bound_s: float, timeout: float
) -> tuple[HttpExchange, float, float | None]:
    with observe_client(timeout) as client:
        while True:
            ready = exchange(client, "GET", endpoint.url(endpoint.paths.ready))
            waited = time.perf_counter() - restored_at
            if ready.status == 200 or waited >= bound_s:
                break
            time.sleep(_POLL_S)
        start = process_start_time(_scrape(client, endpoint))
    return ready, waited, start

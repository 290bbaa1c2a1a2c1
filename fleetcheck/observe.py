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

import functools
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from fleetcheck.contracts.observations import (
    EndpointRead,
    FaultObservation,
    HealthSnapshot,
    HttpExchange,
    MetricsSnapshot,
    StatsReads,
    TrafficObservation,
)

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Mapping, Sequence

    from fleetcheck.contracts.health_profiles import HealthProfile
    from fleetcheck.fixtures.faults import FaultHook
    from fleetcheck.targets import Endpoint

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "OPENMETRICS_ACCEPT",
    "FaultHookFailed",
    "call_hook",
    "exchange",
    "observe_client",
    "observe_faults",
    "observe_health",
    "observe_metrics",
    "observe_traffic",
    "process_start_time",
    "read_recovery",
    "scrape",
]

DEFAULT_TIMEOUT_S = 5.0
OPENMETRICS_ACCEPT = "application/openmetrics-text; version=1.0.0"
_BODY_LIMIT = 4 * 1024 * 1024  # a scrape is rarely above 1 MiB; cap memory if a target streams garbage
_PLACEHOLDER = re.compile(r"\{[^{}/]+\}")
_START_TIME = re.compile(r"^process_start_time_seconds(?:\{[^}]*\})?\s+(\S+)", re.MULTILINE)
_POLL_S = 0.1
#: the least time between two stats reads whose uptimes are whole seconds (so that at least one second passes)
_WHOLE_SECONDS_GAP_S = 1.2
#: the second ready read under a fault starts this long after the first, while a hung check of the first still runs
_AGAIN_AFTER_S = 0.2


class FaultHookFailed(RuntimeError):
    """The fault hook itself failed (inject or restore); the fault checks cannot be judged."""


def exchange(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    content: str | bytes | None = None,
    files: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> HttpExchange:
    """Send one request and record it; transport errors become ``status=0`` with ``error``, never an exception."""
    request_headers = tuple((headers or {}).items())
    path = httpx.URL(url).raw_path.decode("ascii", "replace") if url.startswith(("http://", "https://")) else url
    started = time.perf_counter()
    try:
        response = client.request(
            method,
            url,
            headers=dict(request_headers),
            json=json_body,
            content=content,
            files=files,
            timeout=timeout or client.timeout,
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


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verification (certifi's CA bundle), built once per process and shared by every client.

    httpx builds a new context for each client it creates, loading the CA bundle: about 25 ms of CPU (measured),
    which a short-lived client per request paid every time (half of fleetcheck's own CPU in the events area, a
    client per burst write). A context is safe to share between threads and clients.
    """
    return httpx.create_ssl_context()


def observe_client(timeout: float = DEFAULT_TIMEOUT_S) -> httpx.Client:
    # No redirects: a health endpoint that redirects is itself something the checks should see.
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls_context())


def observe_health(endpoint: Endpoint, *, timeout: float = DEFAULT_TIMEOUT_S) -> HealthSnapshot:
    """Read every health endpoint the service declares, once, in order."""
    with observe_client(timeout) as client:
        reads = tuple(
            EndpointRead(h.endpoint, h.path, h.profile, exchange(client, "GET", endpoint.url(h.path)))
            for h in endpoint.health
        )
    return HealthSnapshot(reads, observed_at=time.time())


def scrape(client: httpx.Client, endpoint: Endpoint, accept: str | None = None) -> HttpExchange:
    """One GET of the service's metrics path (``Accept`` as given, else the client's default)."""
    headers = {"Accept": accept} if accept else None
    return exchange(client, "GET", endpoint.url(endpoint.metrics_path), headers=headers)


def observe_metrics(endpoint: Endpoint, *, timeout: float = DEFAULT_TIMEOUT_S) -> MetricsSnapshot:
    """Scrape the metrics path twice: as Prometheus does by default, and asking for OpenMetrics."""
    with observe_client(timeout) as client:
        text = scrape(client, endpoint)
        openmetrics = scrape(client, endpoint, OPENMETRICS_ACCEPT)
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
    token: str | None = None,
    stats_profile: HealthProfile | None = None,
) -> TrafficObservation:
    """Read the stats endpoint, scrape, send known traffic, scrape again, read the stats endpoint again.

    A stats endpoint whose uptime reads as whole seconds both times (read with ``stats_profile``) cannot show the
    tenth of a second the traffic took: the second read then waits until more than a second has passed.

    The traffic is ``health_requests`` GETs of the cheapest health endpoint plus ``ids_per_route`` GETs per id route
    (full paths: the service's ``api_base`` already applied), each with a fresh uuid, so a counter that moves by
    anything other than the traffic sent, or a route label that holds a raw id, is visible to the checks. With a
    tenant's ``token`` the id requests carry it, so they reach the handler (a missing id must be a 404, not a 500);
    without one they stop at the authentication (401). The caller must not send other requests to this service
    meanwhile.
    """
    bearer = {"Authorization": f"Bearer {token}"} if token else None
    cheap = endpoint.health_path("health") or endpoint.health_path("live") or endpoint.metrics_path
    stats_path = endpoint.health_path("stats")
    with observe_client(timeout) as client:
        # the stats endpoint is read outside the scrapes, so the request counters the metrics checks judge exactly
        # see only the known traffic; the clock readings bound the time between the two reads
        stats_started = time.monotonic()
        stats_before = exchange(client, "GET", endpoint.url(stats_path)) if stats_path else None
        stats_answered = time.monotonic()
        before = scrape(client, endpoint)
        sent = [exchange(client, "GET", endpoint.url(cheap)) for _ in range(health_requests)]
        id_paths: list[str] = []
        for route in id_routes:
            for _ in range(ids_per_route):
                path = fill_id_route(route, str(uuid.uuid4()))
                id_paths.append(path)
                sent.append(exchange(client, "GET", endpoint.url(path), headers=bearer))
        after = scrape(client, endpoint)
        stats_asked = time.monotonic()
        stats_after = exchange(client, "GET", endpoint.url(stats_path)) if stats_path else None
        stats_ended = time.monotonic()
        if stats_path and stats_profile and _whole_uptimes(stats_profile, stats_before, stats_after):
            time.sleep(max(0.0, stats_answered + _WHOLE_SECONDS_GAP_S - time.monotonic()))
            stats_asked = time.monotonic()
            stats_after = exchange(client, "GET", endpoint.url(stats_path))
            stats_ended = time.monotonic()
    stats = None
    if stats_path is not None and stats_before is not None and stats_after is not None:
        profile = endpoint.health_profile("stats")
        stats = StatsReads(
            EndpointRead("stats", stats_path, profile, stats_before),
            EndpointRead("stats", stats_path, profile, stats_after),
            between_s=(stats_asked - stats_answered, stats_ended - stats_started),
        )
    return TrafficObservation(
        before=before, sent=tuple(sent), after=after, id_paths=tuple(id_paths), authorized=bool(token), stats=stats
    )


def _whole_uptimes(profile: HealthProfile, *reads: HttpExchange | None) -> bool:
    """Every read's ``uptime_seconds`` is a whole number (a service that reports seconds truncated, or a number
    that only looks like one)."""
    uptimes = [profile.normalize("stats", r.body).statistics.get("uptime_seconds") if r else None for r in reads]
    return all(isinstance(u, int | float) and not isinstance(u, bool) and float(u).is_integer() for u in uptimes)


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


_During = tuple[tuple[HttpExchange, HttpExchange], HttpExchange | None, HttpExchange | None]


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
    recovered: Callable[[str, HttpExchange], bool] | None = None,
) -> dict[str, FaultObservation]:
    """Break ``dependency`` once (``mode`` "stop" or "freeze") and record how every given service's health behaved.

    Order: baseline ready and process start time of each service; inject; ready (timed, and again 0.2 s later while
    the first may still wait), live and health of all services concurrently; restore (always, in ``finally``); poll
    ready until it is up again (``recovered(service, answer)``, by default a 200; an exporter's readiness stays 200
    and says "up" in its body) or ``recovery_bound_s``; start time again.
    ``timeout`` bounds each HTTP call and must exceed the ready bound the checks judge, so a slow answer is measured
    rather than cut off.

    Raises:
        FaultHookFailed: inject or restore failed; the message names the dependency, the mode and the hook's error.
    """
    names = list(services)
    up = recovered or (lambda _service, answer: answer.status == 200)
    with ThreadPoolExecutor(max_workers=max(4, min(64, 4 * len(names)))) as pool:  # 4 reads per service at once
        before = dict(zip(names, pool.map(lambda n: _read_before(services[n], timeout), names), strict=True))
        call_hook(hook.inject, dependency, mode, "inject")
        try:
            during = _read_during(pool, services, timeout)
        finally:
            call_hook(hook.restore, dependency, mode, "restore")
        restored_at = time.perf_counter()
        after = dict(
            zip(
                names,
                pool.map(lambda n: read_recovery(services[n], restored_at, recovery_bound_s, timeout, up), names),
                strict=True,
            )
        )
    return {
        name: FaultObservation(
            dependency=dependency,
            mode=mode,
            baseline_ready=before[name].baseline_ready,
            during_ready=during[name][0][0],
            during_ready_again=during[name][0][1],
            during_live=during[name][1],
            during_health=during[name][2],
            recovered_ready=after[name][0],
            recovery_s=after[name][1],
            start_time_before=before[name].start_time,
            start_time_after=after[name][2],
            profile=services[name].health_profile("ready"),
        )
        for name in names
    }


def call_hook(action: Any, dependency: str, mode: str, verb: str) -> None:
    """Run a fault hook's inject or restore; any failure becomes :class:`FaultHookFailed` naming what failed."""
    try:
        action(mode)
    except Exception as exc:  # any hook failure (command, state, backend start) is reported, not a crash
        raise FaultHookFailed(f"the fault hook for {dependency} failed to {verb} {mode!r}: {exc}") from exc


def _read_before(endpoint: Endpoint, timeout: float) -> _Before:
    with observe_client(timeout) as client:
        ready = exchange(client, "GET", endpoint.url(_ready_path(endpoint)))
        start = process_start_time(scrape(client, endpoint))
    return _Before(ready, start)


def _ready_path(endpoint: Endpoint) -> str:
    path = endpoint.health_path("ready")
    if path is None:
        raise ValueError(f"{endpoint.service} declares no ready endpoint, so a fault cannot be judged on it")
    return path


def _read_during(pool: ThreadPoolExecutor, services: Mapping[str, Endpoint], timeout: float) -> dict[str, _During]:
    # Ready, live and the cheap health of every service at once: a frozen dependency makes ready slow, and live and
    # health must not wait on it.
    def read(endpoint: Endpoint, path: str | None) -> HttpExchange | None:
        if path is None:
            return None
        with observe_client(timeout) as client:
            return exchange(client, "GET", endpoint.url(path))

    def read_ready(endpoint: Endpoint) -> HttpExchange:
        with observe_client(timeout) as client:
            return exchange(client, "GET", endpoint.url(_ready_path(endpoint)))

    ready = {n: pool.submit(read_ready, e) for n, e in services.items()}
    live = {n: pool.submit(read, e, e.health_path("live")) for n, e in services.items()}
    health = {n: pool.submit(read, e, e.health_path("health")) for n, e in services.items()}
    # ready once more while the first read's checks still run (a hung one takes its whole timeout): the service must
    # answer it as it answers the first, without waiting behind it or reporting the pending check as nonsense
    time.sleep(_AGAIN_AFTER_S)
    again = {n: pool.submit(read_ready, e) for n, e in services.items()}
    return {n: ((ready[n].result(), again[n].result()), live[n].result(), health[n].result()) for n in services}


def read_recovery(
    endpoint: Endpoint, restored_at: float, bound_s: float, timeout: float, up: Callable[[str, HttpExchange], bool]
) -> tuple[HttpExchange, float, float | None]:
    """Poll ready from ``restored_at`` until ``up`` says so or ``bound_s``: (last answer, seconds, process start)."""
    with observe_client(timeout) as client:
        while True:
            ready = exchange(client, "GET", endpoint.url(_ready_path(endpoint)))
            waited = time.perf_counter() - restored_at
            if up(endpoint.service, ready) or waited >= bound_s:
                break
            time.sleep(_POLL_S)
        start = process_start_time(scrape(client, endpoint))
    return ready, waited, start

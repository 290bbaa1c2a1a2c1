"""What observers hand to checks: plain, frozen records of what a live system did.

Observers (in ``fleetcheck.observe``) fill these in over real sockets; checks only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = [
    "BootObservation",
    "EndpointRead",
    "FaultObservation",
    "HealthSnapshot",
    "HttpExchange",
    "MetricsSnapshot",
    "OperationObservation",
    "StatsReads",
    "TrafficObservation",
]


@dataclass(frozen=True, slots=True)
class HttpExchange:
    """One HTTP request and what came back. ``status`` is 0 and ``error`` set when no response arrived."""

    method: str
    url: str
    path: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    elapsed_s: float
    error: str = ""
    request_headers: tuple[tuple[str, str], ...] = ()
    #: when in the run it was made, where that matters to a finding ("after the traffic"); "" for most
    moment: str = ""

    def header(self, name: str) -> str | None:
        """The first value of a response header, case-insensitively, or ``None``."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def request_line(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class EndpointRead:
    """One health endpoint the service declares: where, in which profile, and what it answered.

    ``exchange`` is ``None`` when the endpoint is declared but was not observed.
    """

    endpoint: str
    path: str
    profile: str
    exchange: HttpExchange | None


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    """The health endpoints a service declares, each read once while its dependencies are up.

    ``observed_at`` is the observer's wall clock (Unix seconds) when the reads finished, to judge timestamp freshness.
    """

    reads: tuple[EndpointRead, ...]
    observed_at: float

    def read(self, endpoint: str) -> EndpointRead | None:
        """The read of ``endpoint`` (``health``, ``live``, ``ready``, ``stats``, ``dependencies``), if declared."""
        return next((r for r in self.reads if r.endpoint == endpoint), None)

    def exchange(self, endpoint: str) -> HttpExchange | None:
        found = self.read(endpoint)
        return found.exchange if found is not None else None

    @property
    def ready(self) -> HttpExchange | None:
        return self.exchange("ready")

    @property
    def stats(self) -> HttpExchange | None:
        return self.exchange("stats")

    @property
    def dependencies(self) -> HttpExchange | None:
        return self.exchange("dependencies")


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """One scrape in the default format and one asking for OpenMetrics.

    The runner takes one at rest and one after the traffic, operations, flows and events (each exchange's
    ``moment`` says so), and the metrics checks judge both.
    """

    text: HttpExchange
    openmetrics: HttpExchange

    def at(self, moment: str) -> MetricsSnapshot:
        """The same scrapes, marked as taken at ``moment``."""
        return MetricsSnapshot(replace(self.text, moment=moment), replace(self.openmetrics, moment=moment))


@dataclass(frozen=True, slots=True)
class TrafficObservation:
    """A scrape, then known traffic, then another scrape.

    ``sent`` lists every request the observer made between the scrapes (excluding the scrapes themselves), with the
    status each one got. ``id_paths`` are the requests whose paths carried distinct ids (to judge route templating).
    """

    before: HttpExchange
    sent: tuple[HttpExchange, ...]
    after: HttpExchange
    id_paths: tuple[str, ...]
    #: whether the id requests carried a tenant's token (then a missing id reaches the handler)
    authorized: bool = False
    #: the stats endpoint read before the first scrape and after the last; ``None`` when none is declared
    stats: StatsReads | None = None


@dataclass(frozen=True, slots=True)
class StatsReads:
    """Two reads of a stats endpoint around known traffic. ``between_s`` bounds the time that passed between the
    moments the service computed the two bodies: (end of the first read to start of the second, start of the first
    to end of the second), from the observer's monotonic clock."""

    first: EndpointRead
    second: EndpointRead
    between_s: tuple[float, float]


@dataclass(frozen=True, slots=True)
class OperationObservation:
    """A declared business operation (fleet file ``operations``), with scrapes around it."""

    operation: str
    before: HttpExchange
    exchanges: tuple[HttpExchange, ...]
    after: HttpExchange
    #: requests the target did not answer as declared (the operation did not happen, so its counters say nothing)
    refused: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FaultObservation:
    """One dependency broken on purpose, and how one service's health endpoints behaved.

    ``mode`` is ``"stop"`` (the dependency refuses connections) or ``"freeze"`` (it accepts but never answers,
    e.g. SIGSTOP). ``during_ready``/``during_live`` are read after the fault took effect; ``recovered_ready`` is the
    first 200 (or the last answer) after the dependency came back, ``recovery_s`` how long that took.
    ``start_time_before``/``after`` identify the process (``process_start_time_seconds`` or equivalent) so a
    recovery by restart can be told from a real one; ``None`` when the target does not expose it.
    ``profile`` names the health profile the ready/live bodies are read with (``fleetcheck.contracts.health_profiles``).
    """

    dependency: str
    mode: str
    baseline_ready: HttpExchange
    during_ready: HttpExchange
    during_live: HttpExchange | None
    recovered_ready: HttpExchange
    recovery_s: float
    start_time_before: float | None
    start_time_after: float | None
    profile: str = "fleet"
    #: the cheap health endpoint read during the fault (it must not call dependencies); ``None``: not declared
    during_health: HttpExchange | None = None
    #: ready read again 0.2 s after ``during_ready`` was asked, while a hung check of the first still runs
    during_ready_again: HttpExchange | None = None


@dataclass(frozen=True, slots=True)
class BootObservation:
    """One service started (the target's lifecycle hooks) while one of its dependencies was stopped, then the
    dependency brought back.

    ``live`` is the last answer of the live endpoint (the ready one where the service declares no live) polled from
    the start until it answered 200 or ``bound_s`` passed; ``listening_s`` is when that 200 came, ``None`` when it
    never did. ``ready`` is read right after that 200, while the dependency was still down. ``start_error`` says how
    the start command failed while the dependency was down (exit status, when), ``None`` when it did not;
    ``start_output`` the last lines it printed then.
    ``recovered_ready``/``recovery_s``: the first ready that said up (or the last answer) after the dependency came
    back, and how long that took; ``None`` when the service never listened.
    """

    dependency: str
    bound_s: float
    live: HttpExchange | None
    listening_s: float | None
    ready: HttpExchange | None
    start_error: str | None
    recovered_ready: HttpExchange | None
    recovery_s: float
    profile: str = "fleet"
    start_output: str = ""

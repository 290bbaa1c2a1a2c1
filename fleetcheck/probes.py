"""The probe runner: checks of the one catalogue, run on a schedule against a live fleet (the design card's driver 3).

A **probe** is a named group of catalogue checks whose observation is a plain read (``needs`` ``health`` or
``metrics``): the probe file (YAML, :func:`load_probe_file`) names its checks, the health endpoints it reads, its
interval and its time-out. The runner gathers exactly that observation for one service, calls
:func:`~fleetcheck.contracts.registry.run_check` for each check and merges the verdicts into one
:class:`ProbeResult`; it never judges on its own. Checks that need traffic, writes or faults are refused by the probe
file loader: a prober must not change what it watches. The one exception says so in the probe file: a probe with a
``journey:`` key runs that journey (``fleetcheck.journeys``), which writes as the target's synthetic tenant, deletes
what it made, and is judged by the FLOWS-* checks the probe names; it runs once per interval, at the service it enters.

An unreachable service, a 500 or a service that never answers is a failed probe with a bounded ``reason``
(:data:`REASONS`), never a crashed prober: every request is bounded by the probe's time-out, and every probe runs on a
worker of a pool of ``concurrency`` threads under a deadline, so a hanging service holds only its own probes.

Example:
    >>> spec = default_probe_file()
    >>> [p.name for p in spec.probes], spec.probe("readiness").interval_s
    (['health', 'readiness', 'metrics-lint', 'journey-customer', 'journey-workflow'], 15.0)
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fleetcheck.contracts.findings import CheckResult, Outcome
from fleetcheck.contracts.fleet import describe_validation_error
from fleetcheck.contracts.flows import FLOWS
from fleetcheck.contracts.observations import EndpointRead, HealthSnapshot, HttpExchange, MetricsSnapshot
from fleetcheck.contracts.registry import CheckContext, merge_results, run_check
from fleetcheck.contracts.yamlfile import read_yaml_mapping
from fleetcheck.journeys import JOURNEYS, JourneyRun, JourneyStep, deadlines_within, run_journey
from fleetcheck.observe import OPENMETRICS_ACCEPT, exchange, observe_client
from fleetcheck.runner import load_catalogue

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import httpx

    from fleetcheck.contracts.registry import Check
    from fleetcheck.targets import Endpoint, Target

__all__ = [
    "PROBEABLE_NEEDS",
    "REASONS",
    "Probe",
    "ProbeFile",
    "ProbeFileError",
    "ProbeResult",
    "ProbeRunner",
    "ProbeScheduler",
    "default_probe_file",
    "load_probe_file",
]

#: observation kinds a probe may gather: reads that change nothing on the service
PROBEABLE_NEEDS = frozenset({"health", "metrics"})
#: the bounded values of the ``reason`` label: why a probe did not pass (``ok`` when it did)
REASONS = ("ok", "finding", "http_status", "connect_error", "dns", "tls", "timeout", "not_run", "prober_error",
           "cleanup_failed")  # fmt: skip
_HEALTH_ENDPOINTS = ("health", "live", "ready", "stats", "dependencies")


class ProbeFileError(ValueError):
    """A probe file that cannot be used; the message names the file, the key and what is allowed."""


# ---- the probe file -----------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ProbeModel(_Model):
    checks: list[str] = Field(min_length=1)
    journey: str | None = Field(default=None, description="opts in to writing: the journey these FLOWS-* checks judge")
    endpoints: list[str] | None = None
    interval_s: float | None = Field(default=None, gt=0)
    timeout_s: float | None = Field(default=None, gt=0)


class _DefaultsModel(_Model):
    interval_s: float = Field(default=15.0, gt=0)
    timeout_s: float = Field(default=5.0, gt=0)
    jitter: float = Field(default=0.1, ge=0, lt=1)
    concurrency: int = Field(default=8, ge=1, le=256)


class _ProbeFileModel(_Model):
    defaults: _DefaultsModel = Field(default_factory=_DefaultsModel)
    probes: dict[str, _ProbeModel] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Probe:
    """One probe: catalogue checks on one observation, every ``interval_s``, bounded by ``timeout_s``."""

    name: str
    checks: tuple[str, ...]
    needs: str
    interval_s: float
    timeout_s: float
    #: the health endpoints read (``needs == "health"``); empty: every endpoint the service declares
    endpoints: tuple[str, ...] = ()
    #: a journey (``needs == "journey"``, a key of ``fleetcheck.journeys.JOURNEYS``): it writes as the synthetic tenant
    journey: str = ""


@dataclass(frozen=True, slots=True)
class ProbeFile:
    """The probes to run and how: jitter (a fraction of each interval) and how many probes run at once."""

    probes: tuple[Probe, ...]
    jitter: float = 0.1
    concurrency: int = 8
    source: str = "the default probes"

    def probe(self, name: str) -> Probe:
        found = next((p for p in self.probes if p.name == name), None)
        if found is None:
            raise KeyError(f"no probe {name!r} in {self.source}; probes: {', '.join(p.name for p in self.probes)}")
        return found

    def module(self, name: str) -> Probe:
        """A probe by name, or a single probeable check id as a probe of its own (blackbox's ``module``).

        Raises:
            KeyError: neither a probe of the file nor a probeable check id; the message names both lists.
        """
        found = next((p for p in self.probes if p.name == name), None)
        if found is not None:
            return found
        catalogue = {c.id: c for c in load_catalogue()}
        check = catalogue.get(name)
        if check is None or check.needs not in PROBEABLE_NEEDS:
            probeable = sorted(c.id for c in catalogue.values() if c.needs in PROBEABLE_NEEDS)
            names = ", ".join(p.name for p in self.probes)
            raise KeyError(
                f"unknown module {name!r}: expected a probe of {self.source} ({names}) "
                f"or a check id whose observation is a read ({', '.join(probeable)})"
            )
        first = self.probes[0]
        return Probe(name, (name,), check.needs, first.interval_s, first.timeout_s)


_DEFAULT_PROBES: dict[str, Any] = {
    "defaults": {"timeout_s": 5.0, "jitter": 0.1, "concurrency": 8},
    "probes": {
        "health": {
            "checks": ["HEALTH-ENDPOINTS", "HEALTH-SHAPE", "HEALTH-SERVICE-NAME"],
            "endpoints": ["health", "live"],
            "interval_s": 15.0,
        },
        "readiness": {
            "checks": ["HEALTH-ENDPOINTS", "HEALTH-READY-LISTS-DEPS"],
            "endpoints": ["ready"],
            "interval_s": 15.0,
        },
        "metrics-lint": {"checks": ["METRICS-PARSE", "METRICS-LINT"], "interval_s": 60.0},
        "journey-customer": {
            "journey": "customer",
            "checks": ["FLOWS-LOGIN-GATEWAY-MASTER-DATA", "FLOWS-AUDIT-EVERY-OPERATION"],
            "interval_s": 300.0,
            "timeout_s": 150.0,
        },
        "journey-workflow": {
            "journey": "workflow",
            "checks": ["FLOWS-WORKFLOW-NOTIFIES"],
            "interval_s": 300.0,
            "timeout_s": 150.0,
        },
    },
}


def default_probe_file() -> ProbeFile:
    """health and readiness every 15 s, metrics lint every 60 s, the two journeys every 5 minutes (``probes/fleet.yaml``
    says the same)."""
    return _build(_ProbeFileModel.model_validate(_DEFAULT_PROBES), "the default probes", _DEFAULT_PROBES)


def load_probe_file(path: Path | str) -> ProbeFile:
    """Read and validate a probe file.

    Raises:
        ProbeFileError: missing file, not YAML, wrong keys or types, an unknown check id, a check whose observation
            is not a read, checks of two observation kinds in one probe, an unknown health endpoint.
    """
    file = Path(path)
    raw = read_yaml_mapping(file, ProbeFileError, missing="no such probe file. Pass an existing YAML file to --probes.",
                            keys="probes (required) and defaults")  # fmt: skip
    try:
        model = _ProbeFileModel.model_validate(raw)
    except ValidationError as exc:
        detail = describe_validation_error(exc, raw, _ProbeFileModel)
        raise ProbeFileError(f"{file}: invalid probe file\n{detail}") from None
    return _build(model, str(file), raw)


def _build(model: _ProbeFileModel, source: str, raw: Any) -> ProbeFile:
    catalogue = {c.id: c for c in load_catalogue()}
    probes = []
    for name, given in model.probes.items():
        where = f"{source}: probes.{name}"
        kind = _probe_kind(where, given, catalogue)
        endpoints = tuple(given.endpoints or ())
        bad = [e for e in endpoints if e not in _HEALTH_ENDPOINTS]
        if bad:
            raise ProbeFileError(
                f"{where}.endpoints: unknown health endpoint {bad[0]!r}; allowed: {', '.join(_HEALTH_ENDPOINTS)}"
            )
        if endpoints and kind != "health":
            raise ProbeFileError(f"{where}.endpoints: only a probe of health checks reads health endpoints")
        interval = given.interval_s or model.defaults.interval_s
        timeout = given.timeout_s or model.defaults.timeout_s
        if timeout > interval:
            raise ProbeFileError(
                f"{where}.timeout_s: {timeout:g} s is longer than its interval_s ({interval:g} s); expected at most "
                "the interval, so one run of a probe ends before the next is due"
            )
        probes.append(Probe(name, tuple(given.checks), kind, interval, timeout, endpoints, given.journey or ""))
    defaults = model.defaults
    return ProbeFile(tuple(probes), defaults.jitter, defaults.concurrency, source)


def _probe_kind(where: str, given: _ProbeModel, catalogue: dict[str, Check]) -> str:
    """The observation the probe's checks need (one kind), ``journey`` for a journey's; refuses what it cannot run."""
    journey = JOURNEYS.get(given.journey or "")
    if given.journey is not None and journey is None:
        raise ProbeFileError(f"{where}.journey: unknown journey {given.journey!r}; allowed: {', '.join(JOURNEYS)}")
    needs = set()
    for index, check_id in enumerate(given.checks):
        check = catalogue.get(check_id)
        if check is None:
            raise ProbeFileError(
                f"{where}.checks[{index}]: unknown check id {check_id!r}; `fleetcheck checks` lists the "
                f"{len(catalogue)} known ids (a probe takes those whose needs is health or metrics)"
            )
        if journey is not None:
            if check.needs not in journey.kinds:
                judged = ", ".join(c.id for c in catalogue.values() if c.needs in journey.kinds)
                raise ProbeFileError(f"{where}.checks[{index}]: {check_id} does not judge journey {journey.name}; "
                                     f"its checks are {judged}")  # fmt: skip
            continue
        if check.needs not in PROBEABLE_NEEDS:
            raise ProbeFileError(f"{where}.checks[{index}]: {check_id} needs a {check.needs!r} observation; a probe "
                                 "runs only checks whose observation is a read that changes nothing (needs: health or "
                                 f"metrics){_journey_hint(check.needs)}")  # fmt: skip
        needs.add(check.needs)
    if journey is not None:
        return "journey"
    if len(needs) > 1:
        raise ProbeFileError(
            f"{where}.checks: mixes health and metrics checks; a probe gathers one observation, so make one "
            "probe for each"
        )
    (kind,) = needs
    return kind


def _journey_hint(needs: str) -> str:
    journey = next((j for j in JOURNEYS.values() if needs in j.kinds), None)
    if journey is None:
        return ""
    return (f". It writes, so it runs only in a journey, which writes as the target's synthetic tenant and deletes "
            f"what it made: add `journey: {journey.name}` to this probe to opt in")  # fmt: skip


# ---- one probe of one service -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe of one service: the merged verdict of its checks, and what a blackbox-style exporter says of it."""

    service: str
    probe: str
    outcome: Outcome
    reason: str
    detail: str
    status_code: int
    duration_s: float
    finished_at: float
    checks: tuple[CheckResult, ...] = ()
    #: a journey's timed steps, in order (empty for a plain probe)
    steps: tuple[JourneyStep, ...] = ()
    #: a journey's clean-up: what it could not delete (each a sentence), and the earlier runs' leftovers it deleted
    cleanup_failures: tuple[str, ...] = ()
    cleaned: tuple[str, ...] = ()

    @property
    def success(self) -> bool:
        """Passed on evidence it judged; a probe that was not run is not a success."""
        return self.outcome is Outcome.PASSED

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "check": self.probe,
            "outcome": self.outcome.value,
            "success": self.success,
            "reason": self.reason,
            "detail": self.detail,
            "status_code": self.status_code,
            "duration_s": round(self.duration_s, 4),
            "at": datetime.fromtimestamp(self.finished_at, UTC).isoformat(),
            "checks": [
                {
                    "id": r.check_id,
                    "outcome": r.outcome.value,
                    "judged": r.judged,
                    "reason": r.reason,
                    "findings": [f.observed for f in r.findings],
                }
                for r in self.checks
            ],
            **self._journey_json(),
        }

    def _journey_json(self) -> dict[str, Any]:
        if not (self.steps or self.cleanup_failures or self.cleaned):
            return {}  # a plain probe's line stays as it was
        return {
            "steps": [{"step": s.name, "duration_s": round(s.duration_s, 4)} for s in self.steps],
            "cleanup_failures": list(self.cleanup_failures),
            "cleaned": list(self.cleaned),
        }


def _deadline_timeout(deadline: float) -> float:
    return max(0.05, deadline - time.monotonic())


def _observe_health(
    client: httpx.Client, endpoint: Endpoint, probe: Probe, deadline: float
) -> tuple[HealthSnapshot, list[HttpExchange]]:
    wanted = [h for h in endpoint.health if not probe.endpoints or h.endpoint in probe.endpoints]
    reads, exchanges = [], []
    for h in wanted:
        answer = exchange(client, "GET", endpoint.url(h.path), timeout=_deadline_timeout(deadline))
        reads.append(EndpointRead(h.endpoint, h.path, h.profile, answer))
        exchanges.append(answer)
    return HealthSnapshot(tuple(reads), observed_at=time.time()), exchanges


def _observe_metrics(
    client: httpx.Client, endpoint: Endpoint, deadline: float
) -> tuple[MetricsSnapshot, list[HttpExchange]]:
    url = endpoint.url(endpoint.metrics_path)
    text = exchange(client, "GET", url, timeout=_deadline_timeout(deadline))
    headers = {"Accept": OPENMETRICS_ACCEPT}
    if text.error:  # an unreachable service: no second wait for the same silence, and none claimed
        why = f"not sent: the text-format scrape got no answer ({text.error})"
        skipped = HttpExchange("GET", url, text.path, 0, (), b"", 0.0, why, tuple(headers.items()))
        return MetricsSnapshot(text, skipped), [text]
    openmetrics = exchange(client, "GET", url, headers=headers, timeout=_deadline_timeout(deadline))
    return MetricsSnapshot(text, openmetrics), [text, openmetrics]


def _exchanges_of(run: JourneyRun) -> list[HttpExchange]:
    """Every answer a journey's observations hold, in order (for the reason and blackbox's status code)."""
    found: list[HttpExchange] = []

    def walk(value: object) -> None:
        if isinstance(value, HttpExchange):
            found.append(value)
        elif isinstance(value, tuple):
            for item in value:
                walk(item)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))

    for _kind, observation in run.observations:
        walk(observation)
    return found


def _transport_reason(error: str) -> str:
    lowered = error.lower()
    if "timeout" in lowered:
        return "timeout"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "name resolution" in lowered:
        return "dns"
    if "ssl" in lowered or "certificate" in lowered or "tls" in lowered:
        return "tls"
    return "connect_error"


def _classify(outcome: Outcome, exchanges: Sequence[HttpExchange]) -> str:
    if outcome is Outcome.PASSED:
        return "ok"
    if outcome is Outcome.NOT_RUN:
        return "not_run"
    for answer in exchanges:
        if answer.error:
            return _transport_reason(answer.error)
    if any(not 200 <= answer.status < 300 for answer in exchanges):
        return "http_status"
    return "finding"


def _status_code(exchanges: Sequence[HttpExchange]) -> int:
    """blackbox's probe_http_status_code: the first answer that is not a 2xx, else the last; 0 without an answer."""
    for answer in exchanges:
        if answer.error:
            return 0
        if not 200 <= answer.status < 300:
            return answer.status
    return exchanges[-1].status if exchanges else 0


def _detail(outcome: Outcome, results: Sequence[CheckResult]) -> str:
    if outcome is Outcome.PASSED:
        judged = [f"{r.check_id} judged {r.judged} {r.judged_what}".strip() for r in results if r.judged]
        return "; ".join(judged)
    if outcome is Outcome.FAILED:
        return "; ".join(f"{f.check_id}: {f.observed}" for r in results for f in r.findings)[:2000]
    return "; ".join(f"{r.check_id}: {r.reason}" for r in results)[:2000]


class ProbeRunner:
    """Runs probes of a target's services, each under a deadline, at most ``concurrency`` at once."""

    def __init__(self, target: Target, spec: ProbeFile) -> None:
        self.target, self.spec = target, spec
        # read once: a target file builds its endpoints and settings anew at every access, and both are fixed
        # for the prober's life (a reference fleet's are fixed once it started)
        self._endpoints = dict(target.endpoints)
        self._settings = target.settings
        catalogue = load_catalogue()
        self._checks: dict[str, Check] = {c.id: c for c in catalogue}
        self._pool = ThreadPoolExecutor(max_workers=spec.concurrency, thread_name_prefix="probe")
        # one HTTP client per worker thread, kept across probes: a client's TLS context alone costs ~0.1 s to build
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._clients_lock = threading.Lock()

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = observe_client(max((p.timeout_s for p in self.spec.probes if not p.journey), default=5.0))
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        """Stop taking probes; a probe still waiting on a hung service ends at its own request time-out."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    def __enter__(self) -> ProbeRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def services(self) -> list[str]:
        return [n for n in self.target.fleet.names() if n in self._endpoints]

    def runs(self, services: Sequence[str] | None = None) -> list[tuple[str, Probe]]:
        """What one cycle runs: every plain probe of every service, then each journey once, at the service it enters.

        A journey runs when every service it needs is probed (``services``, default: every service the target
        gives); one whose service is missing is left out, as that service's own probes are. Without the tenant's
        credentials or Kafka it runs and comes back not run, with why.
        """
        names = list(services) if services else self.services()
        runs = [(s, p) for s in names for p in self.spec.probes if not p.journey]
        for probe in self.spec.probes:
            journey = JOURNEYS.get(probe.journey)
            if journey is not None and set(journey.requires) <= set(names):
                runs.append((journey.entry, probe))
        return runs

    def submit(self, service: str, probe: Probe) -> Future[ProbeResult]:
        return self._pool.submit(self.run, service, probe)

    def run_bounded(self, service: str, probe: Probe, timeout_s: float | None = None) -> ProbeResult:
        """Run one probe on the pool and wait at most its time-out (or ``timeout_s``); past it, a timeout result."""
        limit = min(probe.timeout_s, timeout_s) if timeout_s else probe.timeout_s
        started = time.perf_counter()
        future = self._pool.submit(self.run, service, probe, limit)
        # the wait includes the time queued behind other probes; a little slack for the pool's own hand-off
        try:
            return future.result(timeout=limit + 0.5)
        except FutureTimeout:
            future.cancel()
            return timed_out(service, probe, time.perf_counter() - started, limit)

    def run(self, service: str, probe: Probe, timeout_s: float | None = None) -> ProbeResult:
        """Gather the probe's observation of ``service`` and judge it with the probe's checks (never raises)."""
        started = time.perf_counter()
        limit = timeout_s or probe.timeout_s
        try:
            return self._run(service, probe, started, time.monotonic() + limit)
        except Exception as exc:  # a prober bug is a failed probe naming it, never a dead scheduler thread
            return ProbeResult(
                service, probe.name, Outcome.FAILED, "prober_error", f"fleetcheck's prober failed: {exc!r}", 0,
                time.perf_counter() - started, time.time(),
            )  # fmt: skip

    def _run(self, service: str, probe: Probe, started: float, deadline: float) -> ProbeResult:
        endpoint = self._endpoints.get(service)
        if endpoint is None:
            why = self.target.unavailable.get(service, "the target gives no endpoint for it")
            return self._not_run(service, probe, started, why)
        if probe.journey:
            return self._run_journey(service, probe, started)
        spec = self.target.fleet.service(service)
        checks = [self._checks[c] for c in probe.checks]
        applicable = [c for c in checks if c.applies_to(spec, self.target.fleet)]
        if not applicable:
            return self._not_run(service, probe, started, f"none of {', '.join(probe.checks)} applies to {service}")
        observation: Any
        if probe.needs == "health":
            observation, exchanges = _observe_health(self._client(), endpoint, probe, deadline)
            if not observation.reads:
                wanted = ", ".join(probe.endpoints) or "any"
                return self._not_run(service, probe, started, f"{service} declares no health endpoint ({wanted})")
        else:
            observation, exchanges = _observe_metrics(self._client(), endpoint, deadline)
        ctx = CheckContext(spec, self.target.fleet, self._settings)
        results = tuple(run_check(c, ctx, observation) for c in applicable)
        outcome = merge_results(results).outcome
        return ProbeResult(
            service=service,
            probe=probe.name,
            outcome=outcome,
            reason=_classify(outcome, exchanges),
            detail=_detail(outcome, results),
            status_code=_status_code(exchanges),
            duration_s=time.perf_counter() - started,
            finished_at=time.time(),
            checks=results,
        )

    def _run_journey(self, service: str, probe: Probe, started: float) -> ProbeResult:
        """Run the journey (it writes, as the synthetic tenant) and judge each observation with its FLOWS-* check,
        in the context of the service the flow enters at; a clean-up that left something behind fails the run."""
        journey = JOURNEYS[probe.journey]
        if service != journey.entry:
            return self._not_run(service, probe, started, f"journey {journey.name} runs once, at {journey.entry}")
        fleet = self.target.fleet
        checks = [self._checks[c] for c in probe.checks]
        contexts = {c.id: CheckContext(fleet.service(FLOWS[c.needs].entry), fleet, self._settings) for c in checks
                    if FLOWS[c.needs].entry in fleet.names()}  # fmt: skip
        applicable = [c for c in checks if c.id in contexts and c.applies_to(contexts[c.id].service, fleet)]
        if not applicable:  # before anything is written
            why = f"none of {', '.join(probe.checks)} applies: the fleet file lists none of their seed flows"
            return self._not_run(service, probe, started, why)
        deadlines = deadlines_within(journey.name, probe.timeout_s, self._settings)
        run = run_journey(self.target, journey.name, deadlines=deadlines, in_flight_s=probe.timeout_s)
        if run.not_run:
            return self._not_run(service, probe, started, run.not_run)
        results = tuple(
            run_check(c, contexts[c.id], observation)
            for c in applicable
            if (observation := run.observation(c.needs)) is not None
        )
        outcome, exchanges = merge_results(results).outcome, _exchanges_of(run)
        reason, detail = _classify(outcome, exchanges), _detail(outcome, results)
        if run.error:
            outcome, reason, detail = Outcome.FAILED, "prober_error", "; ".join(filter(None, (run.error, detail)))
        elif run.cleanup_failures:
            outcome, reason = Outcome.FAILED, "cleanup_failed"
            detail = "; ".join(filter(None, (*run.cleanup_failures, detail)))
        elif not results:
            outcome, reason = Outcome.NOT_RUN, "not_run"
        return ProbeResult(
            service, probe.name, outcome, reason, detail[:2000], _status_code(exchanges),
            time.perf_counter() - started, time.time(), results, run.steps, run.cleanup_failures, run.cleaned,
        )  # fmt: skip

    def _not_run(self, service: str, probe: Probe, started: float, why: str) -> ProbeResult:
        elapsed = time.perf_counter() - started
        return ProbeResult(service, probe.name, Outcome.NOT_RUN, "not_run", why, 0, elapsed, time.time())

    def cycle(self, services: Sequence[str] | None = None) -> list[ProbeResult]:
        """Every probe of every service once, at once within the concurrency limit; in fleet and probe order.

        Every run ends by its own deadline (each request's time-out is what is left of it), so the cycle is waited
        for as long as the pool needs to work through the queue: one longest time-out per wave of ``concurrency``
        runs. A run still not done then (a starved pool) is a timeout result, never a hung cycle.
        """
        runs = self.runs(services)
        started = time.perf_counter()
        futures = [self._pool.submit(self.run, s, p) for s, p in runs]
        waves = -(-len(runs) // self.spec.concurrency)
        budget = waves * max((p.timeout_s for _s, p in runs), default=0.0) + 1.0
        wait(futures, timeout=budget)
        results = []
        for (service, probe), future in zip(runs, futures, strict=True):
            if future.done():
                results.append(future.result())
            else:
                future.cancel()
                results.append(timed_out(service, probe, time.perf_counter() - started, probe.timeout_s))
        return results


def timed_out(service: str, probe: Probe, elapsed: float, limit: float) -> ProbeResult:
    detail = f"the probe did not finish within its time-out of {limit:g} s"
    return ProbeResult(service, probe.name, Outcome.FAILED, "timeout", detail, 0, elapsed, time.time())


# ---- the schedule ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Slot:
    service: str
    probe: Probe
    due: float
    future: Future[ProbeResult] | None = None
    started: float = 0.0


@dataclass(slots=True)
class ProbeStore:
    """The latest result of every (service, probe), the last success time of each, and how many runs ended how."""

    latest: dict[tuple[str, str], ProbeResult] = field(default_factory=dict)
    last_success: dict[tuple[str, str], float] = field(default_factory=dict)
    runs: dict[tuple[str, str, str], int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, result: ProbeResult) -> None:
        key = (result.service, result.probe)
        with self.lock:
            self.latest[key] = result
            if result.success:
                self.last_success[key] = result.finished_at
            counted = (result.service, result.probe, result.outcome.value)
            self.runs[counted] = self.runs.get(counted, 0) + 1

    def snapshot(self) -> tuple[list[ProbeResult], dict[tuple[str, str], float], dict[tuple[str, str, str], int]]:
        with self.lock:
            return list(self.latest.values()), dict(self.last_success), dict(self.runs)


class ProbeScheduler:
    """Runs every probe of every service on its interval, with jitter, until :meth:`stop`.

    Each (service, probe) has one slot: it is submitted when due and not already running, so a slow service never
    piles up runs. A run past its time-out is recorded as a ``timeout`` failure at its deadline (the exported verdict
    turns at once); its thread, bounded by the same request time-out, finishes on its own and its late result is
    dropped.
    """

    def __init__(
        self,
        runner: ProbeRunner,
        store: ProbeStore,
        *,
        services: Sequence[str] | None = None,
        rng: random.Random | None = None,
        on_result: Callable[[ProbeResult], None] | None = None,
    ) -> None:
        self.runner, self.store = runner, store
        self._rng = rng or random.Random()
        self._on_result = on_result or (lambda _result: None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        now = time.monotonic()
        jitter = runner.spec.jitter
        # the first runs are spread over the jitter window, not fired all in one instant
        self._slots = [_Slot(s, p, now + self._rng.uniform(0, jitter * p.interval_s)) for s, p in runner.runs(services)]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="probe-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            for slot in self._slots:
                self._tend(slot, now)
            self._stop.wait(min(0.25, max(0.01, self._next_event() - time.monotonic())))

    def _next_event(self) -> float:
        events = [s.started + s.probe.timeout_s if s.future is not None else s.due for s in self._slots]
        return min(events, default=time.monotonic() + 0.25)

    def _tend(self, slot: _Slot, now: float) -> None:
        if slot.future is not None:
            if slot.future.done():
                self._finish(slot, self._result_of(slot))
            elif now >= slot.started + slot.probe.timeout_s + 0.25:
                slot.future.cancel()
                self._finish(slot, timed_out(slot.service, slot.probe, now - slot.started, slot.probe.timeout_s))
            return
        if now >= slot.due:
            slot.started = now
            slot.future = self.runner.submit(slot.service, slot.probe)

    def _result_of(self, slot: _Slot) -> ProbeResult:
        assert slot.future is not None
        try:
            return slot.future.result()
        except Exception as exc:  # cancelled or the pool shut down: a prober error, never a dead loop
            detail = f"fleetcheck's prober failed: {exc!r}"
            return ProbeResult(slot.service, slot.probe.name, Outcome.FAILED, "prober_error", detail, 0, 0.0,
                               time.time())  # fmt: skip

    def _finish(self, slot: _Slot, result: ProbeResult) -> None:
        self.store.record(result)
        self._on_result(result)
        interval, jitter = slot.probe.interval_s, self.runner.spec.jitter
        slot.due = slot.started + interval * (1 + self._rng.uniform(-jitter, jitter))
        slot.future = None


def results_exit_code(results: Sequence[ProbeResult]) -> int:
    """0 when every probe passed; 1 when one failed or could not be judged (a prober says success only on evidence)."""
    return 0 if results and all(r.success for r in results) else 1


def iter_json_lines(results: Sequence[ProbeResult]) -> Iterator[dict[str, Any]]:
    for result in results:
        yield result.as_json()

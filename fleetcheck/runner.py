"""The verification runner: gather each observation a check needs once per service, run every applicable check.

Phases, in order, so that no observation disturbs another one's exactness (the migration runs, on fresh databases of
a PostgreSQL of their own, go on beside them in a thread of their own):

1. **read** (all services concurrently): the health endpoints and two scrapes; nothing here moves another service's
   business counters.
2. **traffic** (one service at a time): known traffic and declared operations between two scrapes. Sequential,
   because a request to one service can reach another (a JWKS fetch from auth, a downstream ``/health`` in ready).
3. **faults** (one dependency and mode at a time, all services that declare the dependency at once): break it, read,
   restore. Near the end, so that a hook that fails to restore cannot poison the other observations.
4. **boot** (one dependency at a time, where the target gives lifecycle hooks): stop the services that require it,
   stop it, start them, watch them come up, bring it back (``fleetcheck.boot``). Last: it restarts services.

Example:
    >>> report = verify(target, areas=["health"])  # doctest: +SKIP
    >>> report.failed  # doctest: +SKIP
    False
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.findings import CheckResult, Finding, Outcome
from fleetcheck.contracts.registry import CHECKS, Check, CheckContext, merge_results, run_check
from fleetcheck.observe import FaultHookFailed, observe_faults, observe_health, observe_metrics, observe_traffic
from fleetcheck.steps import StepsNotPossible, observe_operations

if TYPE_CHECKING:
    from fleetcheck.contracts.fleet import DependencySpec, Fleet
    from fleetcheck.contracts.observability import ObservabilityFiles
    from fleetcheck.contracts.observations import BootObservation, FaultObservation, HttpExchange, MetricsSnapshot
    from fleetcheck.contracts.registry import Registry
    from fleetcheck.observability import PrometheusInUse
    from fleetcheck.targets import Endpoint, Target

__all__ = [
    "FAULT_MODES",
    "UNBROKEN_BY_DEFAULT",
    "PhaseTime",
    "Progress",
    "UnknownSelectionError",
    "VerificationReport",
    "load_catalogue",
    "select",
    "verify",
]

Progress = Callable[[str], None]

#: Dependencies fleetcheck does not break unless the target gives a hook by their name: a downstream service (it is
#: judged in its own right) and a storage directory. Any other dependency without a hook is "not run", with the hook
#: to add.
UNBROKEN_BY_DEFAULT = frozenset({"service", "storage"})
FAULT_MODES = ("stop", "freeze")
#: flows run at once in the flows phase
PARALLEL_FLOWS = 4
#: observation kinds gathered without the service running: fresh-database migrations, a catalog read by DSN, schemas
_OFFLINE_NEEDS = frozenset({"migrations", "catalog", "schema-change"})


@dataclass(frozen=True, slots=True)
class PhaseTime:
    """How long one phase of a run took: wall seconds, and CPU seconds of the fleetcheck process (the services are
    other processes; their CPU is not in it)."""

    phase: str
    wall_s: float
    cpu_s: float
    #: ran beside the other phases (its own thread; CPU of that thread only), so not part of the run's total
    concurrent: bool = False


class UnknownSelectionError(ValueError):
    """An area or service name that the catalogue or the fleet does not know; names the allowed values."""


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """Every check result of one run, with what was verified. Reports render from this alone."""

    target: str
    fleet: str
    areas: tuple[str, ...]
    services: tuple[str, ...]
    results: tuple[CheckResult, ...]
    started_at: str = ""
    duration_s: float = 0.0
    #: entries of the baseline file used that no longer occur (``fleetcheck.baseline``)
    baseline_fixed: tuple[str, ...] = ()
    #: each phase that ran, in order (``verify --profile`` prints them; the CLI adds the fleet's start and stop)
    phases: tuple[PhaseTime, ...] = ()

    @property
    def failed(self) -> bool:
        """Whether a check failed with a finding no baseline accepts."""
        return any(r.outcome is Outcome.FAILED and not r.baselined for r in self.results)

    def results_for(self, *, service: str | None = None, area: str | None = None) -> list[CheckResult]:
        return [
            r for r in self.results if (service is None or r.service == service) and (area is None or r.area == area)
        ]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)


def load_catalogue() -> Registry:
    """The registry with every area's checks registered (importing ``fleetcheck.contracts.catalogue`` registers all)."""
    import fleetcheck.contracts.catalogue  # noqa: F401  (imported for its side effect: every check registers)

    return CHECKS


def select(fleet: Fleet, areas: Sequence[str] | None, services: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """Validate the requested areas and services against the catalogue and the fleet.

    Raises:
        UnknownSelectionError: an unknown area or service; the message names the allowed values.
    """
    known_areas = load_catalogue().areas()
    chosen_areas = list(areas) if areas else known_areas
    bad = [a for a in chosen_areas if a not in known_areas]
    if bad:
        raise UnknownSelectionError(f"unknown area {', '.join(bad)}; allowed: {', '.join(known_areas) or '(none)'}")
    names = fleet.names()
    chosen_services = list(services) if services else names
    bad = [s for s in chosen_services if s not in names]
    if bad:
        declared = ", ".join(names)
        raise UnknownSelectionError(f"unknown service {', '.join(bad)}; the fleet {fleet.name} declares: {declared}")
    return chosen_areas, [n for n in names if n in chosen_services]


def verify(
    target: Target,
    *,
    areas: Sequence[str] | None = None,
    services: Sequence[str] | None = None,
    checks: Sequence[str] | None = None,
    progress: Progress | None = None,
    schema_baseline: Mapping[str, dict[str, Any]] | None = None,
    observability: ObservabilityFiles | None = None,
) -> VerificationReport:
    """Run every applicable check of ``areas`` (default: all) on ``services`` (default: the whole fleet).

    ``checks`` narrows the run to these check ids (and the observations they need). ``schema_baseline`` holds an
    earlier release's payload schemas by topic (:func:`fleetcheck.events.load_schema_baseline`) for
    EVENTS-SCHEMA-EVOLUTION; without it that check is not run. ``observability`` names the dashboards and alert rule
    files area ``observability`` judges (default: the target file's, or the ones shipped for the reference fleet).

    Raises:
        UnknownSelectionError: an unknown area, service or check id.
    """
    started, clock = datetime.now(UTC).isoformat(), time.perf_counter()
    area_names, service_names = select(target.fleet, areas, services)
    say = progress or (lambda _message: None)
    plan = _Plan.build(target, area_names, service_names, _check_ids(checks))
    run = _Run(target, plan, say, schema_baseline)
    run.observability = observability
    results = run.execute()
    return VerificationReport(
        target=target.description,
        fleet=target.fleet.name,
        areas=tuple(area_names),
        services=tuple(service_names),
        results=tuple(results),
        started_at=started,
        duration_s=time.perf_counter() - clock,
        phases=tuple(run.phases),
    )


def _check_ids(checks: Sequence[str] | None) -> frozenset[str] | None:
    if not checks:
        return None
    known = {c.id for c in load_catalogue()}
    unknown = sorted(set(checks) - known)
    if unknown:
        raise UnknownSelectionError(
            f"unknown check id {', '.join(unknown)}; `fleetcheck checks` lists the {len(known)} known ids"
        )
    return frozenset(checks)


@dataclass(slots=True)
class _Plan:
    """Which checks run on which available service, and which are not run (with the reason)."""

    checks: dict[str, list[Check]] = field(default_factory=dict)
    not_run: list[CheckResult] = field(default_factory=list)

    @classmethod
    def build(
        cls, target: Target, areas: Sequence[str], services: Sequence[str], check_ids: frozenset[str] | None = None
    ) -> _Plan:
        plan = cls()
        selected = [c for c in CHECKS if c.area in areas and (check_ids is None or c.id in check_ids)]
        for name in services:
            spec = target.fleet.service(name)
            applicable = [c for c in selected if c.applies_to(spec, target.fleet)]
            if name in target.endpoints:
                plan.checks[name] = applicable
                continue
            # migrations run on fresh databases and the catalog is read from a DSN: neither needs the service up
            # (a service whose migrations fail does not start, and MIGRATIONS-UPGRADE-FROM-EMPTY says why)
            offline = [c for c in applicable if c.needs in _OFFLINE_NEEDS]
            if offline:
                plan.checks[name] = offline
            reason = target.unavailable.get(name, "the target gives no endpoint for it")
            plan.not_run.extend(_not_run(c, name, reason) for c in applicable if c not in offline)
        return plan

    def needs(self, service: str) -> set[str]:
        return {c.needs for c in self.checks.get(service, [])}


def _not_run(check: Check, service: str, reason: str) -> CheckResult:
    return CheckResult(check.id, check.area, service, Outcome.NOT_RUN, reason=reason, claim=check.claim)


# An observation slot: the observations a check runs on (one per item, e.g. per operation), or why there are none.
_Observed = tuple[list[Any], list[str]]


class _Run:
    def __init__(
        self, target: Target, plan: _Plan, say: Progress, schema_baseline: Mapping[str, dict[str, Any]] | None
    ) -> None:
        self.target, self.plan, self.say = target, plan, say
        self.schema_baseline = schema_baseline
        self.observed: dict[tuple[str, str], _Observed] = {}
        self.errors: dict[tuple[str, str], str] = {}
        self.phases: list[PhaseTime] = []
        self.observability: ObservabilityFiles | None = None
        self.prometheus: PrometheusInUse | None = None  # the observability area's, once started

    def execute(self) -> list[CheckResult]:
        services = list(self.plan.checks)
        phases: list[tuple[str, Callable[[list[str]], None]]] = [
            ("read", self._read_phase),
            ("traffic", self._traffic_phase),
            ("tenancy", self._tenancy_phase),
            ("flows", self._flows_phase),  # before events: its Kafka outage must not be what a flow waits out
            ("events", self._events_phase),
            ("pact", self._pact_phase),  # after tenancy and events: the pacts' states and messages add rows
            ("observability", self._observability_phase),  # after the traffic: the panels and rules have data
            ("settled scrape", self._settled_scrape_phase),  # before faults and boots: they restart what they break
            ("faults", self._fault_phase),
            ("boot", self._boot_phase),  # last: it restarts services
        ]
        results = list(self.plan.not_run)
        if services:
            # The migration runs use PostgreSQL of their own (or the target's scratch server) and no service: they
            # run beside the live-fleet phases, which mostly wait on the fleet, instead of adding their time to it.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fleetcheck-migrations") as beside:
                run_migrations = partial(self._migrations_phase, services)
                migrations = beside.submit(self._timed, "migrations", run_migrations, concurrent=True)
                with ExitStack() as prometheus:
                    for name, phase in phases:
                        if name == "pact":  # its first scrapes are taken while the pacts are verified
                            self._timed("Prometheus start", partial(self._start_prometheus, services, prometheus))
                        self._timed(name, partial(phase, services))
                        if name == "observability":
                            prometheus.close()
                self._timed("waiting for the migrations", migrations.result)
        self._timed("judge", lambda: results.extend(self._judge(s, c) for s in services for c in self.plan.checks[s]))
        return sorted(results, key=self._order)

    def _timed(self, name: str, work: Callable[[], None], *, concurrent: bool = False) -> None:
        """Run one phase; a phase that had nothing to do (under a millisecond) is left out of the profile. A phase
        run ``concurrent`` in its own thread beside the others counts that thread's CPU, not the process's."""
        clock = time.thread_time if concurrent else time.process_time
        wall, cpu = time.perf_counter(), clock()
        work()
        wall, cpu = time.perf_counter() - wall, clock() - cpu
        if wall >= 0.001:
            self.phases.append(PhaseTime(name, wall, cpu, concurrent))

    def _order(self, result: CheckResult) -> tuple[int, str, str]:
        names = self.target.fleet.names()
        return (names.index(result.service) if result.service in names else len(names), result.area, result.check_id)

    def _endpoint(self, service: str) -> Endpoint:
        return self.target.endpoints[service]

    def _read_phase(self, services: list[str]) -> None:
        self.say(f"reading health and metrics of {len(services)} service(s)")
        wanted = [s for s in services if self.plan.needs(s) & {"health", "metrics"}]
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(wanted) or 1))) as pool:
            list(pool.map(self._read_one, wanted))

    def _read_one(self, service: str) -> None:
        needs = self.plan.needs(service)
        if "health" in needs:
            self._observe(service, "health", lambda: observe_health(self._endpoint(service)))
        if "metrics" in needs:
            self._observe(service, "metrics", lambda: observe_metrics(self._endpoint(service)))

    def _settled_scrape_phase(self, services: list[str]) -> None:
        """A second scrape once traffic, operations, flows and events have run and consumers caught up: a family
        that goes wrong only under traffic (a label value that appears later, buckets that stop being cumulative) is
        judged by the same checks as the first scrape."""
        wanted = [s for s in services if (s, "metrics") in self.observed]
        if not wanted:
            return
        self.say(f"scraping {len(wanted)} service(s) again after the traffic")
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(wanted)))) as pool:
            later = dict(zip(wanted, pool.map(self._scrape_again, wanted), strict=True))
        for service, snapshot in later.items():
            if snapshot is not None:
                self.observed[(service, "metrics")][0].append(snapshot)

    def _scrape_again(self, service: str) -> MetricsSnapshot | None:
        try:
            return observe_metrics(self._endpoint(service)).at("after the traffic")
        except Exception as exc:  # see _observe
            self.observed[(service, "metrics")][1].append(f"the scrape after the traffic failed: {exc!r}")
            return None

    def _observe(self, service: str, kind: str, observer: Callable[[], Any]) -> None:
        try:
            self.observed[(service, kind)] = ([observer()], [])
        except Exception as exc:  # an observer bug is reported on every check that needed it, not a crashed run
            self.errors[(service, kind)] = f"fleetcheck could not observe {kind} of {service}: {exc!r}"

    def _traffic_phase(self, services: list[str]) -> None:
        operating: list[str] = []
        for service in services:
            needs = self.plan.needs(service)
            spec = self.target.fleet.service(service)
            if "traffic" in needs:
                self.say(f"sending known traffic to {service}")
                endpoint, routes = self._endpoint(service), [spec.route(r) for r in spec.id_routes]
                token = self.target.credentials.tenant_token
                profile = self.target.fleet.profile(endpoint.health_profile("stats"))
                observe = partial(observe_traffic, endpoint, routes, token=token, stats_profile=profile)
                self._observe(service, "traffic", observe)
            if needs & {"operation", "metrics"}:
                # also for the metrics checks alone: their second scrape must follow real business traffic
                operating.append(service)
        self._operations(operating)

    def _operations(self, services: list[str]) -> None:
        """Every declared operation of ``services``, one after the other (:func:`observe_operations`); a service
        whose operation fleetcheck could not run for a reason of its own (not a missing step credential) has the
        error instead of observations."""
        fleet = self.target.fleet
        todo = [(s, operation) for s in services for operation in fleet.service(s).operations]
        outcomes = observe_operations(self.target, todo, self.say)
        done: dict[str, _Observed] = {s: ([], []) for s in services}
        for (service, operation), outcome in zip(todo, outcomes, strict=True):
            if isinstance(outcome, StepsNotPossible):
                done[service][1].append(f"operation {operation.name}: {outcome}")
            elif isinstance(outcome, Exception):  # see _observe
                why = f"fleetcheck could not run the operations of {service}: {outcome!r}"
                self.errors[(service, "operation")] = why
            else:
                done[service][0].append(outcome)
        for service in services:
            if not fleet.service(service).operations:
                done[service][1].append(f"the fleet file declares no operations for {service}")
            if "operation" in self.plan.needs(service) and (service, "operation") not in self.errors:
                self.observed[(service, "operation")] = done[service]

    # ---- area "migrations": fresh-database runs (reference fleet) or the live catalog, read only (target file) ----

    def _migrations_phase(self, services: list[str]) -> None:
        kinds = {"migrations", "catalog"}
        wanting = [s for s in services if self.plan.needs(s) & kinds]
        if not wanting:
            return
        from fleetcheck.migrations import observe_target  # imports Alembic only when the area is selected

        try:
            self.observed.update(observe_target(self.target, wanting, self.say))
        except Exception as exc:  # see _observe: every check that needed it reports the observer's failure
            for service in wanting:
                for kind in kinds:
                    self.errors[(service, kind)] = f"fleetcheck could not observe the {kind} of {service}: {exc!r}"

    # ---- area "tenancy": the isolation matrix, forged tokens, defence in depth (fleetcheck.tenancy) ----

    def _tenancy_phase(self, services: list[str]) -> None:
        from fleetcheck.tenancy import TENANCY_KINDS, observe_target

        wanting = [s for s in services if self.plan.needs(s) & TENANCY_KINDS]
        if not wanting:
            return
        observed, failed = observe_target(self.target, wanting, self.say)
        self.observed.update(observed)
        self.errors.update({(s, kind): why for s, why in failed.items() for kind in TENANCY_KINDS})

    # ---- area "events": topics, scenarios, replay, bursts and a Kafka outage (fleetcheck.events) ----

    def _events_phase(self, services: list[str]) -> None:
        from fleetcheck.events import EVENT_KINDS, observe_schema_changes, observe_target

        evolving = [s for s in services if "schema-change" in self.plan.needs(s)]
        self.observed.update(observe_schema_changes(self.target.fleet, evolving, self.schema_baseline))
        wanting = {s: kinds for s in services if (kinds := self.plan.needs(s) & EVENT_KINDS)}
        if not wanting:
            return
        try:
            self.observed.update(observe_target(self.target, wanting, self.say))
        except Exception as exc:  # see _observe: every check that needed it reports the observer's failure
            for service, kinds in wanting.items():
                for kind in kinds:
                    self.errors[(service, kind)] = f"fleetcheck could not observe the {kind} of {service}: {exc!r}"

    # ---- area "pact": the committed consumer pacts verified against their providers (fleetcheck.pact) ----

    def _pact_phase(self, services: list[str]) -> None:
        wanting = [s for s in services if "pact" in self.plan.needs(s)]
        if not wanting:
            return
        from fleetcheck.pact import observe_pacts

        try:
            observation = observe_pacts(self.target, wanting, self.say)
        except Exception as exc:  # see _observe
            self.errors.update({(s, "pact"): f"fleetcheck could not verify the pacts: {exc!r}" for s in wanting})
            return
        for service in wanting:
            self.observed[(service, "pact")] = ([observation], [])

    # ---- area "observability": a real Prometheus, the dashboards and the alert rules (fleetcheck.observability) ----

    def _start_prometheus(self, services: list[str], until: ExitStack) -> None:
        """The observability area's Prometheus, started before the phases it waits through (until ``until``
        closes); a start that fails is left to that area, which reports it."""
        if not any("observability" in self.plan.needs(s) for s in services):
            return
        from fleetcheck.observability import ObservabilityFileError, PrometheusUnusable, files_of, prometheus_for

        try:
            self.prometheus = until.enter_context(
                prometheus_for(self.target, self.observability or files_of(self.target), self.say)
            )
        except (ObservabilityFileError, PrometheusUnusable):
            self.prometheus = None

    def _observability_phase(self, services: list[str]) -> None:
        wanting = [s for s in services if "observability" in self.plan.needs(s)]
        if not wanting:
            return
        from fleetcheck.observability import ObservabilityFileError, PrometheusUnusable, files_of
        from fleetcheck.observability import observe_observability as observe

        files = self.observability or files_of(self.target)
        try:
            observation = observe(self.target, wanting, files, self.say, self.prometheus)
        except (ObservabilityFileError, PrometheusUnusable) as exc:
            for service in wanting:
                self.observed[(service, "observability")] = ([], [str(exc)])
            return
        except Exception as exc:  # see _observe
            self.errors.update({(s, "observability"): f"fleetcheck could not ask Prometheus: {exc!r}" for s in wanting})
            return
        for service in wanting:
            self.observed[(service, "observability")] = ([observation], [])

    # ---- area "flows": the seed's system flows and the declared ones, several at once (fleetcheck.flows) ----

    def _flows_phase(self, services: list[str]) -> None:
        """Every flow at once, up to :data:`PARALLEL_FLOWS`: each judges only what its own requests caused (its own
        keys, ids and correlation ids), and mostly waits on the fleet's events and its settle times."""
        from fleetcheck.flows import FLOW_KINDS

        jobs = [
            partial(self._seed_flow, s, kind) for s in services for kind in sorted(self.plan.needs(s) & set(FLOW_KINDS))
        ]
        jobs += [partial(self._declared_flows, s) for s in services if "flow-declared" in self.plan.needs(s)]
        with ThreadPoolExecutor(max_workers=PARALLEL_FLOWS, thread_name_prefix="fleetcheck-flow") as pool:
            list(pool.map(lambda job: job(), jobs))

    def _seed_flow(self, service: str, kind: str) -> None:
        from fleetcheck.flows import FlowNotRunnable, observe_flow

        self.say(f"running the {kind} flow from {service}")
        try:
            self.observed[(service, kind)] = ([observe_flow(self.target, kind)], [])
        except FlowNotRunnable as why:
            self.observed[(service, kind)] = ([], [str(why)])
        except Exception as exc:  # see _observe
            self.errors[(service, kind)] = f"fleetcheck could not run the {kind} flow: {exc!r}"

    def _declared_flows(self, service: str) -> None:
        from fleetcheck.flows import observe_declared_flow

        flows = [f for f in self.target.fleet.flows if f.entry == service]
        self.say(f"running {len(flows)} declared flow(s) from {service}")
        self._observe_each(service, "flow-declared", [partial(observe_declared_flow, self.target, f) for f in flows])

    def _observe_each(self, service: str, kind: str, observers: list[Callable[[], Any]]) -> None:
        try:
            self.observed[(service, kind)] = ([observer() for observer in observers], [])
        except Exception as exc:  # see _observe
            self.errors[(service, kind)] = f"fleetcheck could not observe the {kind} of {service}: {exc!r}"

    def _fault_phase(self, services: list[str]) -> None:
        wanting = [s for s in services if "fault" in self.plan.needs(s)]
        by_service: dict[str, _Observed] = {s: ([], []) for s in wanting}
        breakable = {s: self._breakable(s) for s in wanting}
        dependencies = sorted({d.name for deps in breakable.values() for d in deps})
        for dependency, mode in [(d, m) for d in dependencies for m in FAULT_MODES]:
            affected = [s for s in wanting if dependency in {d.name for d in breakable[s]}]
            _collect(by_service, self._fault_pair(dependency, mode, affected))
        self._store_breaks("fault", by_service)

    def _store_breaks(self, kind: str, by_service: dict[str, _Observed]) -> None:
        for service, (observations, missing) in by_service.items():
            if not observations and not missing:
                missing.append(self._nothing_to_break(service))
            self.observed[(service, kind)] = (observations, missing)

    def _breakable(self, service: str) -> list[DependencySpec]:
        """The service's dependencies a fault can be judged on: it declares a ready endpoint, and either the target
        has a hook for the dependency or the dependency is of a kind whose missing hook is worth reporting."""
        if self._endpoint(service).health_path("ready") is None:
            return []
        hooks = self.target.fault_hooks
        return [
            d
            for d in self.target.fleet.service(service).depends_on
            if d.hook in hooks or d.type not in UNBROKEN_BY_DEFAULT
        ]

    def _ready_again(self, service: str, answer: HttpExchange) -> bool:
        """Ready is up again: a 200 whose body, read with its profile, says up (an exporter's stays 200 throughout)."""
        if answer.status != 200:
            return False
        profile = self.target.fleet.profile(self._endpoint(service).health_profile("ready"))
        return not profile.lists_dependencies or profile.normalize("ready", answer.body).status == "up"

    def _nothing_to_break(self, service: str) -> str:
        if self._endpoint(service).health_path("ready") is None:
            return f"{service} declares no ready endpoint to judge under a fault"
        return f"{service} declares no dependency fleetcheck can break (services and storage need a named hook)"

    def _fault_pair(self, dependency: str, mode: str, affected: list[str]) -> Mapping[str, FaultObservation | str]:
        spec = next(d for s in affected for d in self.target.fleet.service(s).depends_on if d.name == dependency)
        hook = self.target.fault_hooks.get(spec.hook)
        if hook is None or mode not in hook.modes:
            reason = self.target.missing_fault_reason(dependency, mode)
            return dict.fromkeys(affected, reason)
        self.say(f"breaking {dependency} ({mode}) under {len(affected)} service(s)")
        endpoints = {s: self._endpoint(s) for s in affected}
        try:
            return observe_faults(
                hook,
                dependency,
                mode,
                endpoints,
                recovery_bound_s=self.target.settings.recovery_bound_s,
                recovered=self._ready_again,
            )
        except FaultHookFailed as exc:
            return dict.fromkeys(affected, str(exc))

    def _boot_phase(self, services: list[str]) -> None:
        wanting = [s for s in services if "boot" in self.plan.needs(s)]
        by_service: dict[str, _Observed] = {s: ([], []) for s in wanting}
        bootable = []
        for service in wanting:
            if self.target.lifecycle(service) is None:
                by_service[service][1].append(self.target.missing_lifecycle_reason(service))
            else:
                bootable.append(service)
        required = {s: [d for d in self._breakable(s) if d.required] for s in bootable}
        for dependency in sorted({d.name for deps in required.values() for d in deps}):
            affected = [s for s in bootable if dependency in {d.name for d in required[s]}]
            _collect(by_service, self._boot(dependency, affected))
        self._store_breaks("boot", by_service)

    def _boot(self, dependency: str, affected: list[str]) -> Mapping[str, BootObservation | str]:
        from fleetcheck.boot import LifecycleFailed, observe_boot

        spec = next(d for s in affected for d in self.target.fleet.service(s).depends_on if d.name == dependency)
        hook = self.target.fault_hooks.get(spec.hook)
        if hook is None or "stop" not in hook.modes:
            return dict.fromkeys(affected, self.target.missing_fault_reason(dependency, "stop"))
        self.say(f"booting {len(affected)} service(s) with {dependency} stopped: {', '.join(affected)}")
        services = {s: (self._endpoint(s), self.target.lifecycle(s)) for s in affected}
        try:
            return observe_boot(
                hook,
                dependency,
                services,  # type: ignore[arg-type]  # lifecycle is not None: _boot_phase kept only those
                bound_s=self.target.settings.boot_bound_s,
                recovery_bound_s=self.target.settings.recovery_bound_s,
                recovered=self._ready_again,
            )
        except (FaultHookFailed, LifecycleFailed) as exc:
            return dict.fromkeys(affected, str(exc))

    def _judge(self, service: str, check: Check) -> CheckResult:
        if (error := self.errors.get((service, check.needs))) is not None:
            return _observer_failed(check, service, error)
        observations, missing = self.observed.get((service, check.needs), ([], []))
        if not observations:
            reason = "; ".join(missing) or f"fleetcheck has no observer for {check.needs!r} observations yet"
            return _not_run(check, service, reason)
        ctx = CheckContext(self.target.fleet.service(service), self.target.fleet, self.target.settings)
        return _merge([run_check(check, ctx, o) for o in observations], missing)


def _collect(by_service: dict[str, _Observed], outcomes: Mapping[str, object]) -> None:
    """File each service's outcome of one break: an observation, or the reason there is none (a string)."""
    for service, outcome in outcomes.items():
        if isinstance(outcome, str):
            by_service[service][1].append(outcome)
        else:
            by_service[service][0].append(outcome)


def _observer_failed(check: Check, service: str, error: str) -> CheckResult:
    finding = Finding(
        check_id=check.id,
        service=service,
        expected=f"fleetcheck to observe the {check.needs} of {service}",
        observed=error,
        hint="this is a bug in fleetcheck or a target it cannot read; report it with the evidence",
    )
    return CheckResult(check.id, check.area, service, Outcome.FAILED, (finding,), claim=check.claim)


def _merge(parts: Iterable[CheckResult], missing: list[str]) -> CheckResult:
    """One result per check and service, from one run per observation item (operations, fault modes).

    Observations the target could not give (``missing``) turn a pass into "passed, partly not run" and add to the
    reasons of a result that no observation could judge.
    """
    merged = merge_results(parts)
    if not missing:
        return merged
    if merged.outcome is Outcome.NOT_RUN:
        return replace(merged, reason="; ".join([*missing, merged.reason]))
    return replace(merged, reason=f"partly not run: {'; '.join(missing)}")

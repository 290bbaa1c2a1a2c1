"""HEALTH-* checks: the health endpoints tell the truth, quickly, in the declared shape.

Every check reads bodies through the snapshot's health profile (``fleetcheck.contracts.health_profiles``); only
HEALTH-SHAPE, HEALTH-CONTENT-TYPE and HEALTH-NO-STORE look at raw bodies and headers.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING

from fleetcheck.contracts.findings import Finding, Judged
from fleetcheck.contracts.health_profiles import dependency_keys, find_dependency
from fleetcheck.contracts.registry import CHECKS, CheckContext, NotApplicable

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from fleetcheck.contracts.fleet import DependencySpec
    from fleetcheck.contracts.health_profiles import DependencyState, HealthProfile, NormalizedHealth
    from fleetcheck.contracts.observations import (
        BootObservation,
        EndpointRead,
        FaultObservation,
        HealthSnapshot,
        HttpExchange,
        StatsReads,
        TrafficObservation,
    )

__all__ = ["READY_HINTS", "dependency_hint"]

AREA = "health"

#: What readiness must do for each dependency type (SPEC.md "Health"), said in every finding about it.
READY_HINTS: dict[str, str] = {
    "postgres": "Readiness must run a real query (SELECT 1) with a timeout.",
    "kafka": "Readiness must send a metadata request to the broker with a timeout.",
    "redis": "Readiness must send PING to Redis with a timeout.",
    "elasticsearch": "Readiness must ask the cluster for its health with a timeout.",
    "temporal": "Readiness must call the Temporal frontend (GetSystemInfo) with a timeout.",
    "s3": "Readiness must make a real request to the bucket (HEAD) with a timeout.",
    "http": "Readiness must make a real request to the dependency with a timeout.",
    "service": "Readiness must GET the downstream service's /health with a timeout.",
    "storage": "Readiness must write and delete a probe file in the storage directory, with a timeout.",
}
_GENERIC_HINT = "Readiness must make a real request to the dependency with a timeout."


def dependency_hint(ctx: CheckContext, dependency: str) -> str:
    """The readiness hint for one declared dependency (by its type in the fleet file)."""
    kind = next((d.type for d in ctx.service.depends_on if d.name == dependency), "service")
    return READY_HINTS.get(kind, _GENERIC_HINT)


def dependency_state(ready: NormalizedHealth, dep: DependencySpec) -> DependencyState | None:
    """How a ready body reports a declared dependency: under its ``health_key``, else its name or its kind's keys."""
    return find_dependency(ready, dependency_keys(dep.name, dep.type, dep.health_key))


def _key(dep: DependencySpec) -> str:
    return dep.health_key or dep.name


def _finding(
    ctx: CheckContext, check_id: str, *, observed: str, expected: str, hint: str, exchange: HttpExchange | None = None
) -> Finding:
    evidence: tuple[tuple[str, str], ...] = ()
    if exchange is not None:
        evidence = (
            ("request", f"{exchange.request_line()} ({exchange.url})"),
            ("response", exchange.error or f"{exchange.status} {exchange.body[:300].decode('utf-8', 'replace')}"),
        )
    return Finding(check_id, ctx.service.name, expected=expected, observed=observed, hint=hint, evidence=evidence)


def _answered(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[tuple[EndpointRead, HttpExchange]]:
    """The declared endpoints that answered at all (HEALTH-ENDPOINTS reports the others)."""
    for read in snapshot.reads:
        if read.exchange is not None and not read.exchange.error:
            yield read, read.exchange


def _profile(ctx: CheckContext, read: EndpointRead) -> HealthProfile:
    return ctx.fleet.profile(read.profile)


def _normalized(ctx: CheckContext, snapshot: HealthSnapshot, endpoint: str) -> NormalizedHealth | None:
    read = snapshot.read(endpoint)
    if read is None or read.exchange is None or read.exchange.error:
        return None
    return _profile(ctx, read).normalize(endpoint, read.exchange.body)


def _no_endpoints(ctx: CheckContext, snapshot: HealthSnapshot) -> None:
    if not snapshot.reads:
        raise NotApplicable(f"the fleet file declares no health endpoint for {ctx.service.name}")


def _media_type(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


@CHECKS.register(
    "HEALTH-ENDPOINTS",
    area=AREA,
    needs="health",
    claim="every health endpoint the service declares answers 200 while the dependencies are up",
)
def check_endpoints(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding | Judged]:
    _no_endpoints(ctx, snapshot)
    yield Judged(len(snapshot.reads), "health endpoints")
    for read in snapshot.reads:
        exchange = read.exchange
        if exchange is None:
            yield _finding(
                ctx,
                "HEALTH-ENDPOINTS",
                observed=f"the {read.endpoint} endpoint (GET {read.path}) was not observed",
                expected=f"GET {read.path} to answer 200 ({read.profile} profile)",
                hint="Expose the endpoint, or declare its path in the fleet file (health.endpoints).",
            )
        elif exchange.error:
            yield _finding(
                ctx,
                "HEALTH-ENDPOINTS",
                observed=f"{exchange.request_line()} got no response: {exchange.error}",
                expected="200 while every dependency is up",
                exchange=exchange,
                hint="Check the service is running and the path is right; health must answer without credentials.",
            )
        elif exchange.status != 200:
            yield _finding(
                ctx,
                "HEALTH-ENDPOINTS",
                observed=f"{exchange.request_line()} answered {exchange.status} while every dependency was up",
                expected="200",
                exchange=exchange,
                hint="Health endpoints answer 200 when healthy and need no credentials; declare the right path "
                "in the fleet file if this is not the endpoint.",
            )


@CHECKS.register(
    "HEALTH-CONTENT-TYPE",
    area=AREA,
    needs="health",
    claim="health bodies are served as the profile's media type",
)
def check_content_type(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding | Judged]:
    for read, exchange in _answered(ctx, snapshot):
        yield Judged(1, "health answers")
        allowed = _profile(ctx, read).content_types
        seen = exchange.header("content-type")
        if _media_type(seen) not in allowed:
            yield _finding(
                ctx,
                "HEALTH-CONTENT-TYPE",
                observed=f"{exchange.request_line()} answered Content-Type {seen or '(none)'}",
                expected=f"Content-Type {' or '.join(allowed)} ({read.profile} profile)",
                exchange=exchange,
                hint="Return the health body with the profile's media type (a framework JSON response).",
            )


@CHECKS.register(
    "HEALTH-NO-STORE",
    area=AREA,
    needs="health",
    claim="health answers carry Cache-Control: no-store",
)
def check_no_store(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding | Judged]:
    for _read, exchange in _answered(ctx, snapshot):
        yield Judged(1, "health answers")
        seen = exchange.header("cache-control")
        directives = {d.strip().lower() for d in (seen or "").split(",")}
        if "no-store" not in directives:
            yield _finding(
                ctx,
                "HEALTH-NO-STORE",
                observed=f"{exchange.request_line()} answered Cache-Control {seen or '(none)'}",
                expected="Cache-Control: no-store",
                exchange=exchange,
                hint="Set Cache-Control: no-store on health answers so no proxy serves a stale verdict.",
            )


@CHECKS.register(
    "HEALTH-SHAPE",
    area=AREA,
    needs="health",
    claim="every health body is valid for its profile (JSON Schema for fleet)",
)
def check_shape(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding | Judged]:
    for read, exchange in _answered(ctx, snapshot):
        yield Judged(1, "health bodies")
        problems = _profile(ctx, read).validate(read.endpoint, exchange.body)
        if problems:
            shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
            yield _finding(
                ctx,
                "HEALTH-SHAPE",
                observed=f"{exchange.request_line()} body is not a valid {read.endpoint} body: {shown}",
                expected=f"a body valid for the {read.profile} profile's {read.endpoint} endpoint",
                exchange=exchange,
                hint=f"Match the profile's shape (for the fleet profile SPEC.md 'Health', schema "
                f"contracts/schemas/health/{read.endpoint}.json), or declare the profile the endpoint speaks.",
            )


def _carrying(ctx: CheckContext, snapshot: HealthSnapshot, field: str) -> list[tuple[EndpointRead, HttpExchange]]:
    """The answered endpoints whose profile puts ``field`` (service name or timestamp) in the body; not run when
    no declared endpoint's profile does."""
    attribute = "service_endpoints" if field == "service" else "timestamp_endpoints"
    carrying = [r for r in snapshot.reads if r.endpoint in getattr(_profile(ctx, r), attribute)]
    if not carrying:
        profiles = ", ".join(sorted({r.profile for r in snapshot.reads})) or "no"
        raise NotApplicable(f"the {profiles} health profile's bodies carry no {field} field")
    return [(r, e) for r, e in _answered(ctx, snapshot) if r in carrying]


@CHECKS.register(
    "HEALTH-SERVICE-NAME",
    area=AREA,
    needs="health",
    claim="health bodies name the service as the fleet file does (where the profile has a service name)",
)
def check_service_name(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding | Judged]:
    for read, exchange in _carrying(ctx, snapshot, "service"):
        yield Judged(1, "health bodies with a service name")
        seen = _profile(ctx, read).normalize(read.endpoint, exchange.body).service
        if seen != ctx.service.name:
            yield _finding(
                ctx,
                "HEALTH-SERVICE-NAME",
                observed=f"{exchange.request_line()} names the service {seen!r}"
                if seen
                else f"{exchange.request_line()} carries no service name",
                expected=f'"service": "{ctx.service.name}"',
                exchange=exchange,
                hint="Report the service's fleet-file name, so dashboards and alerts attribute health correctly.",
            )


def _timestamp_problem(raw: str | None, observed_at: float, skew_s: float) -> str | None:
    if raw is None:
        return "carries no timestamp"
    try:
        stamp = datetime.fromisoformat(raw)
    except ValueError:
        return f"has timestamp {raw!r}, which is not ISO-8601"
    if stamp.tzinfo is None:
        return f"has timestamp {raw!r} without an offset"
    drift = stamp.timestamp() - observed_at
    if abs(drift) > skew_s:
        return f"has timestamp {raw!r}, {drift:+.1f} s from the observer's clock"
    return None


@CHECKS.register(
    "HEALTH-TIMESTAMP",
    area=AREA,
    needs="health",
    claim="health timestamps are ISO-8601 with an explicit offset and fresh (where the profile has a timestamp)",
)
def check_timestamp(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding | Judged]:
    skew = ctx.settings.timestamp_skew_s
    for read, exchange in _carrying(ctx, snapshot, "timestamp"):
        yield Judged(1, "health bodies with a timestamp")
        stamp = _profile(ctx, read).normalize(read.endpoint, exchange.body).timestamp
        problem = _timestamp_problem(stamp, snapshot.observed_at, skew)
        if problem:
            yield _finding(
                ctx,
                "HEALTH-TIMESTAMP",
                observed=f"{exchange.request_line()} {problem}",
                expected=f"an ISO-8601 timestamp with an offset (2025-01-01T12:00:00+06:00), within {skew:g} s of now",
                hint="Stamp each answer when it is made, as an aware datetime (datetime.now(UTC).isoformat()).",
                exchange=exchange,
            )


def _ready_read(ctx: CheckContext, snapshot: HealthSnapshot) -> tuple[EndpointRead, HttpExchange]:
    read = snapshot.read("ready")
    if read is None:
        raise NotApplicable(f"{ctx.service.name} declares no ready endpoint")
    if read.exchange is None or read.exchange.error:
        raise NotApplicable(f"GET {read.path} gave no answer to read (HEALTH-ENDPOINTS reports why)")
    return read, read.exchange


@CHECKS.register(
    "HEALTH-READY-LISTS-DEPS",
    area=AREA,
    needs="health",
    claim="ready lists every declared dependency, each up (with a numeric latency where the profile has one)",
)
def check_ready_lists_deps(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding | Judged]:
    if not ctx.service.depends_on:
        raise NotApplicable(f"the fleet file declares no dependency for {ctx.service.name}")
    read, exchange = _ready_read(ctx, snapshot)
    profile = _profile(ctx, read)
    if not profile.lists_dependencies:
        raise NotApplicable(f"the {read.profile} profile's ready body names no dependency (its status code is all)")
    ready = profile.normalize("ready", exchange.body)
    yield Judged(len(ctx.service.depends_on), "declared dependencies")
    for dep in ctx.service.depends_on:
        state = dependency_state(ready, dep)
        if state is None:
            problem, expected = "does not list it", f'"{_key(dep)}" with status up'
        elif state.status != "up":
            problem, expected = f"reports it {state.status!r} while it was up", f'"{_key(dep)}" up'
        elif profile.reports_latency and state.latency_ms is None:
            problem, expected = "gives it no numeric latency", f'"{_key(dep)}" with a numeric latency'
        else:
            continue
        keys = " or ".join(dependency_keys(dep.name, dep.type, dep.health_key))
        yield _finding(
            ctx,
            "HEALTH-READY-LISTS-DEPS",
            observed=f"{exchange.request_line()} {problem} (declared dependency {dep.name}, type {dep.type}, "
            f"looked up as {keys})",
            expected=expected,
            hint=f"{dependency_hint(ctx, dep.name)} If the body reports it under another key, declare that key as "
            "the dependency's health_key in the fleet file.",
            exchange=exchange,
        )


@CHECKS.register(
    "HEALTH-DEPENDENCIES-MATCH",
    area=AREA,
    needs="health",
    claim="/health/dependencies lists the fleet file's dependencies with their types and required flags",
)
def check_dependencies_match(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding | Judged]:
    listed, exchange = _normalized(ctx, snapshot, "dependencies"), snapshot.dependencies
    if listed is None or exchange is None:
        raise NotApplicable(_missing_endpoint(snapshot, "dependencies"))
    yield Judged(1, "dependency lists")
    declared = {d.name: (d.type, d.required) for d in ctx.service.depends_on}
    seen = {name: (s.type, s.required) for name, s in listed.dependencies.items()}
    if seen != declared:
        yield _finding(
            ctx,
            "HEALTH-DEPENDENCIES-MATCH",
            observed=f"{exchange.request_line()} lists {_describe(seen)}",
            expected=f"exactly the fleet file's dependencies: {_describe(declared)}",
            hint="Build the list from the same declaration readiness uses, so the two cannot drift.",
            exchange=exchange,
        )


def _describe(deps: Mapping[str, tuple[str | None, bool | None]]) -> str:
    if not deps:
        return "no dependencies"
    return ", ".join(
        f"{n} ({t}, {'required' if r else 'optional' if r is False else '?'})" for n, (t, r) in deps.items()
    )


@CHECKS.register(
    "HEALTH-STATS",
    area=AREA,
    needs="health",
    claim="/health/stats gives uptime_seconds, requests_total, rss_bytes",
)
def check_stats(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding | Judged]:
    stats, exchange = _normalized(ctx, snapshot, "stats"), snapshot.stats
    if stats is None or exchange is None:
        raise NotApplicable(_missing_endpoint(snapshot, "stats"))
    yield Judged(1, "stats bodies")
    for key in ("uptime_seconds", "requests_total", "rss_bytes"):
        value = stats.statistics.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            yield _finding(
                ctx,
                "HEALTH-STATS",
                observed=f"{exchange.request_line()} statistics.{key} is {value!r}",
                expected=f"statistics.{key} as a number",
                exchange=exchange,
                hint="Report the process's own numbers (psutil / the request counter), never a placeholder.",
            )


#: the stats' own rounding (the reference rounds uptime to the millisecond) on each of two readings
_UPTIME_ROUNDING_S = 0.002


@CHECKS.register(
    "HEALTH-STATS-MOVE",
    area=AREA,
    needs="traffic",
    claim="/health/stats moves with the process: uptime_seconds by the time between two reads, requests_total by "
    "the requests answered between them",
)
def check_stats_move(ctx: CheckContext, traffic: TrafficObservation) -> Iterator[Finding | Judged]:
    reads = traffic.stats
    if reads is None:
        raise NotApplicable(f"the fleet file declares no stats endpoint for {ctx.service.name}")
    first, second = reads.first.exchange, reads.second.exchange
    if first is None or second is None or first.error or second.error or 200 not in (first.status, second.status):
        raise NotApplicable(f"GET {reads.first.path} did not answer both reads (HEALTH-ENDPOINTS reports why)")
    profile = _profile(ctx, reads.first)
    was, now = (profile.normalize("stats", e.body).statistics for e in (first, second))
    yield from _judge_uptime(ctx, reads, was, now)
    yield from _judge_requests_total(ctx, traffic, (first, second), was, now)


def _stat(statistics: Mapping[str, object], key: str) -> float | None:
    value = statistics.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _judge_uptime(
    ctx: CheckContext, reads: StatsReads, was: Mapping[str, object], now: Mapping[str, object]
) -> Iterator[Finding | Judged]:
    before, after = _stat(was, "uptime_seconds"), _stat(now, "uptime_seconds")
    if before is None or after is None:
        return  # HEALTH-STATS reports a missing or non-numeric uptime
    yield Judged(1, "uptime readings")
    shortest, longest = reads.between_s
    # whole seconds (a service that truncates) can move by one more or one less than the time that passed
    slack = 1.0 if before.is_integer() and after.is_integer() else _UPTIME_ROUNDING_S
    moved = after - before
    if shortest - slack <= moved <= longest + slack:
        return
    yield _finding(
        ctx,
        "HEALTH-STATS-MOVE",
        observed=f"GET {reads.second.path}: statistics.uptime_seconds moved from {before:g} to {after:g} "
        f"({moved:+.3f} s) between two reads {shortest:.3f}-{longest:.3f} s apart",
        expected=f"a move of {shortest:.3f}-{longest:.3f} s (the time between the reads, ±{slack:g} s of rounding)",
        hint="Report the seconds since the process started (a monotonic clock's now minus its start), not a ratio, "
        "a timestamp or another unit.",
        exchange=reads.second.exchange,
    )


def _judge_requests_total(
    ctx: CheckContext,
    traffic: TrafficObservation,
    reads: tuple[HttpExchange, HttpExchange],
    was: Mapping[str, object],
    now: Mapping[str, object],
) -> Iterator[Finding | Judged]:
    before, after = _stat(was, "requests_total"), _stat(now, "requests_total")
    answered = [e for e in traffic.sent if not e.error and e.status]
    if before is None or after is None or not answered:
        return  # HEALTH-STATS reports a missing count; with nothing answered there is nothing to count
    yield Judged(len(answered), "requests answered between the stats reads")
    # fleetcheck's own requests in between (the first stats read, both scrapes) may be counted or not
    own = sum(1 for e in (reads[0], traffic.before, traffic.after) if not e.error and e.status)
    moved = after - before
    if len(answered) <= moved <= len(answered) + own:
        return
    yield _finding(
        ctx,
        "HEALTH-STATS-MOVE",
        observed=f"{reads[1].request_line()}: statistics.requests_total moved by {moved:g} while "
        f"{len(answered)} requests were answered between the two reads (and {own} of fleetcheck's own reads)",
        expected=f"a move of {len(answered)} to {len(answered) + own}: every answered request counted once",
        hint="Count each request once, where the RED metrics count it (the same middleware), and report that count.",
        exchange=reads[1],
    )


@CHECKS.register(
    "HEALTH-LATENCY",
    area=AREA,
    needs="health",
    claim="every health endpoint answers within the latency budget",
)
def check_latency(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding | Judged]:
    budget = ctx.settings.health_latency_budget_s
    for _read, exchange in _answered(ctx, snapshot):
        yield Judged(1, "health answers")
        if exchange.elapsed_s > budget:
            yield _finding(
                ctx,
                "HEALTH-LATENCY",
                observed=f"{exchange.request_line()} took {exchange.elapsed_s:.3f} s",
                expected=f"an answer within {budget:g} s",
                exchange=exchange,
                hint="Keep health cheap: no dependency calls outside ready, and run ready's checks concurrently.",
            )


def _missing_endpoint(snapshot: HealthSnapshot, endpoint: str) -> str:
    read = snapshot.read(endpoint)
    if read is None:
        return f"the service declares no {endpoint} endpoint (its profiles: {', '.join(_profiles(snapshot))})"
    return f"GET {read.path} gave no readable body (HEALTH-ENDPOINTS reports why)"


def _profiles(snapshot: HealthSnapshot) -> list[str]:
    return sorted({r.profile for r in snapshot.reads}) or ["none"]


# --- fault checks -----------------------------------------------------------------------------------------------


def _says_up(profile: HealthProfile, ready: HttpExchange) -> bool:
    """Ready says up: a 200 whose body, read with its profile, says up (an exporter's stays 200 throughout)."""
    if ready.error or ready.status != 200:
        return False
    return not profile.lists_dependencies or profile.normalize("ready", ready.body).status == "up"


def _action(fault: FaultObservation) -> str:
    return "stopped" if fault.mode == "stop" else "frozen (accepting connections, never answering)"


def _fault_dependency(ctx: CheckContext, fault: FaultObservation) -> DependencySpec | None:
    return next((d for d in ctx.service.depends_on if d.name == fault.dependency), None)


def _down_expectation(profile: HealthProfile, key: str, status: str) -> str:
    """What ready must answer while a dependency is down, in the words of the profile's body."""
    if not profile.lists_dependencies:
        return status
    if profile.name == "fleet":
        return f'{status} with checks.{key}.status = "down"'
    return f'{status} with "{key}" reported down'


def _judge_ready_during_fault(ctx: CheckContext, fault: FaultObservation, check_id: str) -> Iterator[Finding]:
    ready, dep = fault.during_ready, fault.dependency
    profile = ctx.fleet.profile(fault.profile)
    action, hint = _action(fault), dependency_hint(ctx, dep)
    spec = _fault_dependency(ctx, fault)
    key = _key(spec) if spec is not None else dep
    expected = _down_expectation(profile, key, " or ".join(map(str, profile.down_statuses)))
    if fault.baseline_ready.status != 200:
        yield _finding(
            ctx,
            check_id,
            observed=f"{fault.baseline_ready.request_line()} answered "
            f"{fault.baseline_ready.status} before {dep} was broken, so the fault cannot be judged",
            expected="200 before the fault",
            hint="Make the service ready first.",
            exchange=fault.baseline_ready,
        )
        return
    if ready.error or ready.elapsed_s > ctx.settings.ready_bound_s:
        yield _finding(
            ctx,
            check_id,
            observed=f"{ready.request_line()} took {ready.elapsed_s:.2f} s while {dep} was "
            f"{action}" + (f" and got no answer ({ready.error})" if ready.error else ""),
            expected=f"{expected} within {ctx.settings.ready_bound_s:g} s",
            hint=f"{hint} Each check needs its own timeout (default 2 s).",
            exchange=ready,
        )
        return
    if ready.status not in profile.down_statuses:
        yield _finding(
            ctx,
            check_id,
            observed=f"{ready.request_line()} answered {ready.status} while {dep} was {action}",
            expected=expected,
            hint=hint,
            exchange=ready,
        )
        return
    if profile.lists_dependencies:
        yield from _judge_ready_body(ctx, fault, profile, spec, check_id)


def _judge_ready_body(
    ctx: CheckContext, fault: FaultObservation, profile: HealthProfile, spec: DependencySpec | None, check_id: str
) -> Iterator[Finding]:
    ready, dep, action = fault.during_ready, fault.dependency, _action(fault)
    state = profile.normalize("ready", ready.body)
    dep_state = dependency_state(state, spec) if spec is not None else state.dependencies.get(dep)
    key = _key(spec) if spec is not None else dep
    expected = _down_expectation(profile, key, str(ready.status))
    if state.status != "down":
        overall = f"with overall status {state.status!r}"
        observed = f"{ready.request_line()} answered {ready.status} {overall} while {dep} was {action}"
    elif dep_state is None or dep_state.status != "down":
        seen = "does not list it" if dep_state is None else f"reports it {dep_state.status!r}"
        observed = f"{ready.request_line()} answered {ready.status} but {seen} while {dep} was {action}"
    elif profile.reports_errors and not dep_state.error:
        yield _finding(
            ctx,
            check_id,
            observed=f"{ready.request_line()} reports {dep} down without an error",
            expected=f'"{key}" with a short error',
            exchange=ready,
            hint="Say why the dependency is down (refused, timed out), so the on-call engineer knows.",
        )
        return
    else:
        return
    yield _finding(ctx, check_id, observed=observed, expected=expected, hint=dependency_hint(ctx, dep), exchange=ready)


@CHECKS.register(
    "HEALTH-READY-REFLECTS-DEPS",
    area=AREA,
    needs="fault",
    claim="ready turns 503 naming the dependency when a dependency stops, within the ready bound",
)
def check_ready_reflects_deps(ctx: CheckContext, fault: FaultObservation) -> Iterator[Finding | Judged]:
    if fault.mode != "stop":
        raise NotApplicable("judged when a dependency is stopped; this observation froze it")
    yield Judged(1, f"{fault.dependency} stopped")
    yield from _judge_ready_during_fault(ctx, fault, "HEALTH-READY-REFLECTS-DEPS")


@CHECKS.register(
    "HEALTH-READY-BOUNDED",
    area=AREA,
    needs="fault",
    claim="ready turns 503 within the ready bound when a dependency hangs (every check has a timeout)",
)
def check_ready_bounded(ctx: CheckContext, fault: FaultObservation) -> Iterator[Finding | Judged]:
    if fault.mode != "freeze":
        raise NotApplicable("judged when a dependency is frozen; this observation stopped it")
    yield Judged(1, f"{fault.dependency} frozen")
    yield from _judge_ready_during_fault(ctx, fault, "HEALTH-READY-BOUNDED")


#: an answer slower than this is slow because of the hung dependency (the ready bound's checks take milliseconds)
_SLOW_ANSWER_S = 1.0
#: the hung dependency's latency must be at least this share of a slow first answer: a unit slip (seconds for
#: milliseconds) is a factor of 1,000, a loaded machine's queueing before the handler runs is not even 10
_HUNG_SHARE = 0.1


@CHECKS.register(
    "HEALTH-READY-LATENCY-MS",
    area=AREA,
    needs="fault",
    claim="every dependency latency a ready body reports is in milliseconds: never negative, also for a check "
    "still pending, and a hung dependency's accounts for a slow answer",
)
def check_ready_latency_ms(ctx: CheckContext, fault: FaultObservation) -> Iterator[Finding | Judged]:
    profile = ctx.fleet.profile(fault.profile)
    if not profile.lists_dependencies or not profile.reports_latency:
        raise NotApplicable(f"the {fault.profile} profile's ready bodies carry no dependency latency")
    moments = (
        ("before the fault", fault.baseline_ready),
        (f"while {fault.dependency} was {_action(fault)}", fault.during_ready),
        (f"again 0.2 s after the first read, while {fault.dependency} was {_action(fault)}", fault.during_ready_again),
        (f"after {fault.dependency} came back", fault.recovered_ready),
    )
    read = [(when, e) for when, e in moments if e is not None and not e.error and e.status]
    if not read:
        raise NotApplicable("no ready read around the fault got an answer (HEALTH-READY-BOUNDED reports why)")
    yield Judged(len(read), "ready answers around the fault")
    spec = _fault_dependency(ctx, fault)
    for when, answer in read:
        state = profile.normalize("ready", answer.body)
        hung = dependency_state(state, spec) if spec is not None else state.dependencies.get(fault.dependency)
        # only the first read under a freeze ran the hung check itself: the second may find it pending (no time of
        # its own spent on it), and the reads before and after had nothing hung
        first = fault.mode == "freeze" and answer is fault.during_ready and answer.elapsed_s >= _SLOW_ANSWER_S
        for name, dep in sorted(state.dependencies.items()):
            latency = dep.latency_ms
            if latency is None:
                continue  # HEALTH-READY-LISTS-DEPS judges a missing latency where one is due
            waited_ms = answer.elapsed_s * 1000
            if latency >= 0 and not (first and dep is hung and latency < waited_ms * _HUNG_SHARE):
                continue
            problem = "negative" if latency < 0 else f"under a tenth of the {waited_ms:.0f} ms it waited"
            yield _finding(
                ctx,
                "HEALTH-READY-LATENCY-MS",
                observed=f"{answer.request_line()} {when} reports {name} with latency_ms {latency:g}: {problem}",
                expected="latency_ms from 0 up, in milliseconds of the check's own time (a timed-out check's is "
                "about its timeout)",
                hint="Measure each check with a monotonic clock and report milliseconds (* 1000 from seconds); for "
                "a check still pending report the time it has waited, never a sentinel such as -1.",
                exchange=answer,
            )


def _judge_independent(
    ctx: CheckContext, fault: FaultObservation, check_id: str, read: HttpExchange, hint: str
) -> Iterator[Finding]:
    budget = ctx.settings.health_latency_budget_s
    if read.error or read.status != 200 or read.elapsed_s > budget:
        answer = f"got no answer ({read.error})" if read.error else f"answered {read.status}"
        yield _finding(
            ctx,
            check_id,
            observed=f"{read.request_line()} {answer} after {read.elapsed_s:.2f} s while {fault.dependency} was "
            f"{'stopped' if fault.mode == 'stop' else 'frozen'}",
            expected=f"200 within {budget:g} s: it never depends on a dependency",
            hint=hint,
            exchange=read,
        )


@CHECKS.register(
    "HEALTH-LIVE-INDEPENDENT",
    area=AREA,
    needs="fault",
    claim="live stays 200 within the latency budget while a dependency is stopped or hangs",
)
def check_live_independent(ctx: CheckContext, fault: FaultObservation) -> Iterator[Finding | Judged]:
    if fault.during_live is None:
        raise NotApplicable(f"{ctx.service.name} declares no live endpoint")
    yield Judged(1, f"live reads with {fault.dependency} {fault.mode}")
    hint = "Liveness must only judge the process itself (memory); a failing live gets the pod restarted."
    yield from _judge_independent(ctx, fault, "HEALTH-LIVE-INDEPENDENT", fault.during_live, hint)


@CHECKS.register(
    "HEALTH-CHEAP-INDEPENDENT",
    area=AREA,
    needs="fault",
    claim="the cheap health endpoint stays 200 within the latency budget while a dependency is stopped or hangs",
)
def check_cheap_independent(ctx: CheckContext, fault: FaultObservation) -> Iterator[Finding | Judged]:
    health = fault.during_health
    if health is None:
        raise NotApplicable(f"{ctx.service.name} declares no health endpoint apart from live and ready")
    if fault.during_live is not None and fault.during_live.path == health.path:
        raise NotApplicable(f"{health.path} is also the live endpoint: HEALTH-LIVE-INDEPENDENT judges it")
    yield Judged(1, f"health reads with {fault.dependency} {fault.mode}")
    hint = (
        "The cheap health endpoint answers from the process alone (SPEC.md: it must not call dependencies); load "
        "balancers and probes call it often, and one that queries the database turns an outage into a flood."
    )
    yield from _judge_independent(ctx, fault, "HEALTH-CHEAP-INDEPENDENT", health, hint)


@CHECKS.register(
    "HEALTH-READY-RECOVERS",
    area=AREA,
    needs="fault",
    claim="ready returns to 200 within the recovery bound after the dependency returns, without a restart",
)
def check_ready_recovers(ctx: CheckContext, fault: FaultObservation) -> Iterator[Finding | Judged]:
    yield Judged(1, f"recoveries from {fault.dependency} {fault.mode}")
    ready, bound, dep = fault.recovered_ready, ctx.settings.recovery_bound_s, fault.dependency
    recovered = _says_up(ctx.fleet.profile(fault.profile), ready)
    expected = f"200 with every dependency up within {bound:g} s of {dep} coming back"
    hint = "Reconnect on the next check (a pool with pre-ping, a fresh client); never cache a failed verdict."
    if not recovered:
        answer = f"got no answer ({ready.error})" if ready.error else f"still answered {ready.status}"
        observed = f"{ready.request_line()} {answer} {fault.recovery_s:.1f} s after {dep} came back: it did not recover"
        yield _finding(ctx, "HEALTH-READY-RECOVERS", observed=observed, expected=expected, hint=hint, exchange=ready)
    elif fault.recovery_s > bound:
        observed = (
            f"{ready.request_line()} answered 200 only after {fault.recovery_s:.1f} s, beyond the {bound:g} s "
            f"recovery bound, once {dep} came back"
        )
        yield _finding(ctx, "HEALTH-READY-RECOVERS", observed=observed, expected=expected, hint=hint, exchange=ready)
    before, after = fault.start_time_before, fault.start_time_after
    if before is not None and after is not None and before != after:
        yield _finding(
            ctx,
            "HEALTH-READY-RECOVERS",
            observed=f"the process start time changed from {before:.0f} to {after:.0f} while {dep} was "
            "broken: the service restarted instead of recovering",
            expected="the same process before and after the fault",
            hint="Do not exit when a dependency fails; report it down in ready and reconnect when it returns.",
        )


# --- boot check ---------------------------------------------------------------------------------------------------

_BOOT_HINT = (
    "Open the HTTP listener first and connect to dependencies in the background, with retries; report them in "
    "ready. A service that waits for a dependency before it listens, or exits when it cannot reach it, turns a "
    "dependency outage into a crash loop of every replica."
)


@CHECKS.register(
    "HEALTH-BOOT",
    area=AREA,
    needs="boot",
    applies=lambda service, _fleet: any(d.required for d in service.depends_on),
    claim="started while a required dependency is down, the service answers live 200 and ready not-ready within the "
    "boot bound, and becomes ready once the dependency returns",
)
def check_boot(ctx: CheckContext, boot: BootObservation) -> Iterator[Finding | Judged]:
    dep = boot.dependency
    yield Judged(1, f"boots with {dep} stopped")
    if boot.listening_s is None or boot.live is None:
        if boot.live is None or boot.live.error:
            answer = f"no answer ({boot.live.error})" if boot.live is not None else "no answer"
        else:
            answer = f"only {boot.live.status}"
        path = f"{boot.live.request_line()} " if boot.live is not None else ""
        failed = f"; its start command {boot.start_error}" if boot.start_error else ""
        finding = _finding(
            ctx,
            "HEALTH-BOOT",
            observed=f"started while {dep} was stopped, {path}got {answer} within {boot.bound_s:g} s{failed}",
            expected=f"live 200 within {boot.bound_s:g} s of the start, with {dep} down",
            hint=_BOOT_HINT,
            exchange=boot.live,
        )
        if boot.start_output:
            finding = dataclasses.replace(finding, evidence=(*finding.evidence, ("start output", boot.start_output)))
        yield finding
        return
    profile = ctx.fleet.profile(boot.profile)
    ready = boot.ready
    if ready is not None and (ready.error or ready.elapsed_s > ctx.settings.ready_bound_s):
        answer = f"got no answer ({ready.error})" if ready.error else f"answered {ready.status}"
        yield _finding(
            ctx,
            "HEALTH-BOOT",
            observed=f"{ready.request_line()} {answer} after {ready.elapsed_s:.2f} s, at boot with {dep} stopped",
            expected=f"not-ready ({' or '.join(map(str, profile.down_statuses))}) within "
            f"{ctx.settings.ready_bound_s:g} s",
            hint=dependency_hint(ctx, dep),
            exchange=ready,
        )
    elif ready is not None and _says_up(profile, ready):
        yield _finding(
            ctx,
            "HEALTH-BOOT",
            observed=f"{ready.request_line()} said ready ({ready.status}) at boot while {dep} was stopped",
            expected=f"not-ready ({' or '.join(map(str, profile.down_statuses))}) until {dep} answers",
            hint=dependency_hint(ctx, dep),
            exchange=ready,
        )
    recovered, bound = boot.recovered_ready, ctx.settings.recovery_bound_s
    if recovered is not None and not (_says_up(profile, recovered) and boot.recovery_s <= bound):
        answer = f"got no answer ({recovered.error})" if recovered.error else f"answered {recovered.status}"
        yield _finding(
            ctx,
            "HEALTH-BOOT",
            observed=f"{recovered.request_line()} {answer} {boot.recovery_s:.1f} s after {dep} came back: the service "
            "that booted without it did not become ready",
            expected=f"ready within {bound:g} s of {dep} coming back",
            hint="Keep retrying the connection made at boot; never cache the first failure.",
            exchange=recovered,
        )

"""HEALTH-* checks: the health endpoints tell the truth, quickly, in the declared shape.

Every check reads bodies through the snapshot's health profile (``fleetcheck.contracts.health_profiles``); only
HEALTH-SHAPE, HEALTH-CONTENT-TYPE and HEALTH-NO-STORE look at raw bodies and headers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from fleetcheck.contracts.findings import Finding
from fleetcheck.contracts.health_profiles import NormalizedHealth, profile_for
from fleetcheck.contracts.registry import CHECKS, CheckContext, NotApplicable

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from fleetcheck.contracts.health_profiles import HealthProfile
    from fleetcheck.contracts.observations import FaultObservation, HealthSnapshot, HttpExchange

__all__ = ["READY_HINTS", "dependency_hint"]

AREA = "health"

#: What readiness must do for each dependency type (SPEC.md "Health"), said in every finding about it.
READY_HINTS: dict[str, str] = {
    "postgres": "Readiness must run a real query (SELECT 1) with a timeout.",
    "kafka": "Readiness must send a metadata request to the broker with a timeout.",
    "service": "Readiness must GET the downstream service's /health with a timeout.",
    "storage": "Readiness must write and delete a probe file in the storage directory, with a timeout.",
}


def dependency_hint(ctx: CheckContext, dependency: str) -> str:
    """The readiness hint for one declared dependency (by its type in the fleet file)."""
    kind = next((d.type for d in ctx.service.depends_on if d.name == dependency), "service")
    return READY_HINTS[kind]


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


def _defined(snapshot: HealthSnapshot, profile: HealthProfile) -> Iterator[tuple[str, HttpExchange | None]]:
    by_name = {
        "health": snapshot.health,
        "live": snapshot.live,
        "ready": snapshot.ready,
        "stats": snapshot.stats,
        "dependencies": snapshot.dependencies,
    }
    for endpoint in profile.endpoints:
        yield endpoint, by_name[endpoint]


def _answered(snapshot: HealthSnapshot, profile: HealthProfile) -> Iterator[tuple[str, HttpExchange]]:
    """The defined endpoints that answered at all (HEALTH-ENDPOINTS reports the others)."""
    for endpoint, exchange in _defined(snapshot, profile):
        if exchange is not None and not exchange.error:
            yield endpoint, exchange


def _normalized(snapshot: HealthSnapshot, endpoint: str) -> NormalizedHealth | None:
    profile = profile_for(snapshot.profile)
    exchange = dict(_answered(snapshot, profile)).get(endpoint)
    return None if exchange is None else profile.normalize(endpoint, exchange.body)


def _media_type(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


@CHECKS.register(
    "HEALTH-ENDPOINTS",
    area=AREA,
    needs="health",
    claim="every health endpoint the profile defines answers 200 while the dependencies are up",
)
def check_endpoints(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding]:
    for endpoint, exchange in _defined(snapshot, profile_for(snapshot.profile)):
        if exchange is None:
            yield _finding(
                ctx,
                "HEALTH-ENDPOINTS",
                observed=f"the {endpoint} endpoint was not observed",
                expected=f"the {snapshot.profile} profile's {endpoint} endpoint to answer 200",
                hint="Expose the endpoint, or point the target file's path override at it.",
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
                hint="Health endpoints answer 200 when healthy and need no credentials; see SPEC.md 'Health'.",
            )


@CHECKS.register(
    "HEALTH-CONTENT-TYPE",
    area=AREA,
    needs="health",
    claim="health bodies are served as the profile's JSON media type",
)
def check_content_type(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding]:
    profile = profile_for(snapshot.profile)
    for _endpoint, exchange in _answered(snapshot, profile):
        seen = exchange.header("content-type")
        if _media_type(seen) not in profile.content_types:
            yield _finding(
                ctx,
                "HEALTH-CONTENT-TYPE",
                observed=f"{exchange.request_line()} answered Content-Type {seen or '(none)'}",
                expected=f"Content-Type {' or '.join(profile.content_types)}",
                exchange=exchange,
                hint="Return the health body as JSON with the profile's media type (a framework JSON response).",
            )


@CHECKS.register(
    "HEALTH-NO-STORE",
    area=AREA,
    needs="health",
    claim="health answers carry Cache-Control: no-store",
)
def check_no_store(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding]:
    for _endpoint, exchange in _answered(snapshot, profile_for(snapshot.profile)):
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
def check_shape(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding]:
    profile = profile_for(snapshot.profile)
    for endpoint, exchange in _answered(snapshot, profile):
        problems = profile.validate(endpoint, exchange.body)
        if problems:
            shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
            yield _finding(
                ctx,
                "HEALTH-SHAPE",
                observed=f"{exchange.request_line()} body is not a valid {endpoint} body: {shown}",
                expected=f"a body valid for the {profile.name} profile's {endpoint} endpoint",
                exchange=exchange,
                hint=f"Match the shape in SPEC.md 'Health' (schema contracts/schemas/health/{endpoint}.json for the "
                "fleet profile).",
            )


@CHECKS.register(
    "HEALTH-SERVICE-NAME",
    area=AREA,
    needs="health",
    claim="health bodies name the service as the fleet file does",
)
def check_service_name(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding]:
    profile = profile_for(snapshot.profile)
    for endpoint, exchange in _answered(snapshot, profile):
        if endpoint not in profile.service_endpoints:
            continue
        seen = profile.normalize(endpoint, exchange.body).service
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
    claim="health timestamps are ISO-8601 with an explicit offset and fresh (within the skew bound)",
)
def check_timestamp(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding]:
    profile = profile_for(snapshot.profile)
    skew = ctx.settings.timestamp_skew_s
    for endpoint, exchange in _answered(snapshot, profile):
        if endpoint not in profile.timestamp_endpoints:
            continue
        problem = _timestamp_problem(profile.normalize(endpoint, exchange.body).timestamp, snapshot.observed_at, skew)
        if problem:
            yield _finding(
                ctx,
                "HEALTH-TIMESTAMP",
                observed=f"{exchange.request_line()} {problem}",
                expected=f"an ISO-8601 timestamp with an offset (2025-01-01T12:00:00+06:00), within {skew:g} s of now",
                hint="Stamp each answer when it is made, as an aware datetime (datetime.now(UTC).isoformat()).",
                exchange=exchange,
            )


@CHECKS.register(
    "HEALTH-READY-LISTS-DEPS",
    area=AREA,
    needs="health",
    claim="ready lists every declared dependency, each up with a numeric latency",
)
def check_ready_lists_deps(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding]:
    profile = profile_for(snapshot.profile)
    ready = _normalized(snapshot, "ready")
    if ready is None:
        return
    for dep in ctx.service.depends_on:
        state = ready.dependencies.get(dep.name)
        if state is None:
            problem, expected = "does not list it", f'checks.{dep.name} with status "up"'
        elif state.status != "up":
            problem, expected = f"reports it {state.status!r} while it was up", f'checks.{dep.name}.status = "up"'
        elif profile.reports_latency and state.latency_ms is None:
            problem, expected = "gives it no numeric latency", f"checks.{dep.name}.latency_ms as a number"
        else:
            continue
        yield _finding(
            ctx,
            "HEALTH-READY-LISTS-DEPS",
            observed=f"{snapshot.ready.request_line()} {problem} (declared dependency {dep.name}, type {dep.type})",
            expected=expected,
            hint=dependency_hint(ctx, dep.name),
            exchange=snapshot.ready,
        )


@CHECKS.register(
    "HEALTH-DEPENDENCIES-MATCH",
    area=AREA,
    needs="health",
    claim="/health/dependencies lists the fleet file's dependencies with their types and required flags",
)
def check_dependencies_match(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding]:
    listed = _normalized(snapshot, "dependencies")
    if listed is None or snapshot.dependencies is None:
        raise NotApplicable(_missing_endpoint(snapshot, "dependencies"))
    declared = {d.name: (d.type, d.required) for d in ctx.service.depends_on}
    seen = {name: (s.type, s.required) for name, s in listed.dependencies.items()}
    if seen != declared:
        yield _finding(
            ctx,
            "HEALTH-DEPENDENCIES-MATCH",
            observed=f"{snapshot.dependencies.request_line()} lists {_describe(seen)}",
            expected=f"exactly the fleet file's dependencies: {_describe(declared)}",
            hint="Build the list from the same declaration readiness uses, so the two cannot drift.",
            exchange=snapshot.dependencies,
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
def check_stats(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding]:
    stats = _normalized(snapshot, "stats")
    if stats is None or snapshot.stats is None:
        raise NotApplicable(_missing_endpoint(snapshot, "stats"))
    for key in ("uptime_seconds", "requests_total", "rss_bytes"):
        value = stats.statistics.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            yield _finding(
                ctx,
                "HEALTH-STATS",
                observed=f"{snapshot.stats.request_line()} statistics.{key} is {value!r}",
                expected=f"statistics.{key} as a number",
                exchange=snapshot.stats,
                hint="Report the process's own numbers (psutil / the request counter), never a placeholder.",
            )


@CHECKS.register(
    "HEALTH-LATENCY",
    area=AREA,
    needs="health",
    claim="every health endpoint answers within the latency budget",
)
def check_latency(ctx: CheckContext, snapshot: HealthSnapshot) -> Iterator[Finding]:
    budget = ctx.settings.health_latency_budget_s
    for _endpoint, exchange in _answered(snapshot, profile_for(snapshot.profile)):
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
    if endpoint not in profile_for(snapshot.profile).endpoints:
        return f"the {snapshot.profile} health profile has no {endpoint} endpoint"
    return f"the {endpoint} endpoint gave no readable body (HEALTH-ENDPOINTS reports why)"


# --- fault checks -----------------------------------------------------------------------------------------------


def _judge_ready_during_fault(ctx: CheckContext, fault: FaultObservation, check_id: str) -> Iterator[Finding]:
    ready, dep = fault.during_ready, fault.dependency
    action = "stopped" if fault.mode == "stop" else "frozen (accepting connections, never answering)"
    hint = dependency_hint(ctx, dep)
    expected = f'503 with checks.{dep}.status = "down"'
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
    state = profile_for(fault.profile).normalize("ready", ready.body)
    dep_state = state.dependencies.get(dep)
    if ready.status != 503:
        yield _finding(
            ctx,
            check_id,
            observed=f"{ready.request_line()} answered {ready.status} while {dep} was {action}",
            expected=expected,
            hint=hint,
            exchange=ready,
        )
    elif state.status != "down":
        yield _finding(
            ctx,
            check_id,
            observed=f"{ready.request_line()} answered 503 with overall status "
            f"{state.status!r} while {dep} was {action}",
            expected=expected,
            hint=hint,
            exchange=ready,
        )
    elif dep_state is None or dep_state.status != "down":
        seen = "does not list it" if dep_state is None else f"reports it {dep_state.status!r}"
        yield _finding(
            ctx,
            check_id,
            observed=f"{ready.request_line()} answered 503 but {seen} while {dep} was {action}",
            expected=expected,
            hint=hint,
            exchange=ready,
        )
    elif profile_for(fault.profile).reports_errors and not dep_state.error:
        yield _finding(
            ctx,
            check_id,
            observed=f"{ready.request_line()} reports {dep} down without an error",
            expected=f"checks.{dep}.error with a short reason",
            exchange=ready,
            hint="Say why the dependency is down (refused, timed out), so the on-call engineer knows.",
        )


@CHECKS.register(
    "HEALTH-READY-REFLECTS-DEPS",
    area=AREA,
    needs="fault",
    claim="ready turns 503 naming the dependency when a dependency stops, within the ready bound",
)
def check_ready_reflects_deps(ctx: CheckContext, fault: FaultObservation) -> Iterator[Finding]:
    if fault.mode != "stop":
        raise NotApplicable("judged when a dependency is stopped; this observation froze it")
    yield from _judge_ready_during_fault(ctx, fault, "HEALTH-READY-REFLECTS-DEPS")


@CHECKS.register(
    "HEALTH-READY-BOUNDED",
    area=AREA,
    needs="fault",
    claim="ready turns 503 within the ready bound when a dependency hangs (every check has a timeout)",
)
def check_ready_bounded(ctx: CheckContext, fault: FaultObservation) -> Iterator[Finding]:
    if fault.mode != "freeze":
        raise NotApplicable("judged when a dependency is frozen; this observation stopped it")
    yield from _judge_ready_during_fault(ctx, fault, "HEALTH-READY-BOUNDED")


@CHECKS.register(
    "HEALTH-LIVE-INDEPENDENT",
    area=AREA,
    needs="fault",
    claim="live stays 200 within the latency budget while a dependency is stopped or hangs",
)
def check_live_independent(ctx: CheckContext, fault: FaultObservation) -> Iterator[Finding]:
    live, budget = fault.during_live, ctx.settings.health_latency_budget_s
    if live.error or live.status != 200 or live.elapsed_s > budget:
        answer = f"got no answer ({live.error})" if live.error else f"answered {live.status}"
        yield _finding(
            ctx,
            "HEALTH-LIVE-INDEPENDENT",
            observed=f"{live.request_line()} {answer} after {live.elapsed_s:.2f} s while {fault.dependency} was "
            f"{'stopped' if fault.mode == 'stop' else 'frozen'}",
            expected=f"200 within {budget:g} s: liveness never depends on a dependency",
            hint="Liveness must only judge the process itself (memory); a failing live gets the pod restarted.",
            exchange=live,
        )


@CHECKS.register(
    "HEALTH-READY-RECOVERS",
    area=AREA,
    needs="fault",
    claim="ready returns to 200 within the recovery bound after the dependency returns, without a restart",
)
def check_ready_recovers(ctx: CheckContext, fault: FaultObservation) -> Iterator[Finding]:
    ready, bound = fault.recovered_ready, ctx.settings.recovery_bound_s
    recovered = not ready.error and ready.status == 200
    if recovered:
        recovered = profile_for(fault.profile).normalize("ready", ready.body).status == "up"
    if not recovered or fault.recovery_s > bound:
        answer = "got no answer" if ready.error else f"answered {ready.status}"
        yield _finding(
            ctx,
            "HEALTH-READY-RECOVERS",
            observed=f"{ready.request_line()} {answer} {fault.recovery_s:.1f} s after {fault.dependency} came back",
            expected=f"200 with every dependency up within {bound:g} s",
            hint="Reconnect on the next check (a pool with pre-ping, a fresh client); never cache a failed verdict.",
            exchange=ready,
        )
    before, after = fault.start_time_before, fault.start_time_after
    if before is not None and after is not None and before != after:
        yield _finding(
            ctx,
            "HEALTH-READY-RECOVERS",
            observed=f"the process start time changed from {before:.0f} to {after:.0f} while {fault.dependency} was "
            "broken: the service restarted instead of recovering",
            expected="the same process before and after the fault",
            hint="Do not exit when a dependency fails; report it down in ready and reconnect when it returns.",
        )

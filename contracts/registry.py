"""The check registry: every contract check registered once, with a stable id, an area and a one-line claim.

A check is a small pure function ``(ctx, observation) -> Iterable[Finding]``. Drivers (pytest, the CLI, probes,
locust listeners) gather the observation the check ``needs`` and call :func:`run_check`; none re-implements a check.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.findings import CheckResult, Finding, Judged, Outcome, Severity

if TYPE_CHECKING:
    from fleetcheck.contracts.fleet import Fleet, ServiceSpec

__all__ = [
    "CHECKS",
    "Check",
    "CheckContext",
    "CheckSettings",
    "NotApplicable",
    "Registry",
    "merge_results",
    "run_check",
]


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """Bounds the checks judge against; drivers may tighten or loosen them (target file ``settings``)."""

    timestamp_skew_s: float = 30.0
    health_latency_budget_s: float = 1.0
    ready_bound_s: float = 3.0
    recovery_bound_s: float = 15.0
    #: a service started with a dependency down must answer live 200 within this (HEALTH-BOOT)
    boot_bound_s: float = 20.0
    series_budget: int = 500
    #: how long a consumer may take, on top of its declared retry waits, to fetch and write an event on a loaded
    #: machine: the retry and give-up windows of EVENTS-CONSUMER-RETRY / -GIVES-UP / -SKIPS-MALFORMED
    event_slack_s: float = 20.0
    #: how long an event scenario keeps reading once every event it waits for was seen: a duplicate or a wrong
    #: topic's event of the same writes comes with them (the same relay pass), not seconds later
    event_settle_s: float = 0.5
    #: how long the writes of a burst may take to reach Kafka and the record store after it (and after a Kafka
    #: outage, on top of the outage)
    delivery_drain_s: float = 60.0
    #: the flows' waits for what happens asynchronously (FLOWS-*): a flow's events on Kafka, the audit record of
    #: each, a workflow process to finish, the notification about it. A miss is a finding, so generous by default
    flow_events_s: float = 30.0
    flow_audit_s: float = 45.0
    flow_process_s: float = 60.0
    flow_notification_s: float = 30.0


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check may know besides its observation: the service under test and the fleet it belongs to."""

    service: ServiceSpec
    fleet: Fleet
    settings: CheckSettings = field(default_factory=CheckSettings)


CheckFn = Callable[[CheckContext, Any], Iterable[Finding | Judged]]


@dataclass(frozen=True, slots=True)
class Check:
    """A registered check. ``needs`` names the observation kind a driver gathers (``contracts/observations.py``)."""

    id: str
    area: str
    claim: str
    needs: str
    fn: CheckFn
    applies: Callable[[ServiceSpec, Fleet], bool] | None = None

    def applies_to(self, service: ServiceSpec, fleet: Fleet) -> bool:
        """Whether the claim concerns ``service`` of ``fleet`` at all (a service without a database has no
        migrations to judge); a check that applies but cannot be judged is "not run", never dropped."""
        return self.applies is None or self.applies(service, fleet)


class Registry:
    """Checks by id. Registering the same id twice is a programming error and fails at import."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def register(
        self,
        check_id: str,
        *,
        area: str,
        claim: str,
        needs: str,
        applies: Callable[[ServiceSpec, Fleet], bool] | None = None,
    ) -> Callable[[CheckFn], CheckFn]:
        def decorate(fn: CheckFn) -> CheckFn:
            if check_id in self._checks:
                raise ValueError(f"check id {check_id} is registered twice ({self._checks[check_id].fn.__qualname__})")
            self._checks[check_id] = Check(check_id, area, claim, needs, fn, applies)
            return fn

        return decorate

    def __getitem__(self, check_id: str) -> Check:
        return self._checks[check_id]

    def __iter__(self) -> Iterator[Check]:
        return iter(self._checks.values())

    def __len__(self) -> int:
        return len(self._checks)

    def in_area(self, area: str) -> list[Check]:
        return [c for c in self._checks.values() if c.area == area]

    def areas(self) -> list[str]:
        return sorted({c.area for c in self._checks.values()})


CHECKS = Registry()


class NotApplicable(Exception):
    """Raised by a check whose observation cannot answer its claim (e.g. a profile without a stats endpoint).

    The result is "not run" with the message as the reason, never a silent pass.
    """


def run_check(check: Check, ctx: CheckContext, observation: object) -> CheckResult:
    """Run one check; a check that raises becomes a finding naming the check, never a crashed run.

    A check yields :class:`Finding` objects and :class:`Judged` evidence. With no finding and nothing judged it has
    not passed: the result is "not run", saying the observation gave it nothing to judge.
    """
    started = time.perf_counter()
    try:
        items = tuple(check.fn(ctx, observation))
    except NotApplicable as why:
        return _result(check, ctx, Outcome.NOT_RUN, started, reason=str(why))
    except Exception as exc:  # a crashing check is a finding, not a crashed run (STYLE rule 6)
        tail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        crash = Finding(
            check_id=check.id,
            service=ctx.service.name,
            expected="the check to judge the observation",
            observed=f"the check {check.id} itself failed: {tail}",
            hint="this is a bug in fleetcheck or an observation it cannot read; report it with the evidence",
            evidence=(("traceback", "".join(traceback.format_exception(exc))[-2000:]),),
        )
        return _result(check, ctx, Outcome.FAILED, started, findings=(crash,))
    # the same finding twice (health and live served by one path) is one finding
    findings = tuple(dict.fromkeys(i for i in items if isinstance(i, Finding)))
    judged = [i for i in items if isinstance(i, Judged)]
    count, what = sum(j.count for j in judged), _what(judged)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if not errors and count == 0:
        reason = f"nothing to judge: the {check.needs} observation held no {what or 'evidence'} for {check.id}"
        return _result(check, ctx, Outcome.NOT_RUN, started, reason=reason)
    # a warning is informational (which layer stopped a leak): reported with the result, it does not fail it
    outcome = Outcome.FAILED if errors else Outcome.PASSED
    return _result(check, ctx, outcome, started, findings=findings, judged=(count, what))


def _what(judged: Iterable[Judged]) -> str:
    return ", ".join(dict.fromkeys(j.what for j in judged))


def _result(
    check: Check,
    ctx: CheckContext,
    outcome: Outcome,
    started: float,
    *,
    findings: tuple[Finding, ...] = (),
    reason: str = "",
    judged: tuple[int, str] = (0, ""),
) -> CheckResult:
    return CheckResult(
        check_id=check.id,
        area=check.area,
        service=ctx.service.name,
        outcome=outcome,
        findings=findings,
        reason=reason,
        duration_s=time.perf_counter() - started,
        claim=check.claim,
        judged=judged[0],
        judged_what=judged[1],
    )


def _once(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """The same violation seen on several observations (a lint problem in both scrapes) is reported once, with the
    evidence of its first sighting."""
    seen: dict[tuple[str, str, str, str], Finding] = {}
    for f in findings:
        seen.setdefault((f.check_id, f.service, f.observed, f.expected), f)
    return tuple(seen.values())


def merge_results(results: Iterable[CheckResult]) -> CheckResult:
    """One result for a check judged on several observations (e.g. each dependency x fault mode).

    Failed if any failed (all findings kept), passed if any passed, else not run with every reason. The evidence
    judged adds up.
    """
    parts = list(results)
    if not parts:
        raise ValueError("merge_results needs at least one result")
    first = parts[0]
    outcomes = {r.outcome for r in parts}
    outcome = next(o for o in (Outcome.FAILED, Outcome.PASSED, Outcome.NOT_RUN) if o in outcomes)
    reasons = dict.fromkeys(r.reason for r in parts if r.outcome is Outcome.NOT_RUN and r.reason)
    return CheckResult(
        check_id=first.check_id,
        area=first.area,
        service=first.service,
        outcome=outcome,
        findings=_once(f for r in parts for f in r.findings),
        reason="; ".join(reasons) if outcome is Outcome.NOT_RUN else "",
        duration_s=sum(r.duration_s for r in parts),
        claim=first.claim,
        judged=sum(r.judged for r in parts),
        judged_what=", ".join(dict.fromkeys(w for r in parts for part in r.judged_what.split(", ") if (w := part))),
    )

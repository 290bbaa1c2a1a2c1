"""Area ``observability``: a real Prometheus scrapes every service, and the dashboards and alert rules that watch the
fleet refer only to data that exists.

- ``OBSERVABILITY-SCRAPED``: the Prometheus has a scrape target for the service and its last scrape succeeded (a
  target that answers 404, or one configured for a port nobody serves, is a finding with Prometheus's own error).
- ``OBSERVABILITY-DASHBOARD-DATA``: every panel query of every dashboard, expanded for the service (its template
  variables, ``$__rate_interval`` and friends substituted), returns data, and each series selector in it selects
  series of the service; a selector that selects none is a finding naming the dashboard, the panel and whether the
  metric, the label or the label's value is what nobody exports.
- ``OBSERVABILITY-ALERT-RULES``: the alert rule files pass ``promtool check rules`` and their unit tests
  (``promtool test rules``), and every series selector of every rule that can fire for the service selects series
  that exist: an alert on a misspelt metric can never fire, and says so here rather than in an outage; and every
  range of a rate-like function (``rate``, ``increase``, ``irate``, ``delta``, ``deriv``) spans at least two scrape
  intervals of the service's targets, or the rule sees one sample and rarely or never fires.

The observation is pure data; ``fleetcheck.observability`` reads the files and asks Prometheus.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fleetcheck.contracts.findings import Finding, Judged
from fleetcheck.contracts.registry import CHECKS, CheckContext, NotApplicable

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = [
    "AREA",
    "ObservabilityFiles",
    "ObservabilityObservation",
    "PanelQuery",
    "RuleFile",
    "RuleQuery",
    "ScrapeTarget",
    "Selected",
]

AREA = "observability"
_SHOWN = 3


@dataclass(frozen=True, slots=True)
class ObservabilityFiles:
    """What the area judges against Prometheus: a folder of Grafana dashboards, alert rule files, and the label the
    scrape configuration puts the service's name in (``service``: ``fleetcheck prometheus-config``'s)."""

    dashboards: Path | None = None
    alerts: tuple[Path, ...] = ()
    service_label: str = "service"


@dataclass(frozen=True, slots=True)
class ScrapeTarget:
    """One of Prometheus's active targets (``/api/v1/targets``), with the fleet service it scrapes, if any."""

    service: str | None
    scrape_url: str
    health: str  # up, down, unknown
    last_error: str = ""
    #: how often Prometheus scrapes it (``scrapeInterval``), 0 when Prometheus does not say
    scrape_interval_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Selected:
    """One series selector of a query, as sent to ``/api/v1/series``, and how many series it selected; ``missing``
    says what nobody exports when it selected none (the metric, a label, or a label's value). ``empty_ok``: it
    selects none only because of its pattern matchers (``status_code=~"5.."`` on a fleet that has served no 5xx):
    the series exist, their values have not occurred yet, which is what an error panel or alert waits for."""

    selector: str
    series: int
    missing: str = ""
    empty_ok: bool = False


@dataclass(frozen=True, slots=True)
class PanelQuery:
    """One query of one dashboard panel, expanded for ``service``: the samples it returned and its selectors."""

    dashboard: str
    panel: str
    service: str
    expr: str
    samples: int
    selectors: tuple[Selected, ...]
    error: str = ""


@dataclass(frozen=True, slots=True)
class RuleQuery:
    """One alert (or recording) rule that can fire for ``service``, and what its selectors select."""

    file: str
    rule: str
    service: str
    expr: str
    selectors: tuple[Selected, ...]
    error: str = ""
    #: the ranges (seconds) of the expression's rate-like functions (``rate``, ``increase``, ...: two samples each)
    windows: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleFile:
    """One rule file: whether ``promtool check rules`` accepts it and whether its unit tests (``<name>.test.yml``
    beside it) pass; ``tests`` is empty when it has none."""

    file: str
    valid: bool
    output: str
    tests: str = ""
    tests_passed: bool = True


@dataclass(frozen=True, slots=True)
class ObservabilityObservation:
    """What one Prometheus scraping the fleet holds, for the dashboards and rule files given; ``*_reason`` says why
    there is nothing to judge (no dashboards or rule files given)."""

    prometheus: str
    targets: tuple[ScrapeTarget, ...]
    panels: tuple[PanelQuery, ...] = ()
    rule_files: tuple[RuleFile, ...] = ()
    rules: tuple[RuleQuery, ...] = ()
    dashboards_reason: str = ""
    alerts_reason: str = ""


def _selection_problems(selectors: tuple[Selected, ...]) -> list[str]:
    return [f"{s.selector} selects no series ({s.missing})" for s in selectors if s.series == 0 and not s.empty_ok]


@CHECKS.register(
    "OBSERVABILITY-SCRAPED",
    area=AREA,
    needs="observability",
    claim="Prometheus scrapes the service at the path and port its scrape configuration names, and the last scrape "
    "succeeded",
)
def check_scraped(ctx: CheckContext, observation: ObservabilityObservation) -> Iterator[Finding | Judged]:
    service = ctx.service.name
    mine = [t for t in observation.targets if t.service == service]
    if not mine:
        yield Finding(
            check_id="OBSERVABILITY-SCRAPED",
            service=service,
            expected=f"a scrape target of the Prometheus at {observation.prometheus} for {service}",
            observed=f"none of its {len(observation.targets)} active targets scrapes {service}",
            hint="add the service to the scrape configuration (fleetcheck prometheus-config writes one)",
        )
        return
    yield Judged(len(mine), "scrape targets")
    for target in mine:
        if target.health != "up":
            yield Finding(
                check_id="OBSERVABILITY-SCRAPED",
                service=service,
                expected=f"the scrape of {target.scrape_url} to succeed (health up)",
                observed=f"health {target.health}: {target.last_error or 'no error given'}",
                hint="scrape the path and port the service serves /metrics on",
            )


@CHECKS.register(
    "OBSERVABILITY-DASHBOARD-DATA",
    area=AREA,
    needs="observability",
    claim="every panel query of every dashboard, expanded for the service, returns data, and each of its series "
    "selectors selects series the service exports",
)
def check_dashboard_data(ctx: CheckContext, observation: ObservabilityObservation) -> Iterator[Finding | Judged]:
    service = ctx.service.name
    mine = [p for p in observation.panels if p.service == service]
    if not mine:
        raise NotApplicable(observation.dashboards_reason or f"no dashboard panel queries {service}'s series")
    yield Judged(len(mine), "panel queries")
    for panel in mine:
        problems = [panel.error] if panel.error else _selection_problems(panel.selectors)
        if not problems and panel.samples == 0 and not any(s.empty_ok for s in panel.selectors):
            problems = ["the query returned no sample"]
        if problems:
            yield Finding(
                check_id="OBSERVABILITY-DASHBOARD-DATA",
                service=service,
                expected=f"dashboard {panel.dashboard!r}, panel {panel.panel!r} to show {service}'s data",
                observed=f"{'; '.join(problems[:_SHOWN])} (query {panel.expr})",
                hint="query metric names and labels the service exports (its /metrics), with the fleet's label values",
            )


_UNSELECTED_HINT = "an alert on a series nobody exports can never fire: use the metric and label names /metrics shows"
_WINDOW_HINT = (
    "widen the range to several scrape intervals (Prometheus's docs suggest at least four), or scrape more often"
)


@CHECKS.register(
    "OBSERVABILITY-ALERT-RULES",
    area=AREA,
    needs="observability",
    claim="the alert rule files pass promtool's check and unit tests, and every rule that can fire for the service "
    "selects series that exist",
)
def check_alert_rules(ctx: CheckContext, observation: ObservabilityObservation) -> Iterator[Finding | Judged]:
    service = ctx.service.name
    if not observation.rule_files:
        raise NotApplicable(observation.alerts_reason or "no alert rule file was given")
    mine = [r for r in observation.rules if r.service == service]
    yield Judged(len(observation.rule_files) + len(mine), "rule files and rules")
    for file in observation.rule_files:
        if not file.valid:
            yield _rule_finding(service, f"promtool check rules to accept {file.file}", file.output)
        if not file.tests_passed:
            yield _rule_finding(service, f"the unit tests {file.tests} of {file.file} to pass", file.output)
    interval = max((t.scrape_interval_s for t in observation.targets if t.service == service), default=0.0)
    for rule in mine:
        problems = [rule.error] if rule.error else _selection_problems(rule.selectors)
        if problems:
            yield _rule_finding(
                service, f"rule {rule.rule!r} of {rule.file} to select series that exist", "; ".join(problems[:_SHOWN])
            )
        short = sorted({w for w in rule.windows if w < 2 * interval})
        if short:
            ranges = ", ".join(f"{w:g} s" for w in short)
            yield _rule_finding(
                service,
                f"rule {rule.rule!r} of {rule.file} to range over at least two scrapes of {service} "
                f"(every {interval:g} s)",
                f"its rate-like range of {ranges} holds fewer than two samples of a series scraped every {interval:g} "
                f"s most of the time, and rate() or increase() of one sample is no value: the rule rarely or never "
                f"fires (query {rule.expr.strip()})",
                _WINDOW_HINT,
            )


def _rule_finding(service: str, expected: str, observed: str, hint: str = _UNSELECTED_HINT) -> Finding:
    return Finding(
        check_id="OBSERVABILITY-ALERT-RULES",
        service=service,
        expected=expected,
        observed=observed.strip()[:600] or "(no output)",
        hint=hint,
    )

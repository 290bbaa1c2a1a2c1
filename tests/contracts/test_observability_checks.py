"""The OBSERVABILITY-* checks judge synthetic observations: what passes, what fails, and the message they print."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.observability import (
    ObservabilityObservation,
    PanelQuery,
    RuleFile,
    RuleQuery,
    ScrapeTarget,
    Selected,
)
from fleetcheck.contracts.registry import CHECKS, CheckContext, run_check

if TYPE_CHECKING:
    from fleetcheck.contracts.findings import CheckResult

_FLEET = load_fleet()
_UP = ScrapeTarget("auth", "http://127.0.0.1:3001/metrics", "up")
_SELECTED = Selected('http_requests_total{service="auth"}', 4)
_PANEL = PanelQuery("Service RED", "Rate", "auth", 'sum(rate(http_requests_total{service="auth"}[1m]))', 1,
                    (_SELECTED,))  # fmt: skip
_VALID = RuleFile("fleet.yml", True, "SUCCESS", "fleet.test.yml", True)


def _judge(check_id: str, observation: ObservabilityObservation, service: str = "auth") -> CheckResult:
    return run_check(CHECKS[check_id], CheckContext(_FLEET.service(service), _FLEET), observation)


def _observation(**changes: object) -> ObservabilityObservation:
    fields: dict[str, object] = {"prometheus": "http://127.0.0.1:9090", "targets": (_UP,), "panels": (_PANEL,),
                                 "rule_files": (_VALID,), "rules": ()}  # fmt: skip
    return ObservabilityObservation(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "check_id", ["OBSERVABILITY-SCRAPED", "OBSERVABILITY-DASHBOARD-DATA", "OBSERVABILITY-ALERT-RULES"]
)
def test_a_scraped_service_with_data_and_valid_rules_passes(check_id: str) -> None:
    assert _judge(check_id, _observation()).outcome is Outcome.PASSED


def test_a_target_that_answers_404_fails_scraped_with_prometheus_error() -> None:
    down = ScrapeTarget("auth", "http://127.0.0.1:3001/metricz", "down", "server returned HTTP status 404 Not Found")
    result = _judge("OBSERVABILITY-SCRAPED", _observation(targets=(down,)))
    assert result.outcome is Outcome.FAILED
    assert "404 Not Found" in result.findings[0].observed


def test_a_service_no_target_scrapes_fails_scraped() -> None:
    other = ScrapeTarget("master-data", "http://127.0.0.1:3002/metrics", "up")
    result = _judge("OBSERVABILITY-SCRAPED", _observation(targets=(other,)))
    assert result.outcome is Outcome.FAILED
    assert "none of its 1 active targets scrapes auth" in result.findings[0].observed


def test_a_panel_on_a_metric_nobody_exports_fails_naming_dashboard_panel_and_metric() -> None:
    missing = Selected('http_request_total{service="auth"}', 0, "no metric named http_request_total is scraped")
    panel = PanelQuery("Service RED", "Rate", "auth", "sum(rate(http_request_total[1m]))", 0, (missing,))
    result = _judge("OBSERVABILITY-DASHBOARD-DATA", _observation(panels=(panel,)))
    assert result.outcome is Outcome.FAILED
    finding = result.findings[0]
    assert "'Service RED', panel 'Rate'" in finding.expected
    assert "no metric named http_request_total is scraped" in finding.observed


def test_an_error_panel_waiting_for_its_first_5xx_passes() -> None:
    waiting = Selected('http_requests_total{status_code=~"5..", service="auth"}', 0, "no value yet", empty_ok=True)
    panel = PanelQuery("Service RED", "5xx ratio", "auth", "...", 0, (waiting, _SELECTED))
    assert _judge("OBSERVABILITY-DASHBOARD-DATA", _observation(panels=(panel,))).outcome is Outcome.PASSED


def test_a_panel_whose_query_returns_nothing_fails_even_when_each_selector_selects() -> None:
    panel = PanelQuery("Fleet overview", "Up", "auth", 'up{service="auth"} == 2', 0, (_SELECTED,))
    result = _judge("OBSERVABILITY-DASHBOARD-DATA", _observation(panels=(panel,)))
    assert result.outcome is Outcome.FAILED
    assert "the query returned no sample" in result.findings[0].observed


def test_no_dashboard_for_the_service_is_not_run_with_the_reason() -> None:
    result = _judge("OBSERVABILITY-DASHBOARD-DATA", _observation(panels=(), dashboards_reason="no dashboards given"))
    assert (result.outcome, result.reason) == (Outcome.NOT_RUN, "no dashboards given")


def test_rule_files_promtool_rejects_or_whose_tests_fail_fail_the_rules_check() -> None:
    invalid = RuleFile("fleet.yml", False, 'FAILED: group "fleet", rule 1: could not parse expression')
    failing = RuleFile("other.yml", True, "FAILED: alertname: X, time: 3m", "other.test.yml", False)
    result = _judge("OBSERVABILITY-ALERT-RULES", _observation(rule_files=(invalid, failing)))
    assert result.outcome is Outcome.FAILED
    assert [f.expected for f in result.findings] == [
        "promtool check rules to accept fleet.yml",
        "the unit tests other.test.yml of other.yml to pass",
    ]


def test_a_rule_on_a_misspelt_metric_fails_the_rules_check_naming_the_rule() -> None:
    missing = Selected('outbox_pending_event{service="auth"}', 0, "no metric named outbox_pending_event is scraped")
    rule = RuleQuery("fleet.yml", "FleetOutboxBacklog", "auth", "outbox_pending_event > 100", (missing,))
    result = _judge("OBSERVABILITY-ALERT-RULES", _observation(rules=(rule,)))
    assert result.outcome is Outcome.FAILED
    assert "rule 'FleetOutboxBacklog' of fleet.yml" in result.findings[0].expected
    assert "no metric named outbox_pending_event" in result.findings[0].observed


def test_no_rule_file_is_not_run_with_the_reason() -> None:
    result = _judge("OBSERVABILITY-ALERT-RULES", _observation(rule_files=(), alerts_reason="no alert rule files"))
    assert (result.outcome, result.reason) == (Outcome.NOT_RUN, "no alert rule files")


@pytest.mark.parametrize(("window_s", "fails"), [(20.0, True), (30.0, False), (300.0, False)])
def test_a_rate_over_fewer_than_two_scrapes_fails_the_rules_check(window_s: float, fails: bool) -> None:
    """Scraped every 15 s, ``rate(x[20s])`` mostly holds one sample, which is no rate: the rule seldom or never
    fires. Two intervals (30 s) is the least that holds two samples."""
    target = ScrapeTarget("auth", "http://127.0.0.1:3001/metrics", "up", scrape_interval_s=15.0)
    expr = f"sum(rate(auth_account_lockouts_total[{window_s:g}s])) > 1"
    rule = RuleQuery("fleet.yml", "FleetLockoutSpike", "auth", expr, (_SELECTED,), windows=(window_s,))
    result = _judge("OBSERVABILITY-ALERT-RULES", _observation(targets=(target,), rules=(rule,)))
    assert (result.outcome is Outcome.FAILED) is fails, [f.observed for f in result.findings]
    if fails:
        (finding,) = result.findings
        assert "to range over at least two scrapes of auth (every 15 s)" in finding.expected
        assert "range of 20 s holds fewer than two samples" in finding.observed
        assert "widen the range" in finding.hint


def test_the_rate_windows_are_those_of_functions_that_need_two_samples() -> None:
    from fleetcheck.observability import rate_windows

    expr = "sum(rate(a[5m])) > 0 and increase(b[90s]) > 1 and max_over_time(c[10s]) > 0 and deriv(d[1m:10s]) > 0"
    assert rate_windows(expr) == [300.0, 90.0]  # max_over_time is a value of one sample; a subquery has its own step

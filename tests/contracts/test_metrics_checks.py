"""METRICS-* checks judged on scrapes rendered by a real prometheus_client registry, and on broken ones."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest
from observation_builders import OPENMETRICS_CT, Scrape, exchange, metrics_snapshot, replace

from fleetcheck.contracts.catalogue import CHECKS
from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.metrics import parse_exposition
from fleetcheck.contracts.observations import MetricsSnapshot, OperationObservation, TrafficObservation
from fleetcheck.contracts.registry import CheckContext, CheckSettings, run_check

if TYPE_CHECKING:
    from fleetcheck.contracts.fleet import Fleet

SNAPSHOT_CHECKS = [
    "METRICS-CONTENT-TYPE",
    "METRICS-PARSE",
    "METRICS-LINT",
    "METRICS-PROCESS",
    "METRICS-REQUIRED",
    "METRICS-SERIES-BUDGET",
    "METRICS-NO-PII",
]
UUID = "3f2a7c1e-8d4b-4c6a-9e1f-0b2c3d4e5f60"


def _messages(run: Any, check_id: str, service: str, observation: object, **settings: Any) -> list[str]:
    result = run(check_id, service, observation, **settings)
    assert result.outcome is Outcome.FAILED
    assert all(f.check_id == check_id and f.service == service for f in result.findings)
    return [f.message() for f in result.findings]


@pytest.mark.parametrize("check_id", SNAPSHOT_CHECKS)
@pytest.mark.parametrize("service", ["auth", "api-gateway", "audit"])
def test_prometheus_client_scrape_passes(run: Any, fleet: Fleet, check_id: str, service: str) -> None:
    scrape = Scrape(fleet, fleet.service(service)).request("/health", 200)
    if service == "audit":
        scrape.inc(
            "audit_events_total", event_type="auth.user.login", severity="info", outcome="success", tenant_id=UUID
        )
    result = run(check_id, service, scrape.snapshot())
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]


def test_content_type_fails_on_json_and_on_openmetrics_ignored(run: Any, fleet: Fleet) -> None:
    snap = Scrape(fleet, fleet.service("auth")).snapshot()
    snap = MetricsSnapshot(
        replace(snap.text, headers=(("content-type", "application/json"),)),
        replace(snap.openmetrics, headers=(("content-type", "text/plain; version=0.0.4; charset=utf-8"),)),
    )
    messages = _messages(run, "METRICS-CONTENT-TYPE", "auth", snap)
    assert len(messages) == 2
    assert "answered Content-Type application/json: wrong media type application/json" in messages[0]
    assert "expected: application/openmetrics-text; version=1.0.0; charset=utf-8" in messages[1]


def test_content_type_accepts_text_version_1_0_0(run: Any, fleet: Fleet) -> None:
    snap = Scrape(fleet, fleet.service("auth")).snapshot()
    snap = MetricsSnapshot(
        replace(snap.text, headers=(("content-type", "text/plain; version=1.0.0; charset=utf-8"),)), snap.openmetrics
    )
    assert run("METRICS-CONTENT-TYPE", "auth", snap).outcome is Outcome.PASSED


def test_parse_fails_and_other_checks_say_could_not_parse(run: Any, fleet: Fleet) -> None:
    snap = metrics_snapshot(b'http_requests_total{method="GET" 1\n', openmetrics=b"x 1\n")
    messages = _messages(run, "METRICS-PARSE", "auth", snap)
    assert len(messages) == 2
    assert "(text format): the text format parser refused it" in messages[0]
    assert "(OpenMetrics): the OpenMetrics parser refused it" in messages[1]
    for check_id in ("METRICS-LINT", "METRICS-PROCESS", "METRICS-REQUIRED", "METRICS-SERIES-BUDGET", "METRICS-NO-PII"):
        found = _messages(run, check_id, "auth", snap)
        assert "could not parse the exposition" in found[0], check_id


def test_parse_fails_on_non_200(run: Any, fleet: Fleet) -> None:
    snap = MetricsSnapshot(
        exchange("/metrics", status=404, body=b"not found"), exchange("/metrics", status=0, error="connection reset")
    )
    messages = _messages(run, "METRICS-PARSE", "auth", snap)
    assert "GET /metrics (text format) answered 404" in messages[0]
    assert "got no answer (connection reset)" in messages[1]


def test_lint_names_each_family(run: Any) -> None:
    text = b"# TYPE jobs_done counter\njobs_done 1\n# HELP latency_ms l\n# TYPE latency_ms gauge\nlatency_ms 3\n"
    messages = _messages(run, "METRICS-LINT", "scheduler", metrics_snapshot(text))
    assert [m.split("\n")[0] for m in messages] == [
        'scheduler: GET /metrics family jobs_done: counter metrics should have "_total" suffix',
        "scheduler: GET /metrics family jobs_done: no help text",
        "scheduler: GET /metrics family latency_ms: metric names should not contain abbreviated units",
    ]


def test_process_fails_without_process_families(run: Any) -> None:
    text = b"# HELP up_ok x\n# TYPE up_ok gauge\nup_ok 1\n"
    message = _messages(run, "METRICS-PROCESS", "auth", metrics_snapshot(text))[0]
    assert "lacks process_cpu_seconds_total, process_resident_memory_bytes, process_start_time_seconds" in message


def test_required_fails_on_missing_family_and_extra_label(run: Any, fleet: Fleet) -> None:
    scrape = Scrape(fleet, fleet.service("organization"))
    scrape.inc("organization_tenant_operations_total", operation="create", status="success")
    body = scrape.text().decode().replace('status="success"}', 'status="success",tenant="acme"}')
    body = "".join(line + "\n" for line in body.splitlines() if "organization_tenants" not in line)
    messages = _messages(run, "METRICS-REQUIRED", "organization", metrics_snapshot(body.encode()))
    assert len(messages) == 2
    assert "has no family organization_tenants" in messages[0]
    assert "exposes organization_tenant_operations_total with labels {operation, status, tenant}" in messages[1]
    assert "expected: organization_tenant_operations_total (counter, labels operation, status)" in messages[1]


def test_required_fails_on_gauge_declared_as_counter(run: Any, fleet: Fleet) -> None:
    body = Scrape(fleet, fleet.service("file-storage")).text().decode()
    body = body.replace("# TYPE storage_used_bytes gauge", "# TYPE storage_used_bytes counter")
    body = body.replace("\nstorage_used_bytes ", "\nstorage_used_bytes_total ")
    messages = _messages(run, "METRICS-REQUIRED", "file-storage", metrics_snapshot(body.encode()))
    assert any("has no family storage_used_bytes" in m for m in messages)


def test_series_budget_fails_over_the_default(run: Any, fleet: Fleet) -> None:
    scrape = Scrape(fleet, fleet.service("auth"))
    for n in range(6):
        scrape.request(f"/route-{n}", 200)
    messages = _messages(run, "METRICS-SERIES-BUDGET", "auth", scrape.snapshot(), series_budget=5)
    assert any("family http_requests_total has 6 series" in m and "at most 5 series" in m for m in messages)


def test_series_budget_uses_the_familys_own_budget(run: Any, fleet: Fleet) -> None:
    scrape = Scrape(fleet, fleet.service("audit"))
    for n in range(6):
        scrape.inc("audit_events_total", event_type="x", severity="info", outcome="ok", tenant_id=f"t{n}")
    result = run("METRICS-SERIES-BUDGET", "audit", scrape.snapshot(), series_budget=5)
    assert result.outcome is Outcome.PASSED  # audit_events_total is budgeted at 2000 in the fleet file


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("rahim@example.com", "an email address"),
        ("+8801712345678", "a Bangladeshi mobile number"),
        ("/customers/01712345678", "a Bangladeshi mobile number"),
        ("123456789012", "a TIN or NID"),
        (f"/users/{UUID}", "a uuid"),
    ],
)
def test_no_pii_flags_personal_values(run: Any, fleet: Fleet, value: str, kind: str) -> None:
    scrape = Scrape(fleet, fleet.service("auth")).request(value, 200)
    messages = _messages(run, "METRICS-NO-PII", "auth", scrape.snapshot())
    assert any(f"label route holds {kind}" in m for m in messages)
    assert all(value not in m for m in messages)  # the finding never repeats the personal value


def test_no_pii_does_not_read_the_digits_of_a_tenant_uuid_as_a_nid_or_phone(run: Any, fleet: Fleet) -> None:
    scrape = Scrape(fleet, fleet.service("audit"))
    for tenant in ("68245710-3d4e-4f5a-9b6c-682457103912", "3f2a9c1e-0b7d-4e21-a5c3-a01712345678"):
        scrape.inc("audit_events_total", event_type="x", severity="info", outcome="ok", tenant_id=tenant)
    assert run("METRICS-NO-PII", "audit", scrape.snapshot()).outcome is Outcome.PASSED
    scrape.inc("audit_events_total", event_type="123456789012", severity="info", outcome="ok", tenant_id=UUID)
    assert any("label event_type holds a TIN or NID" in m for m in _messages(run, "METRICS-NO-PII", "audit",
                                                                              scrape.snapshot()))  # fmt: skip


def test_no_pii_judges_only_the_kinds_the_fleet_file_names(fleet: Fleet) -> None:
    # etcd's etcd_server_id{server_id="6515..."} is a 16-digit member id, not a NID: a fleet that handles no
    # Bangladeshi identity numbers leaves them out of ``pii`` and long numbers stop being findings.
    foreign = fleet.model_copy(update={"pii": ("email", "uuid")})
    scrape = (
        Scrape(foreign, foreign.service("auth")).request("/customers/01712345678", 200).request("/t/123456789012", 200)
    )
    ctx = CheckContext(foreign.service("auth"), foreign, CheckSettings())
    assert run_check(CHECKS["METRICS-NO-PII"], ctx, scrape.snapshot()).outcome is Outcome.PASSED
    scrape.request("/u/rahim@example.com", 200)
    result = run_check(CHECKS["METRICS-NO-PII"], ctx, scrape.snapshot())
    assert [f.message() for f in result.findings if "email" in f.message()], result.findings


# --- traffic ------------------------------------------------------------------------------------------------------


def _traffic(
    fleet: Fleet,
    service: str,
    sent: list[tuple[str, int]],
    counted: list[tuple[str, str, int]],
    id_paths: tuple[str, ...] = (),
    *,
    authorized: bool = False,
    seconds: float = 0.01,
) -> TrafficObservation:
    scrape = Scrape(fleet, fleet.service(service)).request("/metrics", 200)
    before = scrape.exchange()
    scrape.request("/metrics", 200, seconds=30.0)  # the before-scrape itself: excluded from the count and the time
    for route, status, times in counted:
        scrape.request(route, status, times=times, seconds=seconds)
    exchanges = tuple(exchange(path, status=status) for path, status in sent)
    return TrafficObservation(before, exchanges, scrape.exchange(), id_paths, authorized=authorized)


def test_counters_move_passes_when_every_request_is_counted(run: Any, fleet: Fleet) -> None:
    obs = _traffic(
        fleet,
        "master-data",
        [("/customers", 401), ("/customers", 401), ("/nope", 404)],
        [("/customers", "401", 2), ("/nope-not-found", "404", 1)],
    )
    assert run("METRICS-COUNTERS-MOVE", "master-data", obs).outcome is Outcome.PASSED


def test_counters_move_fails_when_a_status_is_miscounted(run: Any, fleet: Fleet) -> None:
    obs = _traffic(fleet, "master-data", [("/customers", 401), ("/nope", 404)], [("/customers", "200", 2)])
    message = _messages(run, "METRICS-COUNTERS-MOVE", "master-data", obs)[0]
    assert "http_requests_total moved by 2 after 2 answered requests" in message
    assert "status_code 200: moved 2, sent 0" in message
    assert "status_code 404: moved 0, sent 1" in message


def test_duration_plausible_passes_when_each_request_took_no_longer_than_the_client_waited(
    run: Any, fleet: Fleet
) -> None:
    obs = _traffic(fleet, "master-data", [("/customers", 401), ("/nope", 404)],
                   [("/customers", "401", 1), ("/nope-not-found", "404", 1)])  # fmt: skip
    result = run("METRICS-DURATION-PLAUSIBLE", "master-data", obs)
    assert (result.outcome, result.judged) == (Outcome.PASSED, 2)


def test_duration_plausible_fails_on_a_clock_reading_taken_for_a_duration(run: Any, fleet: Fleet) -> None:
    obs = _traffic(fleet, "master-data", [("/customers", 401), ("/nope", 404)],
                   [("/customers", "401", 1), ("/nope-not-found", "404", 1)], seconds=8123.5)  # fmt: skip
    (message,) = _messages(run, "METRICS-DURATION-PLAUSIBLE", "master-data", obs)
    assert "http_request_duration_seconds_sum moved by 16247.000 s for 2 requests the client waited 0.020 s" in message
    assert "between 0 and 0.120 s" in message


def test_duration_plausible_fails_when_a_request_is_not_timed(run: Any, fleet: Fleet) -> None:
    obs = _traffic(fleet, "master-data", [("/customers", 401), ("/nope", 404)], [("/customers", "401", 1)])
    (message,) = _messages(run, "METRICS-DURATION-PLAUSIBLE", "master-data", obs)
    assert "http_request_duration_seconds_count moved by 1 after 2 answered requests" in message


def test_duration_plausible_is_not_run_where_the_fleet_declares_no_histogram(run: Any, fleet: Fleet) -> None:
    foreign = fleet.model_copy(update={"http_metrics": fleet.http_metrics.model_copy(update={"duration": None})})
    obs = _traffic(foreign, "master-data", [("/customers", 401)], [("/customers", "401", 1)])
    ctx = CheckContext(foreign.service("master-data"), foreign, CheckSettings())
    result = run_check(CHECKS["METRICS-DURATION-PLAUSIBLE"], ctx, obs)
    assert result.outcome is Outcome.NOT_RUN
    assert "declares no request duration histogram (http_metrics.duration)" in result.reason


def test_route_templates_pass_with_templates(run: Any, fleet: Fleet) -> None:
    ids = ("/customers/" + UUID, "/customers/" + UUID.replace("3f", "4e"), "/vendors/" + UUID)
    obs = _traffic(
        fleet,
        "master-data",
        [(p, 401) for p in ids],
        [("/customers/{customer_id}", "401", 2), ("/vendors/{vendor_id}", "401", 1)],
        ids,
    )
    assert run("METRICS-ROUTE-TEMPLATES", "master-data", obs).outcome is Outcome.PASSED


def test_route_templates_fail_on_raw_paths(run: Any, fleet: Fleet) -> None:
    ids = ("/customers/c-1", "/customers/c-2", "/customers/c-3")
    obs = _traffic(fleet, "master-data", [(p, 404) for p in ids], [(p, "404", 1) for p in ids], ids)
    message = _messages(run, "METRICS-ROUTE-TEMPLATES", "master-data", obs)[0]
    assert "route labels hold raw paths: /customers/c-1, /customers/c-2, /customers/c-3" in message


def test_route_templates_fail_when_cardinality_grows_with_ids(run: Any, fleet: Fleet) -> None:
    ids = ("/users/1001", "/users/1002", "/users/1003")
    # routes that hide the id but still grow per request (e.g. a hash of the path)
    obs = _traffic(fleet, "auth", [(p, 401) for p in ids], [(f"/users/h{n}", "401", 1) for n in range(3)], ids)
    assert (
        "3 requests with distinct ids added 3 route label values"
        in _messages(run, "METRICS-ROUTE-TEMPLATES", "auth", obs)[0]
    )


def test_route_templates_do_not_count_the_first_health_request_as_growth(run: Any, fleet: Fleet) -> None:
    # `verify --area metrics` alone: nothing requested /health before the traffic, so its route value is new too
    ids = ("/users/" + UUID, "/users/" + UUID.replace("3f", "4e"))
    sent = [("/health", 200)] * 5 + [(p, 401) for p in ids]
    obs = _traffic(fleet, "auth", sent, [("/health", "200", 5), ("/users/{user_id}", "401", 2)], ids)
    result = run("METRICS-ROUTE-TEMPLATES", "auth", obs)
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]


def test_missing_id_with_a_token_must_be_a_404(run: Any, fleet: Fleet) -> None:
    ids = ("/customers/" + UUID, "/vendors/" + UUID)
    counted = [("/customers/{customer_id}", "404", 1), ("/vendors/{vendor_id}", "404", 1)]
    good = _traffic(fleet, "master-data", [(p, 404) for p in ids], counted, ids, authorized=True)
    assert run("METRICS-MISSING-ID-NOT-FOUND", "master-data", good).outcome is Outcome.PASSED
    broken = _traffic(fleet, "master-data", [(ids[0], 404), (ids[1], 500)], counted, ids, authorized=True)
    (message,) = _messages(run, "METRICS-MISSING-ID-NOT-FOUND", "master-data", broken)
    assert f"GET /vendors/{UUID} answered 500 for an id that does not exist" in message


def test_missing_id_is_not_run_without_a_token(run: Any, fleet: Fleet) -> None:
    ids = ("/customers/" + UUID,)
    obs = _traffic(fleet, "master-data", [(ids[0], 401)], [("/customers/{customer_id}", "401", 1)], ids)
    result = run("METRICS-MISSING-ID-NOT-FOUND", "master-data", obs)
    assert result.outcome is Outcome.NOT_RUN
    assert "without a tenant token" in result.reason


# --- business operations ------------------------------------------------------------------------------------------


def _operation(fleet: Fleet, service: str, name: str, status: int, **moves: Any) -> OperationObservation:
    scrape = Scrape(fleet, fleet.service(service))
    before = scrape.exchange()
    for family, labels in moves.items():
        scrape.inc(family, **labels)
    return OperationObservation(
        name, before, (exchange("/auth/login", method="POST", status=status),), scrape.exchange()
    )


def test_business_moves_passes_failed_login(run: Any, fleet: Fleet) -> None:
    obs = _operation(
        fleet,
        "auth",
        "failed-login",
        401,
        auth_login_attempts_total={"type": "password"},
        auth_login_failure_total={"reason": "invalid_credentials"},
    )
    assert run("METRICS-BUSINESS-MOVES", "auth", obs).outcome is Outcome.PASSED


def test_business_moves_fails_on_wrong_reason_label(run: Any, fleet: Fleet) -> None:
    obs = _operation(
        fleet,
        "auth",
        "failed-login",
        401,
        auth_login_attempts_total={"type": "password"},
        auth_login_failure_total={"reason": "unknown_user"},
    )
    messages = _messages(run, "METRICS-BUSINESS-MOVES", "auth", obs)
    assert [m.split("\n")[0] for m in messages] == [
        'auth: auth_login_failure_total{reason="invalid_credentials"} moved by 0 during failed-login'
    ]


def test_business_moves_is_not_run_with_the_answer_when_the_operation_was_refused(run: Any, fleet: Fleet) -> None:
    refused = dataclasses.replace(
        _operation(fleet, "auth", "failed-login", 404),
        refused=("step 'failed-login': POST /auth/login answered 404 Not Found, not 401",),
    )
    result = run("METRICS-BUSINESS-MOVES", "auth", refused)
    assert result.outcome is Outcome.NOT_RUN
    assert result.reason == (
        "operation failed-login did not happen as declared: step 'failed-login': POST /auth/login answered 404 "
        "Not Found, not 401"
    )


def test_business_moves_of_an_undeclared_operation_is_not_run_naming_the_declared_ones(run: Any, fleet: Fleet) -> None:
    result = run("METRICS-BUSINESS-MOVES", "auth", _operation(fleet, "auth", "delete-everything", 200))
    assert result.outcome is Outcome.NOT_RUN
    assert "operation 'delete-everything' is not declared for auth (declared: failed-login)" in result.reason


def test_openmetrics_scrape_of_builder_parses(fleet: Fleet) -> None:
    scrape = Scrape(fleet, fleet.service("auth"))
    assert "http_requests_total" in parse_exposition(scrape.openmetrics(), openmetrics=True).families
    assert OPENMETRICS_CT.startswith("application/openmetrics-text")

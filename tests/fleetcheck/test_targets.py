"""Target files: clear errors at load time, path defaults and overrides, unavailable services, fault reasons."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.targets import Endpoint, TargetFile, TargetFileError

if TYPE_CHECKING:
    from collections.abc import Callable


def _error(write_target: Callable[[str], Path], text: str) -> str:
    path = write_target(text)
    with pytest.raises(TargetFileError) as info:
        TargetFile.load(path)
    assert str(path) in str(info.value)
    return str(info.value)


def test_missing_services_key_names_the_key(write_target: Callable[[str], Path]) -> None:
    message = _error(write_target, "settings: {ready_bound_s: 2}\n")
    assert "services: Field required" in message


def test_wrong_type_names_the_key_path_and_what_was_seen(write_target: Callable[[str], Path]) -> None:
    message = _error(write_target, "services:\n  auth: {base_url: 'http://127.0.0.1:1', paths: 5}\n")
    assert "services.auth.paths" in message
    assert "saw 5" in message


def test_non_http_url_is_refused_with_an_example(write_target: Callable[[str], Path]) -> None:
    message = _error(write_target, "services:\n  auth: {base_url: 'ftp://127.0.0.1:21'}\n")
    assert "services.auth.base_url" in message
    assert "must be an http:// or https:// URL" in message
    assert "ftp://127.0.0.1:21" in message


def test_unknown_service_lists_the_fleet_services(write_target: Callable[[str], Path]) -> None:
    message = _error(write_target, "services:\n  billing: {base_url: 'http://127.0.0.1:1'}\n")
    assert "services.billing" in message
    assert "allowed: auth, master-data" in message


def test_unknown_top_level_key_is_refused(write_target: Callable[[str], Path]) -> None:
    message = _error(write_target, "services: {}\nfault_hooks: {}\n")
    assert "fault_hooks: Extra inputs are not permitted" in message
    # the target file's own keys, not the fleet file's
    assert "allowed keys: fleet, settings, services, credentials, databases, postgres_admin_dsn, kafka" in message


def test_a_target_file_that_is_not_a_mapping_names_the_keys_it_needs(write_target: Callable[[str], Path]) -> None:
    assert "expected a mapping with keys services (required)" in _error(write_target, "- auth\n")
    assert "saw nothing (an empty file)" in _error(write_target, "")


def test_missing_file_says_so() -> None:
    with pytest.raises(TargetFileError, match="no such target file"):
        TargetFile.load("/nonexistent/target.yaml")


def test_services_not_in_the_file_are_unavailable_with_the_reason(write_target: Callable[[str], Path]) -> None:
    target = TargetFile.load(write_target("services:\n  auth: {base_url: 'http://127.0.0.1:1'}\n"))
    assert list(target.endpoints) == ["auth"]
    assert target.unavailable["master-data"] == "not in the target file"
    assert "auth" not in target.unavailable


def _paths(endpoint: Endpoint) -> dict[str, str]:
    return {h.endpoint: h.path for h in endpoint.health}


def test_health_path_moves_all_five_endpoints_and_each_can_be_overridden(write_target: Callable[[str], Path]) -> None:
    text = (
        "services:\n"
        "  auth: {base_url: 'http://127.0.0.1:1', paths: {health: /api/v1/health, ready: /readyz, metrics: /m}}\n"
    )
    endpoint = TargetFile.load(write_target(text)).endpoints["auth"]
    assert _paths(endpoint) == {
        "health": "/api/v1/health",
        "live": "/api/v1/health/live",
        "ready": "/readyz",
        "stats": "/api/v1/health/stats",
        "dependencies": "/api/v1/health/dependencies",
    }
    assert endpoint.metrics_path == "/m"


def test_terminus_profile_has_no_stats_or_dependencies_endpoint(write_target: Callable[[str], Path]) -> None:
    target = TargetFile.load(write_target("services:\n  auth: {base_url: 'http://127.0.0.1:1', profile: terminus}\n"))
    endpoint = target.endpoints["auth"]
    assert list(_paths(endpoint)) == ["health", "live", "ready"]
    assert {h.profile for h in endpoint.health} == {"terminus"}


def test_an_unknown_fault_hook_is_refused_naming_the_hooks_the_fleet_uses(write_target: Callable[[str], Path]) -> None:
    text = "services:\n  auth: {base_url: 'http://127.0.0.1:1'}\nfaults:\n  redis: {stop: 'true', start: 'true'}\n"
    message = _error(write_target, text)
    assert "faults.redis: no dependency of the fleet erp-bd uses the fault hook 'redis'" in message
    assert (
        "hooks the fleet's dependencies use: auth, file-storage, kafka, master-data, organization, postgres" in message
    )


def test_a_profile_the_fleet_does_not_know_is_refused(write_target: Callable[[str], Path]) -> None:
    message = _error(write_target, "services:\n  auth: {base_url: 'http://127.0.0.1:1', profile: actuator}\n")
    assert "services.auth.profile: no health profile 'actuator'" in message
    assert "known profiles: fleet, terminus, health+json, spring, kubernetes, plain" in message


def test_token_command_gives_the_token_and_the_tenant_from_its_claim(write_target: Callable[[str], Path]) -> None:
    claims = base64.urlsafe_b64encode(json.dumps({"tenant_id": "t-9"}).encode()).decode().rstrip("=")
    text = (
        "services:\n  auth: {base_url: 'http://127.0.0.1:1'}\n"
        f"credentials: {{tenant: {{token_command: 'echo e30.{claims}.sig'}}}}\n"
    )
    credentials = TargetFile.load(write_target(text)).credentials
    assert (credentials.tenant_token, credentials.tenant_id) == (f"e30.{claims}.sig", "t-9")


def test_a_failing_token_command_says_what_it_printed(write_target: Callable[[str], Path]) -> None:
    text = "services:\n  auth: {base_url: 'http://127.0.0.1:1'}\ncredentials: {tenant: {token_command: 'exit 3'}}\n"
    credentials = TargetFile.load(write_target(text)).credentials
    assert credentials.tenant_token is None
    assert credentials.missing_reason.startswith("the token command 'exit 3' exited 3 and printed no token")


def test_settings_override_the_check_bounds(write_target: Callable[[str], Path]) -> None:
    text = "settings: {ready_bound_s: 2.5}\nservices:\n  auth: {base_url: 'http://127.0.0.1:1'}\n"
    settings = TargetFile.load(write_target(text)).settings
    assert settings.ready_bound_s == 2.5
    assert settings.timestamp_skew_s == 30.0


def test_settings_bound_the_waits_for_events_and_flows(write_target: Callable[[str], Path]) -> None:
    from fleetcheck.flows import FlowDeadlines

    text = ("settings: {flow_process_s: 12, flow_audit_s: 9, event_slack_s: 5, delivery_drain_s: 30}\n"
            "services:\n  auth: {base_url: 'http://127.0.0.1:1'}\n")  # fmt: skip
    settings = TargetFile.load(write_target(text)).settings
    deadlines = FlowDeadlines.of(settings)
    assert (deadlines.process_s, deadlines.audit_s, deadlines.events_s) == (12.0, 9.0, 30.0)
    assert (settings.event_slack_s, settings.delivery_drain_s) == (5.0, 30.0)
    records = load_fleet().events.records
    assert records is not None
    assert records.retry_window_s(settings.event_slack_s) == 5 * records.retry_s + 5.0


def test_a_wait_of_zero_seconds_is_refused(write_target: Callable[[str], Path]) -> None:
    message = _error(
        write_target, "settings: {flow_events_s: 0}\nservices:\n  auth: {base_url: 'http://127.0.0.1:1'}\n"
    )
    assert "flow_events_s" in message
    assert "greater than 0" in message


def test_missing_fault_hook_reason_says_what_to_add(write_target: Callable[[str], Path]) -> None:
    text = "services:\n  auth: {base_url: 'http://127.0.0.1:1'}\nfaults:\n  postgres: {stop: 'true', start: 'true'}\n"
    target = TargetFile.load(write_target(text))
    assert sorted(target.fault_hooks["postgres"].modes) == ["stop"]
    assert target.missing_fault_reason("postgres", "freeze") == (
        "needs a fault hook for postgres (mode freeze); "
        "the target file's faults.postgres has no freeze: add faults.postgres.freeze/thaw"
    )
    assert target.missing_fault_reason("kafka", "freeze") == (
        "needs a fault hook for kafka (mode freeze); the target file has none: add faults.kafka.freeze/thaw"
    )


def test_tenant_token_credential_takes_the_tenant_id_from_the_token(write_target: Callable[[str], Path]) -> None:
    claims = base64.urlsafe_b64encode(json.dumps({"tenant_id": "t-1"}).encode()).decode().rstrip("=")
    token = f"e30.{claims}.sig"
    text = f"services:\n  auth: {{base_url: 'http://127.0.0.1:1'}}\ncredentials: {{tenant: {{token: '{token}'}}}}\n"
    credentials = TargetFile.load(write_target(text)).credentials
    assert (credentials.tenant_token, credentials.tenant_id) == (token, "t-1")


def test_failed_login_leaves_no_token_and_says_why(write_target: Callable[[str], Path], closed_port: int) -> None:
    text = (
        f"services:\n  auth: {{base_url: 'http://127.0.0.1:{closed_port}'}}\n"
        "credentials: {tenant: {tenant_id: t, email: a@example.com, password: p}}\n"
    )
    credentials = TargetFile.load(write_target(text)).credentials
    assert credentials.tenant_token is None
    assert credentials.missing_reason.startswith(f"the login POST http://127.0.0.1:{closed_port}/auth/login answered ")
    assert credentials.missing_reason.endswith("; expected 200")


def test_endpoint_url_joins_base_and_path_with_one_slash() -> None:
    assert Endpoint.of(load_fleet(), "auth", "http://h:1/prefix/").url("/health") == "http://h:1/prefix/health"


_EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLES = [*sorted(_EXAMPLES_DIR.rglob("target*.yaml")), _EXAMPLES_DIR / "deployed-fleet.yaml"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_example_target_file_loads_with_its_fleet(path: Path) -> None:
    target = TargetFile.load(path)
    assert target.endpoints  # the README's examples name services that the fleet they point at declares


def _jwt(exp: float) -> str:
    import base64
    import json

    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part({'exp': exp})}."


def test_a_held_token_is_used_until_it_nears_expiry_then_renewed_by_logging_in(closed_port: int) -> None:
    import time

    from fleetcheck.contracts.fleet import load_fleet
    from fleetcheck.login import LoginFailed, TokenSource

    fleet, auth = load_fleet(), Endpoint("auth", f"http://127.0.0.1:{closed_port}", (), "/metrics")
    fields = {"tenant_id": "t", "email": "e@example.com", "password": "p"}
    fresh = _jwt(time.time() + 600)
    assert TokenSource.login(fleet.auth, auth, fields, holding=fresh).token() == fresh  # no login needed
    aged = TokenSource.login(fleet.auth, auth, fields, holding=_jwt(time.time() + 5))
    with pytest.raises(LoginFailed):  # it logs in again (auth is not there to answer)
        aged.token()

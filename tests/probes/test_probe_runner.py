"""The probe runner against stand-in services on loopback: a verdict only on judged evidence, and every failure (a
500, a hang, a closed port) a failed probe with its bounded reason, never a crashed prober."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.findings import Outcome
from fleetcheck.probes import (
    REASONS,
    ProbeFile,
    ProbeRunner,
    ProbeScheduler,
    ProbeStore,
    default_probe_file,
    load_probe_file,
)
from fleetcheck.targets import TargetFile

if TYPE_CHECKING:
    from collections.abc import Callable

    from _stand_in import StandIn

    from fleetcheck.probes import ProbeResult

_REPO = Path(__file__).resolve().parents[2]


def _quick(spec: ProbeFile, timeout_s: float = 1.0, interval_s: float | None = None) -> ProbeFile:
    probes = tuple(replace(p, timeout_s=timeout_s, interval_s=interval_s or p.interval_s) for p in spec.probes)
    return replace(spec, probes=probes)


def _by_probe(results: list[ProbeResult], service: str) -> dict[str, ProbeResult]:
    return {r.probe: r for r in results if r.service == service}


def test_the_shipped_probe_file_is_the_default() -> None:
    shipped = load_probe_file(_REPO / "probes" / "fleet.yaml")
    assert shipped.probes == default_probe_file().probes
    assert (shipped.jitter, shipped.concurrency) == (default_probe_file().jitter, default_probe_file().concurrency)
    intervals = {p.name: p.interval_s for p in shipped.probes}
    assert intervals == {
        "health": 15.0,
        "readiness": 15.0,
        "metrics-lint": 60.0,
        "journey-customer": 300.0,
        "journey-workflow": 300.0,
    }


def test_a_healthy_service_passes_every_probe_on_judged_evidence(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path]
) -> None:
    auth = stand_ins("auth")
    target = TargetFile.load(target_of({"auth": auth.base_url}))
    with ProbeRunner(target, default_probe_file()) as runner:
        results = _by_probe(runner.cycle(), "auth")
    assert set(results) == {"health", "readiness", "metrics-lint"}
    for name, result in results.items():
        assert result.outcome is Outcome.PASSED, (name, result.detail)
        assert (result.reason, result.status_code) == ("ok", 200)
        assert all(c.judged > 0 for c in result.checks if c.outcome is Outcome.PASSED), result.checks
    # readiness judged the two dependencies the fleet file declares for auth, read from /health/ready only
    readiness = {c.check_id: c for c in results["readiness"].checks}
    assert readiness["HEALTH-READY-LISTS-DEPS"].judged == 2
    assert "/health/ready" in auth.requests
    assert {"/health", "/health/live", "/metrics"} <= set(auth.requests)


def test_a_500_is_a_failed_probe_with_reason_http_status(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path]
) -> None:
    broken = stand_ins("master-data")
    broken.mode = "error"
    target = TargetFile.load(target_of({"master-data": broken.base_url}))
    with ProbeRunner(target, default_probe_file()) as runner:
        results = _by_probe(runner.cycle(), "master-data")
    for result in results.values():
        assert result.outcome is Outcome.FAILED
        assert (result.reason, result.status_code) == ("http_status", 500)
    assert "answered 500" in results["readiness"].detail


def test_a_closed_port_is_a_failed_probe_with_reason_connect_error(
    closed_port: int, target_of: Callable[[dict[str, str]], Path]
) -> None:
    target = TargetFile.load(target_of({"auth": f"http://127.0.0.1:{closed_port}"}))
    with ProbeRunner(target, default_probe_file()) as runner:
        results = _by_probe(runner.cycle(), "auth")
    assert {r.outcome for r in results.values()} == {Outcome.FAILED}
    assert {(r.reason, r.status_code) for r in results.values()} == {("connect_error", 0)}
    assert "Connection refused" in results["health"].detail


def test_a_hanging_service_times_out_and_the_other_services_are_judged_in_the_same_cycle(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path]
) -> None:
    healthy, hanging = stand_ins("auth"), stand_ins("workflow")
    hanging.mode = "hang"
    target = TargetFile.load(target_of({"auth": healthy.base_url, "workflow": hanging.base_url}))
    # a time-out roomy enough for a loaded machine: the healthy stand-in must never reach it
    with ProbeRunner(target, _quick(default_probe_file(), timeout_s=3.0)) as runner:
        results = runner.cycle()
    assert {r.outcome for r in results if r.service == "auth"} == {Outcome.PASSED}
    stuck = _by_probe(results, "workflow")
    assert {(r.outcome, r.reason, r.status_code) for r in stuck.values()} == {(Outcome.FAILED, "timeout", 0)}


def test_a_hanging_service_delays_no_other_service_under_the_scheduler(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path]
) -> None:
    """With all three probes of the hanging service held without an answer (their time-out far away) and so three of
    the four worker slots taken, the healthy service's probes keep being judged, each of them. The proof is causal
    (results recorded while the stand-in holds three requests), not a stopwatch."""
    healthy, hanging = stand_ins("auth"), stand_ins("workflow")
    hanging.mode = "hang"
    target = TargetFile.load(target_of({"workflow": hanging.base_url, "auth": healthy.base_url}))
    # built in code, past the file's rule that a time-out fits its interval: auth runs often, workflow hangs long
    spec = replace(_quick(default_probe_file(), timeout_s=25.0, interval_s=0.3), concurrency=4)
    store, judged = ProbeStore(), threading.Event()
    judged_while_held: set[str] = set()

    def on_result(result: ProbeResult) -> None:
        if result.service == "auth" and result.success and hanging.hanging == 3:
            judged_while_held.add(result.probe)
            if len(judged_while_held) == 3:
                judged.set()

    with ProbeRunner(target, spec) as runner:
        scheduler = ProbeScheduler(runner, store, on_result=on_result)
        scheduler.start()
        try:
            assert judged.wait(20.0), f"judged while three requests were held: {sorted(judged_while_held)}"
        finally:
            scheduler.stop()
            hanging.release()
    assert not any(k[0] == "workflow" for k in store.latest), "no verdict on the hanging service can exist yet"


def test_the_scheduler_runs_each_probe_again_on_its_interval(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path]
) -> None:
    auth = stand_ins("auth")
    target = TargetFile.load(target_of({"auth": auth.base_url}))
    spec = _quick(default_probe_file(), timeout_s=3.0, interval_s=0.5)
    store, enough = ProbeStore(), threading.Event()

    def on_result(_result: ProbeResult) -> None:
        if store.runs.get(("auth", "readiness", "passed"), 0) >= 3:
            enough.set()

    with ProbeRunner(target, spec) as runner:
        scheduler = ProbeScheduler(runner, store, on_result=on_result)
        scheduler.start()
        try:
            assert enough.wait(20.0), f"readiness did not run three times: {store.runs}"
        finally:
            scheduler.stop()
    assert auth.requests.count("/health/ready") >= 3


def test_a_service_the_target_does_not_list_is_not_run_with_the_reason(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path]
) -> None:
    auth = stand_ins("auth")
    target = TargetFile.load(target_of({"auth": auth.base_url}))
    with ProbeRunner(target, default_probe_file()) as runner:
        result = runner.run("audit", default_probe_file().probe("health"))
    assert (result.outcome, result.reason, result.success) == (Outcome.NOT_RUN, "not_run", False)
    assert "not in the target file" in result.detail


def test_every_reason_is_one_of_the_bounded_set() -> None:
    assert len(REASONS) == len(set(REASONS))
    assert "ok" in REASONS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("probes: [", "not valid YAML"),
        ("[]\n", "expected a mapping with keys probes (required) and defaults; saw list"),
        ("probes: {h: {checks: [HEALTH-ENDPOINTS], every: 5}}\n", "probes.h.every: Extra inputs are not permitted"),
        ("probes: {h: {checks: [HEALTH-NOPE]}}\n", "probes.h.checks[0]: unknown check id 'HEALTH-NOPE'"),
        (
            "probes: {h: {checks: [HEALTH-READY-REFLECTS-DEPS]}}\n",
            "probes.h.checks[0]: HEALTH-READY-REFLECTS-DEPS needs a 'fault' observation",
        ),
        ("probes: {h: {checks: [HEALTH-ENDPOINTS, METRICS-LINT]}}\n", "probes.h.checks: mixes health and metrics"),
        ("probes: {h: {checks: [HEALTH-ENDPOINTS], endpoints: [readyz]}}\n", "unknown health endpoint 'readyz'"),
        (
            "probes: {h: {checks: [HEALTH-ENDPOINTS], interval_s: 2, timeout_s: 5}}\n",
            "probes.h.timeout_s: 5 s is longer than its interval_s (2 s)",
        ),
        ("probes: {h: {checks: [HEALTH-ENDPOINTS], interval_s: -1}}\n", "probes.h.interval_s: Input should be greater"),
        ("defaults: {concurrency: 0}\nprobes: {h: {checks: [HEALTH-ENDPOINTS]}}\n", "defaults.concurrency"),
    ],
)
def test_a_malformed_probe_file_names_the_file_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    from fleetcheck.probes import ProbeFileError

    path = tmp_path / "probes.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProbeFileError) as raised:
        load_probe_file(path)
    assert str(path) in str(raised.value)
    assert expected in str(raised.value)

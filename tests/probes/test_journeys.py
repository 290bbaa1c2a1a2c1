"""Journeys in the probe file and on /metrics, without a fleet: the explicit opt-in to writing, the message that says
how to opt in, per-step ``probe_duration_seconds{step}`` beside the run's own series, JSON lines with the steps, and a
target without the tenant's credentials getting a journey that is not run, with why, before anything is sent."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from fleetcheck.contracts.findings import Outcome
from fleetcheck.journeys import JOURNEYS, JourneyStep
from fleetcheck.probe_exporter import _StoreCollector, render_probe
from fleetcheck.probes import ProbeFileError, ProbeResult, ProbeRunner, ProbeStore, default_probe_file, load_probe_file
from fleetcheck.targets import TargetFile

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from _stand_in import StandIn


def _probe_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "probes.yaml"
    path.write_text(f"probes:\n  journey:\n{body}", encoding="utf-8")
    return path


def test_a_journey_opts_in_to_writing_checks_with_its_journey_key(tmp_path: Path) -> None:
    path = _probe_file(tmp_path, "    journey: customer\n    checks: [FLOWS-AUDIT-EVERY-OPERATION]\n"
                                 "    interval_s: 300\n    timeout_s: 150\n")  # fmt: skip
    (probe,) = load_probe_file(path).probes
    assert (probe.journey, probe.needs, probe.checks) == ("customer", "journey", ("FLOWS-AUDIT-EVERY-OPERATION",))
    assert (probe.interval_s, probe.timeout_s) == (300.0, 150.0)


def test_a_writing_check_in_a_plain_probe_is_refused_with_how_to_opt_in(tmp_path: Path) -> None:
    path = _probe_file(tmp_path, "    checks: [FLOWS-WORKFLOW-NOTIFIES]\n")
    with pytest.raises(ProbeFileError) as refused:
        load_probe_file(path)
    assert str(refused.value) == (
        f"{path}: probes.journey.checks[0]: FLOWS-WORKFLOW-NOTIFIES needs a 'flow-workflow-notifies' observation; a "
        "probe runs only checks whose observation is a read that changes nothing (needs: health or metrics). It "
        "writes, so it runs only in a journey, which writes as the target's synthetic tenant and deletes what it "
        "made: add `journey: workflow` to this probe to opt in"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    journey: payroll\n    checks: [FLOWS-WORKFLOW-NOTIFIES]\n",
         "probes.journey.journey: unknown journey 'payroll'; allowed: customer, workflow"),
        ("    journey: workflow\n    checks: [FLOWS-AUDIT-EVERY-OPERATION]\n",
         "probes.journey.checks[0]: FLOWS-AUDIT-EVERY-OPERATION does not judge journey workflow; its checks are "
         "FLOWS-WORKFLOW-NOTIFIES"),
        ("    journey: customer\n    checks: [HEALTH-SHAPE]\n",
         "probes.journey.checks[0]: HEALTH-SHAPE does not judge journey customer; its checks are "
         "FLOWS-LOGIN-GATEWAY-MASTER-DATA, FLOWS-AUDIT-EVERY-OPERATION"),
        ("    checks: [FLOWS-RULES-STEER-WORKFLOW]\n",
         "FLOWS-RULES-STEER-WORKFLOW needs a 'flow-rules-steer' observation; a probe runs only checks whose "
         "observation is a read that changes nothing (needs: health or metrics)\n"),
    ],
)  # fmt: skip
def test_a_journey_the_prober_cannot_run_is_refused_naming_the_key(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(ProbeFileError) as refused:
        load_probe_file(_probe_file(tmp_path, body))
    assert expected.rstrip("\n") in str(refused.value)
    if expected.endswith("\n"):  # no journey observes it (rules-steer leaves a manager task open): no opt-in offered
        assert "journey:" not in str(refused.value)


def test_the_default_journeys_run_every_5_minutes_within_a_time_out_that_fits_their_waits() -> None:
    journeys = {p.name: p for p in default_probe_file().probes if p.journey}
    assert {n: (p.journey, p.interval_s) for n, p in journeys.items()} == {
        "journey-customer": ("customer", 300.0),
        "journey-workflow": ("workflow", 300.0),
    }
    assert all(p.timeout_s <= p.interval_s for p in journeys.values())


def _journey_result() -> ProbeResult:
    steps = tuple(JourneyStep(n, d) for n, d in (("login", 0.05), ("create", 0.2), ("audit", 1.5), ("delete", 0.1)))
    return ProbeResult("auth", "journey-customer", Outcome.PASSED, "ok", "", 200, 1.9, time.time(), steps=steps)


def _samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


def test_metrics_expose_each_journey_step_beside_the_runs_own_duration() -> None:
    store = ProbeStore()
    store.record(_journey_result())
    plain = ProbeResult("auth", "health", Outcome.PASSED, "ok", "", 200, 0.01, time.time())
    store.record(plain)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StoreCollector(store))
    durations = _samples(generate_latest(registry).decode(), "probe_duration_seconds")
    journey = (("check", "journey-customer"), ("service", "auth"))
    assert durations == {
        (("check", "health"), ("service", "auth")): 0.01,  # a plain probe's series: as before, no step label
        journey: 1.9,
        **{(*journey, ("step", n)): d for n, d in (("login", 0.05), ("create", 0.2), ("audit", 1.5), ("delete", 0.1))},
    }
    # /probe's unlabelled families: the run and its steps
    single = _samples(render_probe(_journey_result()).decode(), "probe_duration_seconds")
    assert single == {(): 1.9, (("step", "login"),): 0.05, (("step", "create"),): 0.2, (("step", "audit"),): 1.5,
                      (("step", "delete"),): 0.1}  # fmt: skip


def test_a_journeys_json_line_carries_its_steps_and_a_plain_probes_does_not() -> None:
    line = _journey_result().as_json()
    assert line["steps"] == [{"step": "login", "duration_s": 0.05}, {"step": "create", "duration_s": 0.2},
                             {"step": "audit", "duration_s": 1.5}, {"step": "delete", "duration_s": 0.1}]  # fmt: skip
    assert (line["cleanup_failures"], line["cleaned"]) == ([], [])
    plain = ProbeResult("auth", "health", Outcome.PASSED, "ok", "", 200, 0.01, time.time()).as_json()
    assert "steps" not in plain


def test_a_target_without_the_tenants_credentials_gets_a_journey_not_run_with_why(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path]
) -> None:
    needed = JOURNEYS["customer"].requires
    made = {name: stand_ins(name) for name in needed}
    target = TargetFile.load(target_of({name: s.base_url for name, s in made.items()}))
    with ProbeRunner(target, default_probe_file()) as runner:
        results = [r for r in runner.cycle() if r.probe.startswith("journey-")]
    # the workflow journey's services are not in the target: left out, as their own probes are
    assert [(r.service, r.probe, r.outcome, r.reason) for r in results] == [
        ("auth", "journey-customer", Outcome.NOT_RUN, "not_run")
    ]
    assert "needs the synthetic tenant's token and id; the target file has no credentials.tenant" in results[0].detail
    assert not results[0].success
    sent = [path for s in made.values() for path in s.requests]
    assert not [p for p in sent if not p.startswith(("/health", "/metrics"))], sent  # nothing but the plain probes

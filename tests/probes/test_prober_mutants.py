"""Mutants of the prober itself (issue 13): a prober that reports success when its target is down, and one that
hangs on a frozen service. Each is a subclass of the real runner, broken in one place; the oracle is what the probe
tests assert of the real one, and each mutant must fail it. The score is printed as ``mutation score [probes]``."""

from __future__ import annotations

import threading
from concurrent.futures import wait
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.findings import Outcome
from fleetcheck.probes import ProbeResult, ProbeRunner, default_probe_file
from fleetcheck.targets import TargetFile

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from _stand_in import StandIn

    from conftest import MutationScore
    from fleetcheck.probes import Probe

pytestmark = pytest.mark.mutant


class SuccessWhenDown(ProbeRunner):
    """Reads "no answer at all" as "nothing wrong was seen": a transport failure becomes a pass."""

    def run(self, service: str, probe: Probe, timeout_s: float | None = None) -> ProbeResult:
        result = super().run(service, probe, timeout_s)
        if result.reason in {"connect_error", "dns", "tls", "timeout"}:
            return replace(result, outcome=Outcome.PASSED, reason="ok")
        return result


class HangsOnFrozen(ProbeRunner):
    """Waits for every answer as long as it takes: no deadline on the run, none on the cycle."""

    def run(self, service: str, probe: Probe, timeout_s: float | None = None) -> ProbeResult:
        return super().run(service, probe, 3600.0)

    def cycle(self, services: Sequence[str] | None = None) -> list[ProbeResult]:
        names = list(services) if services else self.services()
        futures = [self.submit(s, p) for s in names for p in self.spec.probes]
        wait(futures)
        return [f.result() for f in futures]


def _oracle_down_is_failed(runner_type: type[ProbeRunner], target: TargetFile) -> bool:
    """What test_a_closed_port_is_a_failed_probe_with_reason_connect_error asserts: no probe of a closed port passes."""
    with runner_type(target, default_probe_file()) as runner:
        results = runner.cycle()
    return all(r.outcome is Outcome.FAILED and r.reason == "connect_error" for r in results)


def _oracle_hang_is_bounded(runner_type: type[ProbeRunner], target: TargetFile, bound_s: float) -> bool:
    """What the hanging-service tests assert: the cycle returns, with a timeout verdict for the frozen service."""
    spec = replace(default_probe_file(), probes=tuple(replace(p, timeout_s=1.0) for p in default_probe_file().probes))
    runner = runner_type(target, spec)
    done: list[list[ProbeResult]] = []
    thread = threading.Thread(target=lambda: done.append(runner.cycle()), daemon=True)
    thread.start()
    thread.join(bound_s)  # generous: the real prober returns after about one time-out
    runner.close()
    return bool(done) and all(r.reason == "timeout" for r in done[0])


def test_mutant_success_when_down_is_caught(
    closed_port: int, target_of: Callable[[dict[str, str]], Path], mutation_score: MutationScore
) -> None:
    target = TargetFile.load(target_of({"auth": f"http://127.0.0.1:{closed_port}"}))
    assert _oracle_down_is_failed(ProbeRunner, target), "the oracle must hold for the real prober"
    killed = not _oracle_down_is_failed(SuccessWhenDown, target)
    mutation_score.record("probes", "success_when_down", killed=killed)
    assert killed, "a prober that passes an unreachable service went unnoticed"


def test_mutant_hangs_on_frozen_is_caught(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path], mutation_score: MutationScore
) -> None:
    frozen = stand_ins("workflow")
    frozen.mode = "hang"
    target = TargetFile.load(target_of({"workflow": frozen.base_url}))
    assert _oracle_hang_is_bounded(ProbeRunner, target, 8.0), "the oracle must hold for the real prober"
    killed = not _oracle_hang_is_bounded(HangsOnFrozen, target, 8.0)
    frozen.release()  # the mutant's threads wait on the stand-in; let them go
    mutation_score.record("probes", "hangs_on_frozen", killed=killed)
    assert killed, "a prober that waits forever on a frozen service went unnoticed"

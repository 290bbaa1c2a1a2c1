"""The boot observer on a tiny real service: what it reads while the dependency is down, and that every service it
stopped runs again afterwards, also when a lifecycle command fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from fleetcheck.boot import LifecycleFailed, observe_boot
from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.fixtures._process import free_port
from fleetcheck.targets import Endpoint

if TYPE_CHECKING:
    from pathlib import Path

    from tests.fleetcheck._tiny_service import TinyService

FLEET = load_fleet()


@dataclass(frozen=True)
class _Lifecycle:
    start: str
    stop: str
    timeout_s: float = 10.0


@dataclass
class _SwitchHook:
    """The tiny service's dependency: while it is stopped, ready answers 503 (as a real dependency outage looks)."""

    service: TinyService | None
    modes: frozenset[str] = frozenset({"stop"})
    calls: list[str] = field(default_factory=list)

    def inject(self, mode: str) -> None:
        self.calls.append(f"inject {mode}")
        if self.service is not None:
            self.service.broken.set()

    def restore(self, mode: str) -> None:
        self.calls.append(f"restore {mode}")
        if self.service is not None:
            self.service.broken.clear()


def test_a_service_that_listens_without_its_dependency_is_read_live_then_ready(tiny: TinyService) -> None:
    hook = _SwitchHook(tiny)
    endpoint = Endpoint.of(FLEET, "auth", tiny.base_url)
    observed = observe_boot(hook, "kafka", {"auth": (endpoint, _Lifecycle("true", "true"))}, bound_s=5.0)["auth"]

    assert hook.calls == ["inject stop", "restore stop"]
    statuses = [getattr(observed, name).status for name in ("live", "ready", "recovered_ready")]
    assert statuses == [200, 503, 200]  # ready read while kafka was still down, then after it came back
    assert 0.0 <= (observed.listening_s or -1.0) < 5.0
    assert observed.start_error is None


def test_a_start_that_fails_while_the_dependency_is_down_is_evidence_and_is_run_again(tmp_path: Path) -> None:
    marker = tmp_path / "started-once"
    start = f"test -f {marker} || {{ touch {marker}; echo 'cannot reach kafka'; exit 4; }}"
    endpoint = Endpoint.of(FLEET, "auth", f"http://127.0.0.1:{free_port()}")  # nothing listens
    hook = _SwitchHook(None)
    observed = observe_boot(hook, "kafka", {"auth": (endpoint, _Lifecycle(start, "true"))}, bound_s=5.0)["auth"]

    assert (observed.listening_s, observed.recovered_ready) == (None, None)
    assert (observed.start_error or "").startswith("exited with status 4 after")
    assert observed.start_output == "cannot reach kafka"
    assert hook.calls == ["inject stop", "restore stop"]
    assert marker.exists()  # and the second start (after the restore) succeeded, or observe_boot had raised


def test_a_stop_command_that_fails_breaks_nothing_and_says_what_to_fix(tiny: TinyService) -> None:
    hook = _SwitchHook(tiny)
    endpoint = Endpoint.of(FLEET, "auth", tiny.base_url)
    lifecycle = _Lifecycle("true", "echo 'no such unit'; exit 5")
    with pytest.raises(LifecycleFailed, match=r"the stop command of auth .* exited with code 5: no such unit"):
        observe_boot(hook, "kafka", {"auth": (endpoint, lifecycle)}, bound_s=5.0)
    assert hook.calls == []  # the dependency was never stopped

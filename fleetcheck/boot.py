"""The boot observer: start services while one dependency is stopped, then bring the dependency back.

A target file's ``services.<name>.lifecycle`` gives the shell commands that stop and start a service. For one
dependency at a time (its fault hook's ``stop``), every service that requires it is stopped, the dependency is
stopped, and the services are started again; their live (or ready) endpoint is polled from the start until it
answers 200 or the boot bound passes, ready is read once while the dependency is still down; then the dependency
returns and ready is polled until it says up (``HEALTH-BOOT`` judges all of it).

The start command may return at once (``systemctl start`` of a simple unit) or only once the service is ready (a
supervisor that waits for its readiness probe); either way it runs in the background while the endpoints are
polled, and only its failure before the dependency returns is evidence. Whatever happens, every service is left
running as it was found: a start that failed is run again after the dependency is back.

Example:
    >>> observe_boot(hook, "kafka", {"catalog": (endpoint, lifecycle)}, bound_s=20.0)  # doctest: +SKIP
    {'catalog': BootObservation(dependency='kafka', ...)}
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import IO, TYPE_CHECKING, Protocol

from fleetcheck.contracts.observations import BootObservation
from fleetcheck.observe import call_hook, exchange, observe_client, read_recovery

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from fleetcheck.contracts.observations import HttpExchange
    from fleetcheck.fixtures.faults import FaultHook
    from fleetcheck.targets import Endpoint

__all__ = ["Lifecycle", "LifecycleFailed", "observe_boot"]

_POLL_S = 0.25
_POLL_TIMEOUT_S = 2.0  # one poll of a booting service; a listener that accepts but never answers is still booting
_OUTPUT_TAIL = 20
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Lifecycle(Protocol):
    """Shell commands that start and stop one service (a target file's ``services.<name>.lifecycle``)."""

    @property
    def start(self) -> str: ...

    @property
    def stop(self) -> str: ...

    @property
    def timeout_s(self) -> float: ...


class LifecycleFailed(RuntimeError):
    """A lifecycle command failed where nothing can be judged: the stop before the boot, or the start that puts the
    service back afterwards. The message names the command, its exit status and its output."""


class _Start:
    """A start command running in the background, its output in a temporary file (a pipe could fill and block it)."""

    def __init__(self, service: str, lifecycle: Lifecycle) -> None:
        self.service, self.lifecycle = service, lifecycle
        self._output: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115  (closed by finish(), always called)
        self.process = subprocess.Popen(
            lifecycle.start, shell=True, stdout=self._output, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started = time.perf_counter()

    def failed(self) -> str | None:
        """How the command failed, if it has exited non-zero."""
        code = self.process.poll()
        if code is None or code == 0:
            return None
        return f"exited with status {code} after {time.perf_counter() - self.started:.1f} s"

    def output(self) -> str:
        """The last lines the command printed, without terminal colours (a NestJS log is coloured)."""
        self._output.seek(0)
        text = _ANSI.sub("", self._output.read().decode(errors="replace"))
        return "\n".join(text.strip().splitlines()[-_OUTPUT_TAIL:]) or "(no output)"

    def finish(self) -> bool:
        """Wait for the command within its timeout (ours to stop if it hangs); whether it succeeded."""
        try:
            code = self.process.wait(timeout=max(0.0, self.lifecycle.timeout_s - (time.perf_counter() - self.started)))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # our own shell's session, started above
            self.process.wait()
            code = None
        finally:
            self._output.close()
        return code == 0


def _run(service: str, verb: str, command: str, timeout_s: float) -> None:
    try:
        done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LifecycleFailed(
            f"the {verb} command of {service} ({command!r}) did not finish within {timeout_s:g} s; "
            f"what to do: run it by hand, fix services.{service}.lifecycle in the target file"
        ) from exc
    if done.returncode != 0:
        tail = " / ".join((done.stdout + done.stderr).strip().splitlines()[-_OUTPUT_TAIL:]) or "(no output)"
        raise LifecycleFailed(
            f"the {verb} command of {service} ({command!r}) exited with code {done.returncode}: {tail}; "
            f"what to do: run it by hand, fix services.{service}.lifecycle in the target file"
        )


def _poll_path(endpoint: Endpoint) -> str:
    path = endpoint.health_path("live") or endpoint.health_path("ready")
    if path is None:
        raise ValueError(f"{endpoint.service} declares neither a live nor a ready endpoint to watch it boot")
    return path


_Watched = tuple["HttpExchange", float | None, "HttpExchange | None", str | None, str]


def _watch_boot(endpoint: Endpoint, start: _Start, bound_s: float, timeout: float) -> _Watched:
    """Poll live until 200, the start failed, or ``bound_s``; then read ready once.

    Returns (last live answer, seconds to its 200, ready, how the start failed, the start's output).
    """
    url = endpoint.url(_poll_path(endpoint))
    with observe_client(min(timeout, _POLL_TIMEOUT_S)) as client:
        while True:
            live = exchange(client, "GET", url)
            waited = time.perf_counter() - start.started
            if live.status == 200:
                break
            if (error := start.failed()) is not None:
                return live, None, None, error, start.output()
            if waited >= bound_s:
                return live, None, None, None, ""
            time.sleep(_POLL_S)
    ready_path = endpoint.health_path("ready")
    if ready_path is None:
        return live, waited, None, None, ""
    with observe_client(timeout) as client:
        return live, waited, exchange(client, "GET", endpoint.url(ready_path)), None, ""


def observe_boot(
    hook: FaultHook,
    dependency: str,
    services: Mapping[str, tuple[Endpoint, Lifecycle]],
    *,
    bound_s: float = 20.0,
    recovery_bound_s: float = 15.0,
    timeout: float = 10.0,
    recovered: Callable[[str, HttpExchange], bool] | None = None,
) -> dict[str, BootObservation]:
    """Boot every given service with ``dependency`` stopped; record how each came up (see the module docstring).

    Raises:
        FaultHookFailed: the dependency could not be stopped or started again.
        LifecycleFailed: a service could not be stopped before, or started again after, the boot.
    """
    names = list(services)
    up = recovered or (lambda _service, answer: answer.status == 200)
    starts: dict[str, _Start] = {}
    stopped: list[str] = []
    with ThreadPoolExecutor(max_workers=max(2, min(16, 2 * len(names)))) as pool:
        try:
            for name in names:
                _, lifecycle = services[name]
                _run(name, "stop", lifecycle.stop, lifecycle.timeout_s)
                stopped.append(name)
            call_hook(hook.inject, dependency, "stop", "inject")
            try:
                starts = {name: _Start(name, services[name][1]) for name in names}
                watched = dict(
                    zip(
                        names,
                        pool.map(lambda n: _watch_boot(services[n][0], starts[n], bound_s, timeout), names),
                        strict=True,
                    )
                )
            finally:
                call_hook(hook.restore, dependency, "stop", "restore")
            restored_at = time.perf_counter()
            listening = [n for n in names if watched[n][1] is not None]
            after = dict(
                zip(
                    listening,
                    pool.map(
                        lambda n: read_recovery(services[n][0], restored_at, recovery_bound_s, timeout, up), listening
                    ),
                    strict=True,
                )
            )
        finally:
            _leave_running(stopped, starts, services)
    return {
        name: BootObservation(
            dependency=dependency,
            bound_s=bound_s,
            live=watched[name][0],
            listening_s=watched[name][1],
            ready=watched[name][2],
            start_error=watched[name][3],
            start_output=watched[name][4],
            recovered_ready=after[name][0] if name in after else None,
            recovery_s=after[name][1] if name in after else 0.0,
            profile=services[name][0].health_profile("ready"),
        )
        for name in names
    }


def _leave_running(
    stopped: list[str], starts: Mapping[str, _Start], services: Mapping[str, tuple[Endpoint, Lifecycle]]
) -> None:
    """Every service stopped here runs again: its background start finished, or a fresh start succeeded."""

    def settle(name: str) -> str | None:
        start = starts.get(name)
        if start is not None and start.finish():
            return None
        lifecycle = services[name][1]
        try:
            _run(name, "start", lifecycle.start, lifecycle.timeout_s)
        except LifecycleFailed as exc:
            return str(exc)
        return None

    with ThreadPoolExecutor(max_workers=max(1, len(stopped))) as pool:
        failures = [f for f in pool.map(settle, stopped) if f is not None]
    if failures:
        raise LifecycleFailed("; ".join(failures))

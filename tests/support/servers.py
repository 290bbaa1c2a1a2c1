"""Named server processes that a shell command can stop, start, freeze and thaw: the systems under test's controls.

A target file gives fleetcheck fault hooks and lifecycle hooks as shell commands. For servers this suite starts itself
(a PostgreSQL, a Redis, a NestJS service), those commands are ``python -m tests.support.control --state DIR NAME
ACTION``. This module is both halves: :class:`ServerSet` starts servers from Python and writes each one's state
(command, env, cwd, port, log, readiness probe, pid) to ``DIR/NAME.json``; the same functions, called by the CLI in
another process, read that state and act on the process group it names.

Each server runs in its own session (process group), so a stop reaches its children and a server the CLI restarted
outlives the CLI. ``ServerSet.close()`` stops everything its state directory names, including what the CLI restarted.

Example:
    >>> servers = ServerSet(Path("/tmp/state"))  # doctest: +SKIP
    >>> port = free_port()  # doctest: +SKIP
    >>> spec = ServerSpec("redis", ["redis-server", "--port", str(port)], port=port, log_path=Path("/tmp/redis.log"))
    >>> servers.start(spec)  # doctest: +SKIP
    >>> servers.command("redis", "stop")  # doctest: +SKIP
    '(cd /repo && /repo/.venv/bin/python -m tests.support.control --state /tmp/state redis stop)'
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import shlex
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import psutil

from fleetcheck.fixtures._process import (
    LOOPBACK,
    BackendStartError,
    ManagedProcess,
    command_text,
    read_tail,
    still_running,
    wait_until,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

__all__ = [
    "ACTIONS",
    "REPO_ROOT",
    "ControlError",
    "Probe",
    "ServerSet",
    "ServerSpec",
    "ServerState",
    "control_command",
]

#: What the CLI can do to a server.
ACTIONS = ("stop", "start", "freeze", "thaw", "status")
#: The repository root: ``python -m tests.support.control`` must run from here (``tests`` is a namespace package).
REPO_ROOT = Path(__file__).resolve().parents[2]

Status = Literal["running", "stopped", "frozen", "exited"]


class ControlError(RuntimeError):
    """An action on a named server failed; the message names the server, the command, the port and the log tail."""


@dataclass(frozen=True, slots=True)
class Probe:
    """How to tell a server is ready: a TCP connect, an HTTP GET answering ``status``, or a command exiting 0.

    ``command`` may contain ``{port}``, replaced by the server's port.
    """

    kind: Literal["tcp", "http", "command"] = "tcp"
    path: str = "/"
    status: int = 200
    command: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("tcp", "http", "command"):
            raise ValueError(f"Probe kind {self.kind!r} is not supported; allowed: tcp, http, command")
        if self.kind == "command" and not self.command:
            raise ValueError("Probe(kind='command') needs a command")

    def describe(self, port: int) -> str:
        if self.kind == "http":
            return f"GET http://{LOOPBACK}:{port}{self.path} answering {self.status}"
        if self.kind == "command":
            return f"command {command_text(self._argv(port))} exiting 0"
        return f"TCP connect to {LOOPBACK}:{port}"

    def check(self, port: int) -> bool:
        """One attempt; False (or an exception) means not ready yet."""
        if self.kind == "http":
            try:
                with urllib.request.urlopen(f"http://{LOOPBACK}:{port}{self.path}", timeout=1.0) as response:
                    return int(response.status) == self.status
            except urllib.error.HTTPError as error:  # a 4xx/5xx answer is an answer, maybe the expected one
                return error.code == self.status
        if self.kind == "command":
            done = subprocess.run(self._argv(port), capture_output=True, timeout=5.0, check=False)
            return done.returncode == 0
        with socket.create_connection((LOOPBACK, port), timeout=1.0):
            return True

    def _argv(self, port: int) -> list[str]:
        return [part.replace("{port}", str(port)) for part in self.command]


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """Everything needed to start a server again, the same way, on the same port.

    ``env`` is added to the environment of whoever starts it (this process, or the CLI). ``after_start`` commands
    run, in order, each time the server has become ready (e.g. re-creating the topics an in-memory broker lost).
    ``user`` names the system user to run as (PostgreSQL refuses root).
    """

    name: str
    command: Sequence[str]
    port: int
    log_path: Path
    probe: Probe = field(default_factory=Probe)
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    stop_signal: int = signal.SIGTERM
    grace_s: float = 10.0
    ready_timeout_s: float = 30.0
    user: str | None = None
    after_start: Sequence[Sequence[str]] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(command=list(self.command), log_path=str(self.log_path), env=dict(self.env))
        data.update(cwd=str(self.cwd) if self.cwd else None, probe=asdict(self.probe))
        data.update(probe={**data["probe"], "command": list(self.probe.command)})
        data.update(after_start=[list(step) for step in self.after_start])
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServerSpec:
        probe = Probe(**{**data["probe"], "command": tuple(data["probe"]["command"])})
        return cls(
            name=data["name"], command=list(data["command"]), port=int(data["port"]),
            log_path=Path(data["log_path"]), probe=probe, env=dict(data["env"]),
            cwd=Path(data["cwd"]) if data["cwd"] else None, stop_signal=int(data["stop_signal"]),
            grace_s=float(data["grace_s"]), ready_timeout_s=float(data["ready_timeout_s"]), user=data["user"],
            after_start=[list(step) for step in data["after_start"]],
        )  # fmt: skip


@dataclass(slots=True)
class ServerState:
    """A server's spec and what runs now: ``pid`` (the session leader) and its start time, to refuse a reused pid."""

    spec: ServerSpec
    pid: int | None = None
    started_at: float | None = None
    frozen: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec.to_json(), "pid": self.pid, "started_at": self.started_at, "frozen": self.frozen}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServerState:
        return cls(ServerSpec.from_json(data["spec"]), data["pid"], data["started_at"], list(data["frozen"]))

    def leader(self) -> psutil.Process | None:
        """The running session leader we started, or None (gone, a zombie, or its pid now belongs to another)."""
        if self.pid is None:
            return None
        try:
            proc = psutil.Process(self.pid)
            if self.started_at is not None and abs(proc.create_time() - self.started_at) > 0.01:
                return None  # the pid was reused by a process we did not start
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
        except psutil.NoSuchProcess:
            return None
        return proc

    def status(self) -> Status:
        if self.pid is None:
            return "stopped"
        if self.leader() is None:
            return "exited"
        return "frozen" if self.frozen else "running"

    def tree(self) -> list[psutil.Process]:
        """The leader and all its descendants (the stop signal also goes to its whole process group)."""
        leader = self.leader()
        if leader is None:
            return []
        procs = {leader.pid: leader}
        with contextlib.suppress(psutil.NoSuchProcess):
            procs.update({child.pid: child for child in leader.children(recursive=True)})
        return list(procs.values())


def control_command(state_dir: Path, name: str, action: str, *, python: str = sys.executable) -> str:
    """The shell command that performs ``action`` on server ``name`` of ``state_dir`` (for target files)."""
    if action not in ACTIONS:
        raise ValueError(f"action {action!r} is not supported; allowed: {', '.join(ACTIONS)}")
    argv = [python, "-m", "tests.support.control", "--state", str(state_dir), name, action]
    # a subshell: the caller's working directory stays where it was, even when the command is eval'd
    return f"(cd {shlex.quote(str(REPO_ROOT))} && {command_text([shlex.quote(arg) for arg in argv])})"


class ServerSet:
    """The servers named in one state directory; ``close()`` stops all of them, whoever started them last."""

    def __init__(self, state_dir: Path):
        self.state_dir = state_dir.resolve()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._children: list[ManagedProcess] = []  # spawned here: reaped at close, whoever stopped them

    # ---- state files --------------------------------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        return self.state_dir / f"{name}.json"

    @contextlib.contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        """One action at a time per server, across processes (a test and a CLI call may overlap)."""
        with (self.state_dir / f".{name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def names(self) -> list[str]:
        return sorted(path.stem for path in self.state_dir.glob("*.json"))

    def state(self, name: str) -> ServerState:
        path = self._path(name)
        if not path.exists():
            known = ", ".join(self.names()) or "(none)"
            raise ControlError(f"no server named {name!r} in {self.state_dir}; known: {known}")
        return ServerState.from_json(json.loads(path.read_text()))

    def _save(self, state: ServerState) -> None:
        tmp = self._path(state.spec.name).with_suffix(".tmp")
        tmp.write_text(json.dumps(state.to_json(), indent=2))
        tmp.replace(self._path(state.spec.name))  # atomic: a reader never sees half a file

    def command(self, name: str, action: str) -> str:
        """The shell command for ``action`` on ``name`` (see :func:`control_command`)."""
        return control_command(self.state_dir, name, action)

    # ---- actions ------------------------------------------------------------------------------------------------

    def start(self, spec: ServerSpec) -> ServerState:
        """Register ``spec`` (replacing an earlier one of that name, which must be stopped) and start it."""
        with self._locked(spec.name):
            if self._path(spec.name).exists() and self.state(spec.name).status() in ("running", "frozen"):
                raise ControlError(f"{spec.name} is already running; stop it before registering it again")
            state = ServerState(spec)
            self._save(state)
            return self._spawn(state)

    def restart(self, name: str) -> ServerState:
        """Start ``name`` again (same command, env, port); no-op once ready if it already runs."""
        with self._locked(name):
            state = self.state(name)
            if state.status() == "frozen":
                raise ControlError(f"{name} is frozen (pid {state.pid}); thaw it instead of starting it")
            if state.status() == "running":
                self._wait_ready(state, None)
                return state
            return self._spawn(state)

    def stop(self, name: str) -> ServerState:
        """Stop signal to the group (thawed first), SIGKILL to what is left after the grace. Idempotent."""
        with self._locked(name):
            state = self.state(name)
            _terminate(state)
            state.pid, state.started_at, state.frozen = None, None, []
            self._save(state)
            self._reap()
            return state

    def freeze(self, name: str) -> ServerState:
        """SIGSTOP the whole tree, parent first (so it forks nothing new); return once every process is stopped."""
        with self._locked(name):
            state = self.state(name)
            if state.status() != "running":
                raise ControlError(f"{name} cannot be frozen: it is {state.status()}")
            pids = [proc.pid for proc in state.tree()]
            for pid in pids:
                _signal(pid, signal.SIGSTOP)
            state.frozen = pids
            self._save(state)
            if not wait_until(lambda: all(_stopped(pid) for pid in pids), 5.0):
                raise ControlError(f"{name}: processes {pids} were not all stopped after 5 s")
            return state

    def thaw(self, name: str) -> ServerState:
        """SIGCONT the frozen tree (children first) and wait until the server is ready again."""
        with self._locked(name):
            state = self.state(name)
            for pid in reversed(state.frozen):
                _signal(pid, signal.SIGCONT)
            state.frozen = []
            self._save(state)
            if state.status() != "running":
                raise ControlError(f"{state.spec.name} is {state.status()} after thaw; start it instead")
            self._wait_ready(state, None)
            return state

    def describe(self, name: str) -> dict[str, Any]:
        """What ``status`` prints: the server's state, pid, port, command and log."""
        state = self.state(name)
        spec = state.spec
        return {
            "name": name, "status": state.status(), "pid": state.pid, "port": spec.port,
            "command": command_text(spec.command), "log": str(spec.log_path),
        }  # fmt: skip

    def close(self) -> None:
        """Stop every server of the state directory (thawing frozen ones first). Safe to call twice."""
        errors = []
        for name in self.names():
            try:
                self.stop(name)
            except Exception as exc:  # one server that will not stop must not keep the others running
                errors.append(f"{name}: {exc}")
        self._reap()
        if errors:
            raise ControlError("some servers did not stop:\n" + "\n".join(errors))

    # ---- helpers --------------------------------------------------------------------------------------------------

    def _spawn(self, state: ServerState) -> ServerState:
        spec = state.spec
        process = _spawn(spec)
        self._children.append(process)
        state.pid, state.started_at, state.frozen = process.pid, psutil.Process(process.pid).create_time(), []
        self._save(state)
        self._wait_ready(state, process)
        return state

    def _wait_ready(self, state: ServerState, process: ManagedProcess | None) -> None:
        spec = state.spec
        try:
            if process is not None:
                process.wait_ready(lambda: spec.probe.check(spec.port), timeout=spec.ready_timeout_s)
            elif not wait_until(lambda: _quietly(spec.probe.check, spec.port), spec.ready_timeout_s):
                raise ControlError(_not_ready(spec, "the probe never passed"))
            for step in spec.after_start:
                _run_step(spec, step)
        except BackendStartError as exc:  # wait_ready has stopped the process: say so in the state
            state.pid, state.started_at = None, None
            self._save(state)
            raise ControlError(f"{exc}\nprobe: {spec.probe.describe(spec.port)}") from None

    def _reap(self) -> None:
        for process in list(self._children):
            if process.popen.poll() is not None:
                self._children.remove(process)


def _spawn(spec: ServerSpec) -> ManagedProcess:
    """ManagedProcess.spawn, plus a working directory (it has none, and chdir would race between threads)."""
    user = pwd.getpwnam(spec.user) if spec.user else None
    spec.log_path.parent.mkdir(parents=True, exist_ok=True)
    with spec.log_path.open("ab") as log:
        try:
            popen = subprocess.Popen(
                list(spec.command), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, **spec.env}, cwd=spec.cwd,
                start_new_session=True,  # own process group: a stop reaches every child; outlives the CLI
                user=user.pw_uid if user else None, group=user.pw_gid if user else None,
                extra_groups=[] if user else None,
            )  # fmt: skip
        except OSError as exc:
            raise ControlError(_not_ready(spec, f"the command could not be run: {exc}")) from exc
    return ManagedProcess(spec.name, list(spec.command), spec.port, spec.log_path, popen, spec.stop_signal)


def _run_step(spec: ServerSpec, step: Sequence[str]) -> None:
    argv = [part.replace("{port}", str(spec.port)) for part in step]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=spec.ready_timeout_s, check=False, cwd=spec.cwd
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ControlError(f"{spec.name}: after-start command {command_text(argv)} failed: {exc}") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-2000:] or "(no output)"
        raise ControlError(
            f"{spec.name}: after-start command {command_text(argv)} exited with code {done.returncode}:\n{output}"
        )


def _not_ready(spec: ServerSpec, seen: str) -> str:
    tail = read_tail(spec.log_path).rstrip() or "    (the log is empty)"
    return (
        f"{spec.name} on {LOOPBACK}:{spec.port} was not ready within its {spec.ready_timeout_s:g} s timeout.\n"
        f"command: {command_text(spec.command)}\nprobe: {spec.probe.describe(spec.port)}\nseen: {seen}\n"
        f"last log lines ({spec.log_path}):\n{tail}"
    )


def _quietly(check: Any, port: int) -> bool:
    try:
        return bool(check(port))
    except Exception:  # not ready yet, whatever the client raised
        return False


def _terminate(state: ServerState) -> None:
    spec = state.spec
    tree = state.tree()
    leader = state.leader()
    for proc in reversed(tree):  # a stopped process never handles its stop signal
        _signal(proc.pid, signal.SIGCONT)
    if leader is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(leader.pid, spec.stop_signal)  # the leader's pid is its group's id (own session)
    pids = [proc.pid for proc in tree]
    if wait_until(lambda: not still_running(pids), spec.grace_s):
        return
    for proc in tree:  # psutil refuses to signal a pid that was reused since, so this kills only ours
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    if not wait_until(lambda: not still_running(pids), spec.grace_s):
        raise ControlError(f"{spec.name}: processes {still_running(pids)} survived SIGKILL for {spec.grace_s:g} s")


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _stopped(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() in (psutil.STATUS_STOPPED, psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True

"""ServerSet and its CLI: servers started from Python that a shell command stops, starts, freezes and thaws."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

import httpx
import psutil
import pytest

from fleetcheck.fixtures._process import free_port, still_running
from tests.support.servers import ControlError, Probe, ServerSet, ServerSpec, control_command

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.servers

_CLI_TIMEOUT_S = 60.0


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ServerSet]:
    server_set = ServerSet(tmp_path / "state")
    try:
        yield server_set
    finally:
        server_set.close()


def _http_server(tmp_path: Path, name: str = "web", *, shell_prefix: str = "", **overrides: object) -> ServerSpec:
    """A Python http.server serving ``tmp_path/www`` (through ``sh -c`` so a prefix can add children or traps)."""
    port = free_port()
    www = tmp_path / "www"
    www.mkdir(exist_ok=True)
    (www / "index.txt").write_text("hello")
    script = f"{shell_prefix}exec {sys.executable} -m http.server {port} --bind 127.0.0.1"
    spec: dict[str, object] = {
        "name": name, "command": ["sh", "-c", script], "port": port, "log_path": tmp_path / f"{name}.log",
        "probe": Probe("http", path="/index.txt", status=200), "cwd": www, "grace_s": 5.0, "ready_timeout_s": 20.0,
    }  # fmt: skip
    return ServerSpec(**{**spec, **overrides})  # type: ignore[arg-type]


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/index.txt", timeout=1.0).text == "hello"
    except httpx.HTTPError:
        return False


def _cli(servers: ServerSet, name: str, action: str) -> subprocess.CompletedProcess[str]:
    # capture_output, as fleetcheck's CommandFaultHook runs hooks: a restarted server that kept the CLI's pipes open
    # would make this call hang until its timeout.
    return subprocess.run(
        control_command(servers.state_dir, name, action),
        shell=True, capture_output=True, text=True, timeout=_CLI_TIMEOUT_S, check=False,
    )  # fmt: skip


def test_start_serves_and_records_command_env_cwd_port_log_and_pid(servers: ServerSet, tmp_path: Path) -> None:
    spec = _http_server(tmp_path, shell_prefix='echo "$GREETING" > greeting.txt; ', env={"GREETING": "salaam"})

    state = servers.start(spec)

    assert _answers(spec.port)
    assert (tmp_path / "www" / "greeting.txt").read_text().strip() == "salaam"
    recorded = json.loads((servers.state_dir / "web.json").read_text())
    assert recorded["pid"] == state.pid
    assert recorded["spec"]["port"] == spec.port
    assert recorded["spec"]["env"] == {"GREETING": "salaam"}
    assert recorded["spec"]["cwd"] == str(tmp_path / "www")
    assert recorded["spec"]["log_path"] == str(tmp_path / "web.log")
    assert recorded["spec"]["command"] == list(spec.command)


def test_cli_stop_refuses_connections_and_start_serves_again_on_the_same_port(
    servers: ServerSet, tmp_path: Path
) -> None:
    spec = _http_server(tmp_path)
    first_pid = servers.start(spec).pid

    stopped = _cli(servers, "web", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not _answers(spec.port)
    assert servers.describe("web")["status"] == "stopped"

    started = _cli(servers, "web", "start")
    assert started.returncode == 0, started.stderr
    assert _answers(spec.port)
    new_pid = servers.state("web").pid
    assert new_pid is not None
    assert new_pid != first_pid
    assert psutil.Process(new_pid).ppid() != psutil.Process().pid  # the CLI's child, outliving the CLI


def test_cli_freeze_stops_every_process_of_the_tree_and_thaw_resumes_them(servers: ServerSet, tmp_path: Path) -> None:
    spec = _http_server(tmp_path, shell_prefix="sleep 600 & ")  # the sleep stays a child of the exec'd server
    servers.start(spec)
    tree = servers.state("web").tree()
    assert len(tree) >= 2, "the server should have a child (the sleep) for this test to mean anything"

    frozen = _cli(servers, "web", "freeze")
    assert frozen.returncode == 0, frozen.stderr
    assert {proc.status() for proc in tree} == {psutil.STATUS_STOPPED}
    assert servers.describe("web")["status"] == "frozen"
    with pytest.raises(httpx.TimeoutException):
        httpx.get(f"http://127.0.0.1:{spec.port}/index.txt", timeout=1.0)

    thawed = _cli(servers, "web", "thaw")
    assert thawed.returncode == 0, thawed.stderr
    assert psutil.STATUS_STOPPED not in {proc.status() for proc in tree}
    assert _answers(spec.port)


def test_close_stops_servers_that_the_cli_restarted_and_frozen_ones(tmp_path: Path) -> None:
    server_set = ServerSet(tmp_path / "state")
    restarted, frozen = _http_server(tmp_path, "restarted"), _http_server(tmp_path, "frozen")
    try:
        server_set.start(restarted)
        server_set.start(frozen)
        assert _cli(server_set, "restarted", "stop").returncode == 0
        assert _cli(server_set, "restarted", "start").returncode == 0
        assert _cli(server_set, "frozen", "freeze").returncode == 0
        pids = [proc.pid for name in ("restarted", "frozen") for proc in server_set.state(name).tree()]
    finally:
        server_set.close()

    assert not still_running(pids)
    assert not _answers(restarted.port)
    assert not _answers(frozen.port)


def test_stop_kills_a_server_that_ignores_its_stop_signal_after_the_grace(servers: ServerSet, tmp_path: Path) -> None:
    # sh ignores TERM, and the exec'd Python inherits the ignored disposition
    spec = _http_server(tmp_path, shell_prefix="trap '' TERM; ", grace_s=0.5, stop_signal=signal.SIGTERM)
    servers.start(spec)
    pid = servers.state("web").pid

    servers.stop("web")

    assert pid is not None
    assert not still_running([pid])
    assert not _answers(spec.port)


def test_after_start_commands_run_after_every_start_with_the_port(servers: ServerSet, tmp_path: Path) -> None:
    marker = tmp_path / "after-start.log"
    spec = _http_server(tmp_path, after_start=[["sh", "-c", f"echo started {{port}} >> {marker}"]])

    servers.start(spec)
    servers.stop("web")
    servers.restart("web")

    assert marker.read_text().split("\n")[:2] == [f"started {spec.port}"] * 2


def test_status_prints_the_state_as_json(servers: ServerSet, tmp_path: Path) -> None:
    spec = _http_server(tmp_path)
    servers.start(spec)

    done = _cli(servers, "web", "status")

    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["status"] == "running"
    assert status["port"] == spec.port
    assert status["pid"] == servers.state("web").pid
    assert status["log"] == str(spec.log_path)


def test_unknown_server_exits_2_and_names_the_known_ones(servers: ServerSet, tmp_path: Path) -> None:
    servers.start(_http_server(tmp_path))

    done = _cli(servers, "nosuch", "stop")

    assert done.returncode == 2
    assert "no server named 'nosuch'" in done.stderr
    assert "known: web" in done.stderr


def test_a_start_that_never_gets_ready_names_server_command_port_probe_and_log(
    servers: ServerSet, tmp_path: Path
) -> None:
    port = free_port()
    spec = ServerSpec(
        "broken", ["sh", "-c", "echo cannot bind, giving up; exit 3"], port=port, log_path=tmp_path / "broken.log",
        ready_timeout_s=5.0,
    )  # fmt: skip

    with pytest.raises(ControlError) as caught:
        servers.start(spec)

    message = str(caught.value)
    assert "broken did not start on 127.0.0.1:" + str(port) in message
    assert "exited with code 3" in message
    assert "cannot bind, giving up" in message
    assert f"TCP connect to 127.0.0.1:{port}" in message
    assert servers.describe("broken")["status"] == "stopped"


def test_freeze_of_a_stopped_server_is_refused_with_exit_1(servers: ServerSet, tmp_path: Path) -> None:
    servers.start(_http_server(tmp_path))
    servers.stop("web")

    done = _cli(servers, "web", "freeze")

    assert done.returncode == 1
    assert "web cannot be frozen: it is stopped" in done.stderr

"""Servers for the reference-service tests: one embedded PostgreSQL + Tansu per session (per xdist worker), and the
services each folder launches on it.

A folder asks ``fleets.launch(folder, ...)`` for its services; they run in databases of their own (the launcher's
``unique_databases``) and are stopped as soon as the folder's last test is done, so only one folder's services run at
a time. That early stop is safe only where a folder's tests run one after the other: a plain run, or xdist with
``--dist loadgroup`` (every test is grouped by folder here, and ``-n N`` alone is turned into ``loadgroup``). Under any
other xdist mode the services stay up until the session ends.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from service_support import TopicCapture, launch

from fleetcheck.fixtures.infra import start_infrastructure

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from fleetcheck.fixtures.infra import Infrastructure
    from fleetcheck.fixtures.launcher import RunningFleet, ServiceLaunch

_POOL = pytest.StashKey["FolderFleets"]()
_HERE = Path(__file__).resolve().parent


class FolderFleets:
    """The fleets launched per test folder; ``release`` stops a folder's, ``close`` all that are left."""

    def __init__(self, infra: Infrastructure, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.infra = infra
        self._tmp = tmp_path_factory
        self._running: dict[str, list[RunningFleet]] = {}

    def launch(
        self, folder: str, services: Sequence[ServiceLaunch], *, topics: Iterable[str], ready_timeout_s: float = 30.0
    ) -> RunningFleet:
        fleet = launch(self.infra, self._tmp.mktemp(f"{folder}-fleet"), services, topics=topics,
                       ready_timeout_s=ready_timeout_s)  # fmt: skip
        self._running.setdefault(folder, []).append(fleet)
        return fleet

    def release(self, folder: str) -> None:
        for fleet in self._running.pop(folder, []):
            fleet.stop()

    def close(self) -> None:
        for folder in list(self._running):
            self.release(folder)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infrastructure]:
    """The one PostgreSQL + Tansu of this session (of this xdist worker).

    Not under pytest's basetemp: a pytest session that starts meanwhile (another run on this machine) sets
    /tmp/pytest-of-<user> back to mode 0700, and PostgreSQL, which runs as another user when we are root, then loses
    its data directory (measured: "PANIC: could not open file .../global/pg_control: Permission denied").
    """
    workdir = Path(tempfile.mkdtemp(prefix="fleetcheck-services-infra-"))
    workdir.chmod(0o755)  # the embedded PostgreSQL runs as an unprivileged user when we are root
    try:
        started = start_infrastructure(workdir)
        try:
            yield started
        finally:
            started.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def bootstrap(infra: Infrastructure) -> str:
    """The session's Kafka bootstrap servers."""
    return infra.kafka.bootstrap


@pytest.fixture
def capture(bootstrap: str) -> Callable[[str], TopicCapture]:
    """``capture(topic)``: the events on ``topic`` from now on."""
    return lambda topic: TopicCapture(bootstrap, topic, timeout=15.0)


@pytest.fixture(scope="session")
def fleets(
    infra: Infrastructure, tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[FolderFleets]:
    pool = FolderFleets(infra, tmp_path_factory)
    pytestconfig.stash[_POOL] = pool
    try:
        yield pool
    finally:
        pool.close()
        del pytestconfig.stash[_POOL]


def _folder(item: pytest.Item) -> str:
    return item.path.parent.name


def _folders_run_in_one_go(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") or bool(getattr(config.option, "loadgroup", False))


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    pool = item.config.stash.get(_POOL, None)
    if pool is None or not _folders_run_in_one_go(item.config):
        return
    if nextitem is None or _folder(nextitem) != _folder(item):
        pool.release(_folder(item))

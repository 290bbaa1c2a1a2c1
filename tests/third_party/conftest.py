"""One set of third-party servers per session (and xdist worker): etcd, Prometheus, Alertmanager, two exporters."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.third_party.servers import missing_binaries, third_party_servers

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.third_party.servers import ThirdPartyServers


@pytest.fixture(scope="session")
def third_party(close_with_group: Callable[[str, Callable[[], None]], None]) -> Iterator[ThirdPartyServers]:
    if missing := missing_binaries():
        pytest.skip(f"Debian binaries missing: {', '.join(missing)} (scripts/test installs their packages)")
    # Not under pytest's basetemp: any pytest run as the same user chmods /tmp/pytest-of-<user> back to 0700, which
    # takes the unprivileged PostgreSQL user's way to its data directory away mid-run (measured: PANIC at shutdown).
    with (
        tempfile.TemporaryDirectory(prefix="fleetcheck-third-party-") as workdir,
        third_party_servers(Path(workdir)) as servers,
    ):
        close_with_group(__file__, servers.servers.close)  # ServerSet.close is idempotent
        yield servers

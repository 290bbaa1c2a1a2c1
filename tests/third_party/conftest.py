"""One set of third-party servers per session (and xdist worker): etcd, Prometheus, Alertmanager, two exporters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.third_party.servers import missing_binaries, third_party_servers

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.third_party.servers import ThirdPartyServers


@pytest.fixture(scope="session")
def third_party(
    tmp_path_factory: pytest.TempPathFactory, close_with_group: Callable[[str, Callable[[], None]], None]
) -> Iterator[ThirdPartyServers]:
    if missing := missing_binaries():
        pytest.skip(f"Debian binaries missing: {', '.join(missing)} (scripts/test installs their packages)")
    with third_party_servers(tmp_path_factory.mktemp("third-party")) as servers:
        close_with_group(__file__, servers.servers.close)  # ServerSet.close is idempotent
        yield servers

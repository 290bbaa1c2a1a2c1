"""Embedded PostgreSQL + Kafka for mutant fleets (each mutant gets fresh databases on them)."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fleetcheck.fixtures.infra import Infrastructure

__all__ = ["fresh_infrastructure"]


@contextlib.contextmanager
def fresh_infrastructure() -> Iterator[Infrastructure]:
    from fleetcheck.fixtures.infra import start_infrastructure

    with tempfile.TemporaryDirectory(prefix="fleetcheck-mutants-") as workdir:
        Path(workdir).chmod(0o755)  # the embedded PostgreSQL runs as an unprivileged user when we are root
        infrastructure = start_infrastructure(Path(workdir))
        try:
            yield infrastructure
        finally:
            infrastructure.close()

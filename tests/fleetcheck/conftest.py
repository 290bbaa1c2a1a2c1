"""Fixtures for the driver tests: real loopback servers (a tiny Litestar service, Prometheus) and target files."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the tiny service module sits beside the tests

from _tiny_service import TinyService, start_tiny_service

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@pytest.fixture
def tiny() -> Iterator[TinyService]:
    service = start_tiny_service("auth")
    try:
        yield service
    finally:
        service.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound and released; a small race remains, as with every free port)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def write_target(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "target.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write

"""Fixtures of the prober tests: stand-in services on loopback (healthy, 500, hanging), a closed port, target files."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the stand-in module sits beside the tests

from _stand_in import StandIn

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@pytest.fixture
def stand_ins() -> Iterator[Callable[[str], StandIn]]:
    """``make("auth")``: a healthy stand-in for that service of the reference fleet; all closed at the end."""
    made: list[StandIn] = []

    def make(service: str) -> StandIn:
        made.append(StandIn(service))
        return made[-1]

    try:
        yield make
    finally:
        for stand_in in made:
            stand_in.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound and released; a small race remains, as with every free port)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def target_of(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """A target file listing ``{service: base_url}`` (the reference fleet's fleet file)."""

    def write(urls: dict[str, str]) -> Path:
        path = tmp_path / "target.yaml"
        lines = ["services:"] + [f"  {name}: {{base_url: '{url}'}}" for name, url in urls.items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write

"""The local delivery sink: an append-only JSON-lines file per tenant and channel (no real SMS or e-mail provider)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uuid

__all__ = ["LocalSink", "sink_directory"]


def sink_directory(storage_dir: str | None) -> Path:
    """``$FLEET_STORAGE_DIR/notification-sink`` when a storage directory is configured, else one under the temp dir."""
    base = Path(storage_dir) if storage_dir else Path(tempfile.gettempdir()) / "fleet-notification"
    return base / "notification-sink"


class LocalSink:
    """``deliver`` appends one line to ``<dir>/<tenant_id>/<channel>.jsonl``; an OSError means the delivery failed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, tenant_id: uuid.UUID, channel: str) -> Path:
        return self.directory / str(tenant_id) / f"{channel}.jsonl"

    def deliver(self, tenant_id: uuid.UUID, channel: str, message: dict[str, Any]) -> None:
        path = self.path(tenant_id, channel)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        # one write(2) on an O_APPEND descriptor: concurrent deliveries never interleave inside a line
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)

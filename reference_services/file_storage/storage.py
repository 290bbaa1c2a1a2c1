"""The local object store: content lives at ``<root>/<tenant id>/<random uuid>``, written atomically.

Keys are generated here from the tenant id and a random uuid, never from anything the caller sends, and every key is
resolved and checked to stay under the root before it is touched.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TEMP_PREFIX", "IntegrityFailure", "LocalStore", "Written"]

TEMP_PREFIX = ".upload-"


class IntegrityFailure(Exception):
    """The stored bytes no longer hash to the sha256 recorded at upload."""


@dataclass(frozen=True, slots=True)
class Written:
    storage_key: str
    size_bytes: int
    sha256: str


class LocalStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path_of(self, storage_key: str) -> Path:
        path = (self.root / storage_key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"storage key {storage_key!r} resolves outside the storage directory")
        return path

    def write(self, tenant_id: uuid.UUID, content: bytes) -> Written:
        """Write ``content`` under a new key: a temporary file first, then a rename (no half-written object)."""
        key = f"{tenant_id}/{uuid.uuid4().hex}"
        path = self.path_of(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.parent / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        try:
            with temp.open("wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            temp.replace(path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return Written(key, len(content), hashlib.sha256(content).hexdigest())

    def read(self, storage_key: str, expected_sha256: str) -> bytes:
        content = self.path_of(storage_key).read_bytes()
        if hashlib.sha256(content).hexdigest() != expected_sha256:
            raise IntegrityFailure(f"the content under {storage_key} does not match its recorded sha256")
        return content

    def remove(self, storage_key: str) -> None:
        self.path_of(storage_key).unlink(missing_ok=True)

    def used_bytes(self) -> int:
        """Bytes of every stored object (temporary files of uploads in flight excluded)."""
        return sum(p.stat().st_size for p in self.root.glob("*/*") if p.is_file()
                   and not p.name.startswith((TEMP_PREFIX, ".ready-probe-")))  # fmt: skip

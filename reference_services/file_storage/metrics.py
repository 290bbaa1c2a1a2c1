"""file-storage's business metric families (SPEC.md "Metrics")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge

    from reference_services.kernel.metrics import ServiceMetrics

__all__ = ["UPLOAD_STATUSES", "FileStorageMetrics"]

# stored; rejected = the caller's mistake (too large, bad name, checksum mismatch); failed = the storage failed
UPLOAD_STATUSES = ("stored", "rejected", "failed")


@dataclass(frozen=True, slots=True)
class FileStorageMetrics:
    files_uploaded: Counter
    storage_used: Gauge

    @classmethod
    def register(cls, metrics: ServiceMetrics) -> FileStorageMetrics:
        made = cls(
            files_uploaded=metrics.counter(
                "files_uploaded_total", "Upload attempts, by outcome (stored, rejected, failed).", ["status"]
            ),
            storage_used=metrics.gauge("storage_used_bytes", "Bytes of stored file content across all tenants.", []),
        )
        for status in UPLOAD_STATUSES:
            made.files_uploaded.labels(status=status)
        return made

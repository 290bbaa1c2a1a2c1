"""Request bodies of the scheduler (msgspec structs: Litestar validates them and answers 400)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = ["JobCreate", "JobUpdate"]

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
JobType = Literal["heartbeat", "fiscal-year-rollover"]
Cron = Annotated[str, msgspec.Meta(min_length=9, max_length=120)]
Zone = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class JobCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    job_type: JobType
    cron: Cron
    timezone: Zone = "Asia/Dhaka"
    enabled: bool = True


class JobUpdate(msgspec.Struct, forbid_unknown_fields=True):
    cron: Cron | None = None
    timezone: Zone | None = None
    enabled: bool | None = None

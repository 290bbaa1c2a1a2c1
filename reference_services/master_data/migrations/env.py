"""Alembic environment of master-data: the kernel runs it against this service's models."""

from __future__ import annotations

from reference_services.kernel.migrations import run_env
from reference_services.master_data import models

run_env(models.Base.metadata)

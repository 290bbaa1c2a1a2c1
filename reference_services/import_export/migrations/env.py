"""Alembic environment of import-export: the kernel runs it against this service's models."""

from __future__ import annotations

from reference_services.import_export import models
from reference_services.kernel.migrations import run_env

run_env(models.Base.metadata)

"""Alembic environment of auth: the kernel runs it against this service's models."""

from __future__ import annotations

from reference_services.auth import models
from reference_services.kernel.migrations import run_env

run_env(models.Base.metadata)

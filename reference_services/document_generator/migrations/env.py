"""Alembic environment of document-generator: the kernel runs it against this service's models."""

from __future__ import annotations

from reference_services.document_generator import models
from reference_services.kernel.migrations import run_env

run_env(models.Base.metadata)

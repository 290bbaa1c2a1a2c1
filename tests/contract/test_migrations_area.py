"""MIGRATIONS-*: migrations run, leave no trace, hold the structural and RLS rules (contracts/migrations.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from _contract_area import assert_area

if TYPE_CHECKING:
    from fleetcheck.runner import VerificationReport

pytestmark = pytest.mark.servers


def test_migrations(service: str, verification: VerificationReport) -> None:
    assert_area(verification, service, "migrations")

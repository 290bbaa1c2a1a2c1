"""HEALTH-*: every service's health endpoints tell the truth (see contracts/health.py for the checks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from _contract_area import assert_area

if TYPE_CHECKING:
    from fleetcheck.runner import VerificationReport

pytestmark = pytest.mark.servers


def test_health(service: str, verification: VerificationReport) -> None:
    assert_area(verification, service, "health")

"""OBSERVABILITY-*: a real Prometheus scrapes every service; the shipped dashboards and alert rules see its data."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from _contract_area import assert_area

if TYPE_CHECKING:
    from fleetcheck.runner import VerificationReport

pytestmark = pytest.mark.servers


def test_observability(service: str, verification: VerificationReport) -> None:
    assert_area(verification, service, "observability")

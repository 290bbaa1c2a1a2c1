"""PACT-*: the committed consumer pacts verify against their providers (contracts/pact.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from _contract_area import assert_area

if TYPE_CHECKING:
    from fleetcheck.runner import VerificationReport

pytestmark = pytest.mark.servers


def test_pact(service: str, verification: VerificationReport) -> None:
    assert_area(verification, service, "pact")

"""TENANCY-*: no tenant sees, changes or learns of another tenant's data (contracts/tenancy.py for the checks).

One test per service (``test_tenancy[master-data]``), from the session's one verification run: the isolation matrix
over REST (from each service's OpenAPI document), GraphQL through the api-gateway, files, consumed events, forged
tokens, a spoofed tenant header, and the layer that stopped each cross-tenant read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from _contract_area import assert_area

from fleetcheck.contracts.fleet import load_fleet

if TYPE_CHECKING:
    from fleetcheck.runner import VerificationReport

pytestmark = pytest.mark.servers


@pytest.mark.parametrize("service", load_fleet().names())
def test_tenancy(service: str, verification: VerificationReport) -> None:
    assert_area(verification, service, "tenancy")

"""FLOWS-*: the seed's system integration flows work end to end (contracts/flows.py for the checks).

One test per flow (``test_flow[FLOWS-LOGIN-GATEWAY-MASTER-DATA]``); each flow is judged on the service where it
enters (auth, master-data, workflow), from the session's one verification run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from _contract_area import assert_results

from fleetcheck.runner import load_catalogue

if TYPE_CHECKING:
    from fleetcheck.runner import VerificationReport

pytestmark = pytest.mark.servers

FLOWS = [check.id for check in load_catalogue().in_area("flows")]


@pytest.mark.parametrize("check_id", FLOWS)
def test_flow(check_id: str, verification: VerificationReport) -> None:
    results = [r for r in verification.results if r.check_id == check_id]
    assert results, f"{check_id} was not part of the verification run"
    assert_results(results, check_id)

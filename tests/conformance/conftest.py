"""The API-conformance suite: one reference fleet per session, its services' OpenAPI documents and a bearer per route.

The fleet is the plugin's ``fleet_target`` (so a session that also runs ``tests/contract`` starts it once). These
tests write deliberately bad data, so they run only against the reference fleet, never a target file's deployed one.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from fleetcheck.login import TokenSource
from fleetcheck.reference import ReferenceFleet, synthetic_tenant

if TYPE_CHECKING:
    from collections.abc import Callable

    from fleetcheck.targets import Target

OPENAPI_PATH = "/schema/openapi.json"


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("fleetcheck"):
        config.pluginmanager.register(importlib.import_module("fleetcheck.pytest_plugin"), "fleetcheck")


@dataclass(frozen=True, slots=True)
class LiveFleet:
    """What the conformance tests need from the running reference fleet: a tenant of their own, whose token is
    renewed as it nears expiry."""

    urls: dict[str, str]
    tokens: TokenSource
    tenant_id: str
    admin_token: str

    @property
    def tenant_token(self) -> str:
        return self.tokens.token()

    def url(self, service: str) -> str:
        if service not in self.urls:
            pytest.fail(f"{service} has a reference package but is not running in this fleet")
        return self.urls[service]

    def bearer_for(self, service: str, path: str) -> dict[str, str]:
        """The platform-admin bearer for organization's ``/tenants`` routes, the synthetic tenant's for the rest."""
        admin = service == "organization" and path.startswith("/tenants")
        return {"Authorization": f"Bearer {self.admin_token if admin else self.tenant_token}"}


@pytest.fixture(scope="session")
def live_fleet(fleet_target: Target, close_with_group: Callable[[str, Callable[[], None]], None]) -> LiveFleet:
    if not isinstance(fleet_target, ReferenceFleet):
        pytest.skip("the conformance suite writes bad data on purpose: it runs only against the reference fleet")
    close_with_group(__file__, fleet_target.close)  # shared with tests/contract: stopped after their last test
    admin = fleet_target.credentials.platform_admin_token
    if not admin:
        pytest.fail(f"the reference fleet has no platform admin: {fleet_target.credentials.missing_reason}")
    # A tenant of its own: the fuzzed data stays out of the synthetic tenant that tests/contract and tests/pact judge
    # the same fleet with (a generated approval rule without a decide action, say, which every purchase order of
    # that tenant would then match: seen in CI, where it failed the workflow flows, events and pacts after this folder).
    endpoints = fleet_target.endpoints
    auth = endpoints["auth"]
    tenant_id, token, fields, why = synthetic_tenant(fleet_target.fleet, endpoints["organization"], auth, admin)
    if tenant_id is None or token is None:
        pytest.fail(f"could not create the conformance suite's own tenant: {why}")
    return LiveFleet(
        urls={name: endpoint.base_url.rstrip("/") for name, endpoint in endpoints.items()},
        tokens=TokenSource.login(fleet_target.fleet.auth, auth, fields, holding=token),
        tenant_id=tenant_id,
        admin_token=admin,
    )


@pytest.fixture(scope="session")
def openapi_documents(live_fleet: LiveFleet) -> dict[str, dict[str, Any]]:
    """service -> its OpenAPI document, fetched once per session."""
    documents: dict[str, dict[str, Any]] = {}
    with httpx.Client(timeout=30.0) as client:
        for name, base in live_fleet.urls.items():
            response = client.get(base + OPENAPI_PATH)
            assert response.status_code == 200, f"{name}: GET {OPENAPI_PATH} answered {response.status_code}"
            documents[name] = response.json()
    return documents

"""tests/pact shares the session's reference fleet with tests/contract and tests/conformance (one xdist group,
``reference-fleet``, in the root conftest.py); the consumer tests need no fleet and never ask for it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from fleetcheck.events import kafka_bootstrap_of
from fleetcheck.pact import load_pacts

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from fleetcheck.targets import Target

#: the providers the broker tests verify from the broker, each as the version they then deploy: api-gateway c1 is a
#: consumer (of auth and master-data) and a provider (of audit's pact), so can-i-deploy of c1 needs both sides verified
PROVIDER_VERSIONS = (("auth", "p1"), ("master-data", "p1"), ("api-gateway", "c1"))


@pytest.fixture(scope="session")
def pact_fleet(fleet_target: Target, close_with_group: Callable[[str, Callable[[], None]], None]) -> Target:
    """The shared reference fleet (or ``--target``'s deployed one); stopped once the group's last test ran."""
    close = getattr(fleet_target, "close", None)
    if close is not None:
        close_with_group(__file__, close)
    return fleet_target


def target_file_of(fleet: Target, path: Path, **extra: Any) -> Path:
    """The running fleet as a deployment's target file would describe it: base URLs, both tenants, Kafka."""
    credentials = fleet.credentials
    fields = dict(credentials.tenant_fields)
    tenant = {"token": credentials.tenant_token, **{k: fields[k] for k in ("tenant_id", "email", "password")}}
    document = {
        "services": {name: {"base_url": e.base_url} for name, e in fleet.endpoints.items()},
        "credentials": {
            "tenant": tenant,
            "other_tenant": {"token": credentials.other_tenant_token, "tenant_id": credentials.other_tenant_id},
        },
        "kafka": {"bootstrap": kafka_bootstrap_of(fleet)},
        **extra,
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def incompatible_pact(tmp_path: Path) -> Path:
    """api-gateway's customer pact, changed on a feature branch to rely on a field master-data does not have."""
    pact = next(p for p in load_pacts(providers=["master-data"]) if p.consumer == "api-gateway")
    content = json.loads(pact.path.read_text(encoding="utf-8"))
    interaction = next(i for i in content["interactions"] if i["description"].endswith("of the caller's tenant"))
    interaction["response"]["body"]["content"]["data"]["customer"]["vatNumber"] = "BIN-123456789"
    path = tmp_path / pact.path.name
    path.write_text(json.dumps(content), encoding="utf-8")
    return path

"""tests/pact shares the session's reference fleet with tests/contract and tests/conformance (one xdist group,
``reference-fleet``, in the root conftest.py); the consumer tests need no fleet and never ask for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import yaml

from fleetcheck.events import kafka_bootstrap_of

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from fleetcheck.targets import Target


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

"""The bazaar fleet's target file, written from a running :class:`~tests.foreign_fleet.fleet.ForeignFleet` as its
operator would write one: URLs, credentials of two tenants, DSNs, the commands that break each dependency and that
start and stop each service. The contract itself is ``bazaar.fleet.yaml``, next to this file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from tests.foreign_fleet.fleet import FLEET_DIR

if TYPE_CHECKING:
    from pathlib import Path

    from tests.foreign_fleet.fleet import ForeignFleet, SyntheticTenant

__all__ = ["FLEET_FILE", "write_target"]

FLEET_FILE = FLEET_DIR / "bazaar.fleet.yaml"


def _tenant(tenant: SyntheticTenant) -> dict[str, str]:
    return {"tenant_id": tenant.tenant_id, "username": tenant.username, "password": tenant.password}


def write_target(fleet: ForeignFleet, path: Path, *, other: SyntheticTenant) -> Path:
    """Write the target file for ``fleet`` to ``path``; ``other`` is a second tenant of the fleet."""
    data: dict[str, Any] = {
        "fleet": str(FLEET_FILE),
        "services": {
            name: {"base_url": s.base_url, "lifecycle": {"start": s.controls["start"], "stop": s.controls["stop"]}}
            for name, s in fleet.services.items()
        },
        # the JWT secret is the run's throwaway: it signs the expired token of the isolation matrix
        "credentials": {
            "tenant": _tenant(fleet.tenant),
            "other_tenant": _tenant(other),
            "signing_key": fleet.jwt_secret,
        },
        "databases": {
            name: {
                "inspect": s.readonly_dsn,
                "runtime": s.runtime_dsn,
                "records": fleet.postgres.dsn(s.database),
                "owner": s.owner_dsn,
            }
            for name, s in fleet.services.items()
        },
        "postgres_admin_dsn": fleet.postgres.dsn("postgres"),
        "kafka": {"bootstrap": fleet.kafka_bootstrap},
        # a NestJS service here listens 1.3-3.4 s after its start (measured); 10 s is three times the slowest
        "settings": {"boot_bound_s": 10.0},
        "faults": {
            dependency: {action: controls[action] for action in ("stop", "start", "freeze", "thaw")}
            for dependency, controls in fleet.controls.items()
        },
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=200), encoding="utf-8")
    return path

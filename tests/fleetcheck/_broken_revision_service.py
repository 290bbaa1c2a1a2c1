"""organization, with its Alembic folder replaced by the one ``FLEETCHECK_TEST_MIGRATIONS`` names (a copy with a
revision that fails), as a developer's broken revision would be; everything else is the real service."""

import os
from pathlib import Path
from typing import Any

from reference_services.kernel import migrations
from tests.mutants.serve import serve

_config = migrations.alembic_config


def _broken_folder_config(config: Any, service_package_dir: str | Path) -> Any:
    alembic = _config(config, service_package_dir)
    alembic.set_main_option("script_location", os.environ["FLEETCHECK_TEST_MIGRATIONS"])
    return alembic


migrations.alembic_config = _broken_folder_config  # type: ignore[assignment]
serve("organization")

"""``python -m reference_services.api_gateway serve | migrate upgrade head | migrate downgrade base``."""

from __future__ import annotations

import sys
from pathlib import Path

from reference_services.kernel.cli import main

SERVICE = "api-gateway"


def _run(argv: list[str]) -> int:
    if argv[:1] == ["migrate"]:
        # The process contract runs `migrate` before `serve` for every service; a stateless one has nothing to do.
        print(f"{SERVICE}: stateless (no database); nothing to migrate")
        return 0
    return main(SERVICE, Path(__file__).parent, argv)


if __name__ == "__main__":
    sys.exit(_run(sys.argv[1:]))

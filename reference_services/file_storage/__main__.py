"""``python -m reference_services.file_storage serve | migrate upgrade head | migrate downgrade base``."""

from __future__ import annotations

import sys
from pathlib import Path

from reference_services.kernel.cli import main

if __name__ == "__main__":
    sys.exit(main("file-storage", Path(__file__).parent))

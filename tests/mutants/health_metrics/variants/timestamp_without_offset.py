"""organization: health timestamps are local wall-clock time with no UTC offset."""

from datetime import datetime

from reference_services.kernel import health
from tests.mutants.serve import serve

health.now_iso = lambda: datetime.now().replace(tzinfo=None).isoformat()
serve("organization")

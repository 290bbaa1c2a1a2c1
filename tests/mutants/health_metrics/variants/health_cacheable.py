"""organization: health answers carry no Cache-Control, so a proxy may serve a stale verdict."""

from reference_services.kernel import health
from tests.mutants.serve import serve

health._NO_STORE = {}
serve("organization")

"""Reference services with their RED metrics middleware off, for ``benchmarks/load.py``'s instrumentation overhead.

Each module patches the kernel from the outside, as a mutant does (``tests/mutants/serve.py``), and serves one
service; nothing in ``reference_services/`` knows about it. Only the middleware that counts and times every request
is off: ``/metrics`` still answers (its families no longer move).
"""

from __future__ import annotations

from typing import Any


def without_red_middleware(service: str) -> None:
    """Serve ``service`` with ``RedMiddleware`` replaced by the app it wraps."""
    from reference_services.kernel import app

    def passthrough(asgi: Any, _metrics: Any) -> Any:
        return asgi

    app.RedMiddleware = passthrough  # type: ignore[assignment,misc]
    from tests.mutants.serve import serve

    serve(service)

"""Run a reference service's own command line after a mutant module has patched it.

A mutant is a module under ``tests/mutants/*/variants/`` that imports the kernel or the service, breaks one thing
by monkeypatching or subclassing, and then calls :func:`serve`. The launcher starts it with ``python -m <module>``
in place of ``reference_services.<pkg>`` (``ServiceLaunch(module=...)``), so no mutation flag ever lives in the
reference services.
"""

from __future__ import annotations

import runpy

__all__ = ["serve"]


def serve(service: str) -> None:
    """Run ``python -m reference_services.<pkg>`` in this process, with this process's arguments (serve/migrate)."""
    runpy.run_module(f"reference_services.{service.replace('-', '_')}", run_name="__main__", alter_sys=True)

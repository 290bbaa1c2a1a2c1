"""Event scenarios and burst writers, one module per producing service.

A module here declares ``SERVICE`` (the fleet file's name), ``scenario(ctx)`` (known actions, each with the one event
it must cause, or none for a refused write) and, when the service has a write that can be repeated freely,
``WRITER`` (one write of a burst). Modules are found by name, so adding a service is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

from ._context import MissingScenarioCredential, ScenarioContext, ScenarioNotPossible, Writer

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["SCENARIOS", "WRITERS", "MissingScenarioCredential", "ScenarioContext", "ScenarioNotPossible", "Writer"]


def _modules() -> list[object]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]


_MODULES = _modules()

#: Known actions per service, each with the event it must cause. A service without one is "not run" with the reason.
SCENARIOS: dict[str, Callable[[ScenarioContext], None]] = {m.SERVICE: m.scenario for m in _MODULES}  # type: ignore[attr-defined]

#: Writes a burst can send, by service.
WRITERS: dict[str, Writer] = {m.SERVICE: m.WRITER for m in _MODULES if hasattr(m, "WRITER")}  # type: ignore[attr-defined]

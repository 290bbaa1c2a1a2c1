"""Bounded polling for tests: wait for a condition, and fail with what was awaited and the last error seen."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["wait_for"]

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float, what: str, *, interval: float = 0.2) -> T:
    """Poll ``condition`` until it returns something truthy (returned); raise AssertionError after ``timeout`` s.

    Exceptions raised by ``condition`` count as "not yet"; the last one (or the last falsy value) is in the message.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = condition()
            if value:
                return value
            last = value
        except Exception as exc:  # keep polling: the dependency may be on its way back
            last = exc
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not seen within {timeout:g} s (last: {last!r})")
        time.sleep(interval)

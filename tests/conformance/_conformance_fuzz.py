"""Drive schemathesis over one live service: positive and negative cases per operation, failures collected, not raised.

Collecting (rather than letting the first failure raise) means one run reports every operation that misbehaves, and
Hypothesis does not spend minutes shrinking on a loaded machine; each distinct failure is kept once with its curl.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CHECKS", "FuzzReport", "fuzz_service", "load_schema"]

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
_REQUEST_TIMEOUT_S = 30.0  # generous: the machine running the suite is shared and loaded


@dataclass(slots=True)
class FuzzReport:
    """Cases sent per operation label and the distinct failures seen (label -> messages)."""

    cases: dict[str, int] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add_failure(self, label: str, message: str) -> None:
        seen = self.failures.setdefault(label, [])
        if message not in seen and len(seen) < 3:
            seen.append(message)

    @property
    def clean(self) -> bool:
        return not self.failures and not self.errors

    def render(self) -> str:
        lines = [f"{label}: {message}" for label, messages in self.failures.items() for message in messages]
        return "\n\n".join([*self.errors, *lines])


def load_schema(document: dict[str, Any], base_url: str) -> Any:
    """A schemathesis schema for ``document`` served at ``base_url`` (raises if it is not valid OpenAPI)."""
    schema = schemathesis.openapi.from_dict(document)
    schema.validate()
    schema.config.update(base_url=base_url)
    return schema


def fuzz_service(
    schema: Any,
    headers_for: Callable[[str], dict[str, str]],
    *,
    max_examples: int,
    deadline_s: float,
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    checks: list[Any] | None = None,
    expected: Callable[[Any], bool] = lambda _failure: False,
) -> FuzzReport:
    """Send up to ``max_examples`` cases per operation and mode; stop starting new operations after ``deadline_s``.

    ``expected(failure)`` says a failure schemathesis reports is in fact documented behaviour (kept out of the report).
    """
    report = FuzzReport()
    stop_at = time.monotonic() + deadline_s
    with requests.Session() as session:
        for result in schema.get_all_operations():
            try:
                operation = result.ok()
            except Exception as error:  # an operation schemathesis cannot read is a finding, not a crash
                report.errors.append(f"unreadable operation: {error}")
                continue
            for mode in modes:
                if time.monotonic() > stop_at:
                    report.errors.append(f"time budget of {deadline_s:.0f} s spent before {operation.label} ({mode})")
                    return report
                _fuzz_operation(operation, mode, session, headers_for, max_examples, checks or CHECKS, expected,
                                report)  # fmt: skip
    return report


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    session: requests.Session,
    headers_for: Callable[[str], dict[str, str]],
    max_examples: int,
    checks: list[Any],
    expected: Callable[[Any], bool],
    report: FuzzReport,
) -> None:
    label = operation.label
    headers = headers_for(operation.path)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=max_examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=False)  # fmt: skip
    def send(case: Any) -> None:
        report.cases[label] = report.cases.get(label, 0) + 1
        try:
            case.call_and_validate(session=session, headers=headers, checks=checks, timeout=_REQUEST_TIMEOUT_S)
        except FailureGroup as group:
            for failure in group.exceptions:
                if expected(failure):
                    continue
                report.add_failure(f"{label} [{mode.value}]", f"{failure.title}: {failure.message}"[:1500])
        except requests.RequestException as error:
            report.add_failure(f"{label} [{mode.value}]", f"transport error: {type(error).__name__}: {error}")

    try:
        send()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            report.add_failure(f"{label} [positive]", "schemathesis could not generate a single valid case")
        # negative: nothing in this operation can be made invalid (no parameters, no body), so no case exists
    except Exception as error:  # e.g. schemathesis could not generate a case for this operation in this mode
        report.add_failure(f"{label} [{mode.value}]", f"generation stopped: {type(error).__name__}: {error}"[:500])

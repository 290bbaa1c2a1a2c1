"""Declared steps: operations, event scenarios, burst writes and flows as data in the fleet file.

A step is one request (or one wait for a condition) with what it must do: the status it must answer, the values to
keep from its answer for later steps (``save``), the events it must cause, and the counters it must move. The
observer that sends them lives in ``fleetcheck.steps``; this module only says what a step is and checks, when the
fleet file is loaded, that every placeholder a step uses is bound.

Placeholders are ``{name}`` in any string of a request (path, query, headers, body): the built-ins of
:data:`BUILTINS` (a fresh ``uuid``, ``random`` hex, ``digits``, the burst's ``n``, the tenant's ``tenant.id`` and
credential fields ``tenant.<field>``), and every name an earlier step saved. A string that is exactly one placeholder
takes the value's own type (``"{n}"`` is a number). Braces with spaces inside (``{ customers { id } }`` in a GraphQL
document) are left alone.

Example:
    >>> step = StepSpec.model_validate({"name": "create", "request": {"method": "POST", "path": "/customers",
    ...     "json": {"code": "C-{random}"}}, "save": {"customer": "$.id"},
    ...     "events": [{"topic": "master-data.customer.created", "key": "{customer}"}]})
    >>> sorted(placeholders(step.request.json_body))
    ['random']
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "AUTH_KINDS",
    "BUILTINS",
    "PLACEHOLDER",
    "CounterExpectation",
    "EventExpectation",
    "FileUpload",
    "RequestSpec",
    "SequenceSpec",
    "StepSpec",
    "WaitSpec",
    "WhenSpec",
    "placeholders",
    "unbound",
]

#: ``{name}`` or ``{tenant.field}``: no spaces inside, so GraphQL selections and JSON braces are not placeholders.
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}")
#: placeholders every step may use; ``tenant.<field>`` are the target's tenant credential fields
#: ``canary``: the tenancy matrix's unique string naming the owning tenant, planted in a resource's text fields
BUILTINS = frozenset({"uuid", "random", "digits", "n", "tenant.id", "tenant.token", "other_tenant.id", "canary"})
#: which credential a request carries: none, the synthetic tenant's bearer, the platform admin's, the tenant's token
#: with its signature replaced (a forged token), or the token of a second tenant (tenancy checks)
AUTH_KINDS = ("none", "tenant", "platform_admin", "forged", "other_tenant")
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def placeholders(value: Any) -> set[str]:
    """Every placeholder name in ``value`` (strings inside dicts and lists included)."""
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return {name for k, v in value.items() for name in placeholders(k) | placeholders(v)}
    if isinstance(value, list | tuple):
        return {name for v in value for name in placeholders(v)}
    if isinstance(value, BaseModel):
        return placeholders(value.model_dump(by_alias=True))
    return set()


def _builtin(name: str) -> bool:
    return name in BUILTINS or name.startswith("tenant.")


class FileUpload(_Model):
    """One multipart file of a request: its name, its text content and its media type."""

    filename: str
    content: str
    content_type: str = "application/octet-stream"


class RequestSpec(_Model):
    """One HTTP request. ``path`` is under the service's ``api_base``; ``service`` sends it to another service."""

    method: Method
    path: str
    service: str | None = Field(default=None, description="another service of the fleet to send it to")
    json_body: Any = Field(default=None, alias="json")
    body: str | None = Field(default=None, description="a raw text body (give its Content-Type in headers)")
    files: dict[str, FileUpload] = Field(default_factory=dict, description="multipart files, by form field")
    headers: dict[str, str] = Field(default_factory=dict)
    auth: Literal["none", "tenant", "platform_admin", "forged", "other_tenant"] = "tenant"
    timeout_s: float | None = Field(default=None, gt=0)

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with '/', e.g. /customers (it is joined to the service's api_base)")
        return value

    @model_validator(mode="after")
    def _one_body(self) -> RequestSpec:
        given = [name for name, v in (("json", self.json_body), ("body", self.body), ("files", self.files)) if v]
        if len(given) > 1:
            raise ValueError(f"{self.method} {self.path}: give one of json, body, files (saw {', '.join(given)})")
        return self


class EventExpectation(_Model):
    """An event a step must cause: on ``topic``, keyed by ``key`` (the aggregate id), for ``tenant``.

    ``refusal``: the request is refused by design (4xx) and the refusal is itself the event (a forged token's
    ``gateway.auth.failed``). ``correlation``: the correlation id the event carries when the service uses its own
    (default: the ``X-Correlation-ID`` the step sent). Templates are filled when the whole sequence has run, so a key
    may name a value a later step saved (an audit record found afterwards).
    """

    topic: str
    key: str = ""
    tenant: str = "{tenant.id}"
    refusal: bool = False
    correlation: str | None = None


class CounterExpectation(_Model):
    """A counter that must move by exactly ``delta`` (summed over the series matching ``labels``)."""

    family: str
    labels: dict[str, str] = Field(default_factory=dict)
    delta: float = 1.0


class WaitSpec(_Model):
    """Repeat ``request`` until every ``until`` JSONPath has the given value and every ``save`` path has a value, or
    ``timeout_s`` passed. For what another service does after a step (a consumer's record, a decision applied)."""

    request: RequestSpec
    until: dict[str, Any] = Field(default_factory=dict, description="JSONPath -> the value it must have")
    timeout_s: float = Field(default=15.0, gt=0)
    every_s: float = Field(default=0.2, gt=0)


class WhenSpec(_Model):
    """Run the step only where the target has these services (a step that reaches another service)."""

    services: tuple[str, ...] = ()


class StepSpec(_Model):
    """One step: a request or a wait, what its answer must be, what to keep, what events it causes.

    ``events`` omitted: the step is set-up, its events are not judged. ``events: []``: a refused write that must
    cause none. ``events_of`` (a wait): the events the wait reveals were caused by that earlier step's request.
    """

    name: str
    request: RequestSpec | None = None
    wait: WaitSpec | None = None
    expect_status: tuple[int, ...] = Field(
        default=(), description="statuses the answer must have (default: any 2xx; for events: [] any 4xx)"
    )
    save: dict[str, str] = Field(
        default_factory=dict, description="name -> JSONPath into the answer body, or header:<Name>"
    )
    events: tuple[EventExpectation, ...] | None = None
    events_of: str | None = None
    repeat: int = Field(default=1, ge=1, le=100)
    when: WhenSpec | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> StepSpec:
        if (self.request is None) == (self.wait is None):
            raise ValueError(f"step {self.name!r}: give exactly one of request or wait")
        if self.events_of is not None and self.wait is None:
            raise ValueError(f"step {self.name!r}: events_of belongs on a wait step")
        return self

    @property
    def sends(self) -> RequestSpec:
        return self.request if self.request is not None else self.wait.request  # type: ignore[union-attr]

    def accepts(self, status: int) -> bool:
        """Whether ``status`` is the answer the step declares."""
        if self.expect_status:
            return status in self.expect_status
        if self.events == () and self.wait is None:
            return 400 <= status < 500
        return 200 <= status < 300


class SequenceSpec(_Model):
    """Steps run in order, then ``cleanup`` (always, even when a step failed)."""

    steps: tuple[StepSpec, ...]
    cleanup: tuple[StepSpec, ...] = ()

    @model_validator(mode="after")
    def _bound(self) -> SequenceSpec:
        problems = unbound(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def unbound(sequence: SequenceSpec) -> list[str]:
    """Placeholders no built-in and no step binds: requests may use what an earlier step saved, event templates
    anything any step saved (they are filled at the end)."""
    saved_before: set[str] = set()
    every = {name for step in (*sequence.steps, *sequence.cleanup) for name in step.save}
    problems = []
    names = [s.name for s in sequence.steps]
    for step in (*sequence.steps, *sequence.cleanup):
        used = placeholders(step.sends) | placeholders(dict(step.wait.until) if step.wait else {})
        used |= placeholders(dict(step.save))
        problems += [
            f"step {step.name!r} uses {{{name}}}, which no earlier step saves and no built-in provides "
            f"(built-ins: {', '.join(sorted(BUILTINS))}, tenant.<field>)"
            for name in sorted(used)
            if not _builtin(name) and name not in saved_before
        ]
        for event in step.events or ():
            problems += [
                f"step {step.name!r}: event {event.topic} uses {{{name}}}, which no step saves"
                for name in sorted(placeholders(event))
                if not _builtin(name) and name not in every
            ]
        if step.events_of is not None and step.events_of not in names:
            problems.append(f"step {step.name!r}: events_of names {step.events_of!r}, which is not a step")
        saved_before |= set(step.save)
    return problems

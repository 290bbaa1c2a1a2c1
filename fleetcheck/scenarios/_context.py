"""What every scenario and burst writer shares: the context that sends actions and records them, credentials, ids."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.events import EventAction, WriteRecord
from fleetcheck.observe import exchange

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import httpx

    from fleetcheck.contracts.observations import HttpExchange
    from fleetcheck.targets import Credentials, Endpoint

__all__ = [
    "MissingScenarioCredential",
    "ScenarioContext",
    "ScenarioNotPossible",
    "Writer",
    "answer_id",
    "platform_admin",
    "poll",
    "tenant",
    "write",
]


class ScenarioNotPossible(RuntimeError):
    """The scenario cannot run on this target (the message says what is missing); its checks are "not run"."""


class MissingScenarioCredential(ScenarioNotPossible):
    """The scenario needs a credential the target does not give."""


def _decoded(answer: HttpExchange) -> Any:
    try:
        return json.loads(answer.body) if answer.body else None
    except ValueError:
        return None


def answer_id(answer: HttpExchange) -> str:
    """The ``id`` of a JSON object answer, or ``""``."""
    data = _decoded(answer)
    return str(data.get("id", "")) if isinstance(data, dict) else ""


@dataclass(slots=True)
class ScenarioContext:
    """What a scenario needs: a client, the service's endpoint, credentials; it appends the actions it ran.

    ``endpoints`` holds the target's other services, for events a service produces when it consumes another's
    (``send(..., service="workflow")``).
    """

    client: httpx.Client
    endpoint: Endpoint
    credentials: Credentials
    endpoints: Mapping[str, Endpoint] = field(default_factory=dict)
    actions: list[EventAction] = field(default_factory=list)

    def other(self, service: str) -> Endpoint:
        """Another service's endpoint, or :class:`ScenarioNotPossible` naming it."""
        if service not in self.endpoints:
            raise ScenarioNotPossible(f"the {self.endpoint.service} scenario needs {service}, which the target lacks")
        return self.endpoints[service]

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        files: dict[str, Any] | None = None,
        service: str | None = None,
    ) -> tuple[HttpExchange, Any, str]:
        """One request with a fresh ``X-Correlation-ID`` (to ``service``, default this scenario's); returns the
        exchange, the decoded answer and the correlation id."""
        correlation = str(uuid.uuid4())
        headers = {"X-Correlation-ID": correlation}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        endpoint = self.other(service) if service else self.endpoint
        answer = exchange(self.client, method, endpoint.url(path), headers=headers, json_body=body, files=files)
        return answer, _decoded(answer), correlation

    def act(
        self,
        label: str,
        method: str,
        path: str,
        body: Any = None,
        *,
        topic: str | None,
        tenant_id: str,
        aggregate_id: str = "",
        token: str | None = None,
        files: dict[str, Any] | None = None,
        service: str | None = None,
    ) -> Any:
        """Send one action that must cause exactly one event on ``topic`` (``None``: an action that must cause none,
        e.g. a refused write). The aggregate id is the answer's ``id`` unless given. Returns the decoded answer."""
        sent = self.send(method, path, body, token=token, files=files, service=service)
        data = sent[1]
        aggregate = aggregate_id or (str(data.get("id", "")) if isinstance(data, dict) else "")
        self.record(label, sent, topic, aggregate, tenant_id)
        return data

    def record(
        self,
        label: str,
        sent: tuple[HttpExchange, Any, str],
        topic: str | None,
        aggregate_id: str,
        tenant_id: str,
        *,
        refusal: bool = False,
    ) -> None:
        """Record that the request ``sent`` (what :meth:`send` returned) must cause one event on ``topic``.

        A request that causes several events by design is recorded once per event (the checks group them by
        correlation id). ``refusal``: the request is refused by design (4xx) and the refusal is the event.
        """
        answer, _data, correlation = sent
        self.actions.append(EventAction(label, answer, topic, aggregate_id, tenant_id, correlation, refusal))


def poll(probe: Callable[[], bool], wait_s: float, every_s: float = 0.2) -> bool:
    """Call ``probe`` until it returns True or ``wait_s`` passed (at least once); whether it did. For what another
    service does after a scenario's request (a consumer's record, a decision applied)."""
    deadline = time.monotonic() + wait_s
    while not probe():
        if time.monotonic() >= deadline:
            return False
        time.sleep(every_s)
    return True


def tenant(ctx: ScenarioContext) -> tuple[str, str]:
    """The synthetic tenant's token and id, or :class:`MissingScenarioCredential`."""
    token, tenant_id = ctx.credentials.tenant_token, ctx.credentials.tenant_id
    if not token or not tenant_id:
        raise MissingScenarioCredential(ctx.credentials.missing_reason or "the target gives no tenant credentials")
    return token, tenant_id


def platform_admin(ctx: ScenarioContext, service: str) -> str:
    """The platform-admin token, or :class:`MissingScenarioCredential` naming the scenario that wanted it."""
    admin = ctx.credentials.platform_admin_token
    if not admin:
        raise MissingScenarioCredential(f"the {service} scenario needs the platform-admin token")
    return admin


@dataclass(frozen=True, slots=True)
class Writer:
    """One kind of write a burst repeats: ``send(client, endpoint, credentials, n) -> WriteRecord``."""

    service: str
    topic: str
    send: Callable[[httpx.Client, Endpoint, Credentials, int], WriteRecord]


def write(client: httpx.Client, endpoint: Endpoint, record: tuple[str, str], method: str, path: str, body: Any,
          token: str | None) -> WriteRecord:  # fmt: skip
    """Send one burst write with a fresh correlation id; ``record`` is (service, topic) of the event it must cause."""
    correlation = str(uuid.uuid4())
    headers = {"X-Correlation-ID": correlation}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    answer = exchange(client, method, endpoint.url(path), headers=headers, json_body=body)
    return WriteRecord(record[0], record[1], correlation, answer_id(answer), answer.status)

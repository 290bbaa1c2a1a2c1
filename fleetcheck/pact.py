"""Pact provider verification (``fleetcheck pact verify``): the consumer pacts of ``contracts/pacts/`` replayed
against a running fleet with pact-python's :class:`pact.Verifier` (the Pact FFI; V4 pacts, HTTP and messages).

- HTTP interactions go to the provider's base URL (the reference fleet's, or the target file's).
- Provider states go to a state-change URL: the target file's ``pact.state_change_url`` where given, otherwise the
  built-in handler (:class:`StateServer` over :class:`ApiStates`), which seeds the state through the services' own
  APIs as the target's tenants and answers the values the pact injects (``${token}``, ``${customerId}``, ...).
- Message interactions (V4 asynchronous) are verified by causing the real event through the provider's API and
  capturing it from Kafka with :class:`fleetcheck.events.EventCapture` (:class:`EventCauses`); the captured record's
  value is the message body, its topic, key and ``x-tenant-id`` header its metadata. Nothing builds the message.

Example:
    >>> from fleetcheck.pact import load_pacts, verify_pacts
    >>> results = verify_pacts(target, load_pacts())  # doctest: +SKIP
    >>> [(r.consumer, r.provider, r.verified) for r in results]  # doctest: +SKIP
    [('api-gateway', 'auth', True), ...]
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from fleetcheck.contracts.pact import PactObservation, PactVerdict, summarize
from fleetcheck.events import EventCapture, kafka_bootstrap_of, observe_topics
from fleetcheck.observe import observe_client

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from pact import Verifier
    from pact.types import Message

    from fleetcheck.contracts.events import CapturedEvent, EventAction
    from fleetcheck.contracts.fleet import ServiceSpec
    from fleetcheck.targets import Endpoint, Target

__all__ = [
    "CAUSE_NEEDS",
    "PACT_DIR",
    "ApiStates",
    "EventCauses",
    "LoopbackServer",
    "PactError",
    "PactFile",
    "PactVerification",
    "StateServer",
    "cause_services",
    "comparable",
    "load_pacts",
    "mismatches",
    "no_telemetry",
    "observe_pacts",
    "provider_verifier",
    "run_verifier",
    "verify_pacts",
]

#: the committed consumer pacts (``contracts/pacts/``, installed as ``fleetcheck/contracts/pacts``)
PACT_DIR = Path(__file__).resolve().parent / "contracts" / "pacts"
_TIMEOUT_S = 10.0
_VERIFIER_TIMEOUT_MS = 30_000  # above EventCauses.deadline_s, so a missing event is reported as such
_LOCK_ATTEMPTS = 5  # SPEC.md: five consecutive failed logins lock the account


class PactError(Exception):
    """A pact that cannot be verified as asked (no pact file, an unreadable one, a provider that is not there)."""


@dataclass(frozen=True, slots=True)
class PactFile:
    """One pact file: a consumer, a provider and the descriptions of its interactions (with their kinds)."""

    path: Path
    consumer: str
    provider: str
    interactions: tuple[tuple[str, str], ...]  # (description, type)

    @property
    def messages(self) -> int:
        return sum(kind.startswith("Asynchronous") for _d, kind in self.interactions)

    @property
    def has_messages(self) -> bool:
        return self.messages > 0


@dataclass(frozen=True, slots=True)
class Mismatch:
    interaction: str
    detail: str


@dataclass(frozen=True, slots=True)
class PactVerification:
    """The verdict on one pact file: verified or not, the failing interactions with what differed, the FFI's output."""

    consumer: str
    provider: str
    path: Path
    verified: bool
    mismatches: tuple[Mismatch, ...] = ()
    output: str = ""
    error: str = ""

    def summary(self) -> str:
        head = f"{self.consumer} -> {self.provider} ({self.path.name}): "
        if self.verified:
            return head + "verified"
        if self.error:
            return head + f"not verified: {self.error}"
        lines = [head + f"FAILED, {len(self.mismatches)} interaction(s)"]
        lines += [f"  - {m.interaction}: {m.detail}" for m in self.mismatches]
        return "\n".join(lines)


def comparable(pact: Mapping[str, Any]) -> dict[str, Any]:
    """A pact without what changes with the writer's version (``metadata``), to compare a written pact to a file."""
    return {key: value for key, value in pact.items() if key != "metadata"}


def load_pacts(source: Path | str | None = None, *, providers: Sequence[str] = ()) -> list[PactFile]:
    """The pact files of a directory (default :data:`PACT_DIR`) or one file, optionally only those of ``providers``.

    Raises:
        PactError: the path does not exist, holds no pact, a file is not a pact, or a named provider has none.
    """
    path = Path(source) if source is not None else PACT_DIR
    if not path.exists():
        raise PactError(f"no pact file or directory at {path}")
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    pacts = [_read_pact(file) for file in files]
    if not pacts:
        raise PactError(f"{path} holds no pact files (*.json)")
    if providers:
        unknown = sorted(set(providers) - {p.provider for p in pacts})
        if unknown:
            known = ", ".join(sorted({p.provider for p in pacts}))
            raise PactError(f"no pact in {path} has provider {', '.join(unknown)} (providers with pacts: {known})")
        pacts = [p for p in pacts if p.provider in providers]
    return pacts


def _read_pact(file: Path) -> PactFile:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        interactions = tuple(
            (str(i["description"]), str(i.get("type", "Synchronous/HTTP"))) for i in data.get("interactions", [])
        )
        return PactFile(file, str(data["consumer"]["name"]), str(data["provider"]["name"]), interactions)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PactError(f"{file} is not a readable pact file ({type(exc).__name__}: {exc})") from None


# ---- provider states: seeded through the services' own APIs --------------------------------------------------------


class StateError(Exception):
    """A provider state that could not be set up (the message says which request failed and what it answered)."""


def _call(method: str, url: str, *, token: str | None = None, body: Any = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with observe_client(_TIMEOUT_S) as client:
            return client.request(method, url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise StateError(f"{method} {url} failed: {type(exc).__name__}: {exc}") from None


def _created(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 201:
        raise StateError(f"{response.request.method} {response.request.url} answered {response.status_code}: "
                         f"{response.text[:300]}")  # fmt: skip
    data = response.json()
    if not isinstance(data, dict):
        raise StateError(f"{response.request.url} answered 201 without a JSON object")
    return data


class ApiStates:
    """The built-in provider states, set up as the target's synthetic tenants through the services' APIs.

    Each handler returns the values the pact's ``ProviderState`` generators inject (``token``, ``customerId``, ...).
    """

    def __init__(self, target: Target) -> None:
        self._target = target
        self.handlers: dict[str, Callable[[], dict[str, Any]]] = {
            "": dict,  # Pact's generic setup call: nothing to do
            "tenant T has customer C": self._tenant_has_customer,
            "customer C belongs to another tenant": self._foreign_customer,
            "tenant T has user U": self._tenant_has_user,
            "tenant T has process P": lambda: self._owned("processId", self._process),
            "process P belongs to another tenant": lambda: self._foreign("processId", self._process),
            "tenant T has no process with business key K": self._unused_business_key,
            "tenant T has evaluation E": lambda: self._owned("evaluationId", self._evaluation),
            "evaluation E belongs to another tenant": lambda: self._foreign("evaluationId", self._evaluation),
            "tenant T has organization O": lambda: self._owned("organizationId", self._organization),
            "tenant T has no customer with code K": self._unused_customer_code,
            "tenant T has file F": lambda: self._owned("fileId", self._file),
        }

    def setup(self, state: str) -> dict[str, Any]:
        handler = self.handlers.get(state)
        if handler is None:
            known = ", ".join(repr(s) for s in sorted(self.handlers) if s)
            raise StateError(
                f"no built-in handler for provider state {state!r} (known: {known}); for states of your own, name "
                "a state-change URL in the target file's pact.state_change_url"
            )
        return handler()

    def _endpoint(self, service: str) -> Endpoint:
        endpoint = self._target.endpoints.get(service)
        if endpoint is None:
            why = self._target.unavailable.get(service, "not in the target")
            raise StateError(f"the provider state needs {service}, which is not available: {why}")
        return endpoint

    def _token(self, *, other: bool = False) -> str:
        credentials = self._target.credentials
        token = credentials.other_tenant_token if other else credentials.tenant_token
        if not token:
            which = "other_tenant" if other else "tenant"
            raise StateError(f"the provider state needs the {which} token: {credentials.missing_reason or 'none'}")
        return token

    def _customer(self, token: str) -> dict[str, Any]:
        code = f"PACT-{uuid.uuid4().hex[:8]}"
        body = {"code": code, "name": f"Pact customer {code}", "name_bn": "পদ্মা ট্রেডার্স",
                "email": f"{code.lower()}@example.com", "phone": "01712345678", "tin": "123456789012",
                "nid": "1234567890", "address": "Motijheel, Dhaka 1000"}  # fmt: skip
        return self._create("master-data", "/customers", token, body)

    def _create(self, service: str, path: str, token: str, body: Any) -> dict[str, Any]:
        return _created(_call("POST", self._endpoint(service).url(path), token=token, body=body))

    def _process(self, token: str, amount: str = "750000.00") -> dict[str, Any]:
        body = {"workflow_type": "purchase-order", "business_key": f"PACT-PO-{uuid.uuid4().hex[:8]}",
                "amount_bdt": amount, "variables": {"vendor": "রহিম ট্রেডার্স"}}  # fmt: skip
        return self._create("workflow", "/processes", token, body)

    def _evaluation(self, token: str) -> dict[str, Any]:
        body = {"entity_type": "invoice", "entity_id": f"PACT-INV-{uuid.uuid4().hex[:8]}", "rule_type": "vat",
                "amount_bdt": "1000.00"}  # fmt: skip
        response = _call("POST", self._endpoint("rules-engine").url("/evaluate"), token=token, body=body)
        if response.status_code != 200:
            raise StateError(f"POST {response.request.url} answered {response.status_code}: {response.text[:300]}")
        return dict(response.json())

    def _organization(self, token: str) -> dict[str, Any]:
        code = f"PACT-ORG-{uuid.uuid4().hex[:8]}"
        return self._create("organization", "/organizations", token, {"code": code, "name": f"Pact {code}"})

    def _file(self, token: str) -> dict[str, Any]:
        url = self._endpoint("file-storage").url("/files")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/html"}
        try:
            with observe_client(_TIMEOUT_S) as client:
                response = client.post(url, params={"name": "pact.html"}, content=b"<p>pact</p>", headers=headers)
        except httpx.HTTPError as exc:
            raise StateError(f"POST {url} failed: {type(exc).__name__}: {exc}") from None
        return _created(response)

    def _owned(self, name: str, create: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        """A resource of the caller's tenant: the token and the resource's id as ``name``."""
        token = self._token()
        return {"token": token, name: str(create(token)["id"])}

    def _foreign(self, name: str, create: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        """A resource of the other tenant: the caller's token and the other tenant's resource id as ``name``."""
        return {"token": self._token(), name: str(create(self._token(other=True))["id"])}

    def _unused_business_key(self) -> dict[str, Any]:
        return {"token": self._token(), "businessKey": f"PACT-PO-{uuid.uuid4().hex[:12]}"}

    def _unused_customer_code(self) -> dict[str, Any]:
        return {"token": self._token(), "customerCode": f"PACT-{uuid.uuid4().hex[:12]}"}

    def _tenant_has_customer(self) -> dict[str, Any]:
        token = self._token()
        customer = self._customer(token)
        return {"token": token, "customerId": str(customer["id"]), "tenantId": str(customer.get("tenant_id", "")),
                "customerCode": str(customer["code"])}  # fmt: skip

    def _foreign_customer(self) -> dict[str, Any]:
        customer = self._customer(self._token(other=True))
        return {"token": self._token(), "customerId": str(customer["id"])}

    def _tenant_has_user(self) -> dict[str, Any]:
        credentials = self._target.credentials
        fields = dict(credentials.tenant_fields)
        missing = [name for name in ("email", "password") if not fields.get(name)]
        if missing or not credentials.tenant_id:
            raise StateError(f"'tenant T has user U' needs the tenant's tenant_id, email and password (missing: "
                             f"{', '.join(missing) or 'tenant_id'})")  # fmt: skip
        return {"token": self._token(), "tenantId": credentials.tenant_id, "email": fields["email"],
                "password": fields["password"]}  # fmt: skip


class LoopbackServer:
    """A threaded stdlib HTTP server on a free 127.0.0.1 port, serving ``handler`` while the context is open."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], name: str) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=name, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()  # the listening socket too (pact-python's own relay leaves it open)
        self._thread.join(timeout=5)


class StateServer:
    """The built-in state-change URL and message transport: one loopback HTTP server (stdlib) the Pact verifier calls.

    ``POST /pact/states`` sets a provider state up; the answer's JSON object is what Pact injects into the request
    (provider-state generators). ``POST /pact/messages`` (when given ``messages``) answers one message interaction
    with the message a cause produced: its contents as the body, its metadata in ``Pact-Message-Metadata`` (base64
    JSON), as the Pact FFI's message transport expects. A state or message that cannot be had answers 500 with the
    reason, which the verifier reports against the interaction, and the reason is kept in ``errors``.

    (pact-python's own message relay leaves its listening socket open after a run; this server closes its own.)
    """

    STATES, MESSAGES = "/pact/states", "/pact/messages"

    def __init__(self, states: ApiStates, messages: EventCauses | None = None) -> None:
        self.states = states
        self.messages = messages
        self.errors: list[str] = []
        self.calls: list[str] = []  # the states and messages asked for, in order
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                headers: dict[str, str] = {"Content-Type": "application/json"}
                try:
                    request = json.loads(self.rfile.read(length) or b"{}")
                    server.calls.append(str(request.get("description") or request.get("state") or ""))
                    if self.path == server.MESSAGES and server.messages is not None:
                        message = server.messages.produce(str(request.get("description", "")))
                        answer = message["contents"]
                        metadata = {**(message["metadata"] or {}), "contentType": message["content_type"]}
                        headers["Pact-Message-Metadata"] = base64.b64encode(json.dumps(metadata).encode()).decode()
                    elif request.get("action", "setup") == "teardown":
                        answer = b"{}"
                    else:
                        answer = json.dumps(server.states.setup(str(request.get("state", "")))).encode()
                    status = 200
                except (StateError, ValueError) as exc:
                    server.errors.append(str(exc))
                    status, answer = 500, json.dumps({"error": str(exc)}).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = LoopbackServer(_Handler, "pact-provider")

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.STATES}"

    def __enter__(self) -> StateServer:
        self._server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.__exit__()


# ---- messages: the real event, caused through the API and read from Kafka ------------------------------------------

#: the services a built-in cause needs besides its provider: rules-engine evaluates the approval task of a process
#: started through workflow (the evaluation workflow consumes carries that task), so its cause starts a process
CAUSE_NEEDS: dict[str, tuple[str, ...]] = {"rules.evaluation.completed": ("workflow",)}


def cause_services(pacts: Sequence[PactFile], providers: Sequence[str] | None = None) -> list[str]:
    """The services the message causes of ``pacts`` (those of ``providers``, default all) need running."""
    needed = {
        service
        for pact in pacts
        if providers is None or pact.provider in providers
        for description, kind in pact.interactions
        if kind.startswith("Asynchronous")
        for service in CAUSE_NEEDS.get(description.split(":", 1)[0].strip(), ())
    }
    return sorted(needed)


@dataclass(frozen=True, slots=True)
class _ScenarioRun:
    """A producer's event scenario, run once: its declared actions and the events captured while it ran."""

    actions: tuple[EventAction, ...]
    events: tuple[CapturedEvent, ...]
    missing: frozenset[str]  # declared topics the broker does not have


def _caused_by(event: CapturedEvent, actions: Iterable[EventAction]) -> bool:
    """The event is one of these actions' (the same aggregate key, or the action's correlation id)."""
    correlation = (event.envelope() or {}).get("correlationid")
    return any(
        event.key == a.aggregate_id or (a.correlation_id and correlation == a.correlation_id)
        for a in actions
        if a.topic == event.topic
    )


@dataclass
class EventCauses:
    """Cause the event a message pact describes through its provider's API; capture it from Kafka.

    A message interaction's description starts with its topic (``auth.user.locked: ...``); the topic picks the cause.
    """

    target: Target
    deadline_s: float = 15.0
    seen: list[CapturedEvent] = field(default_factory=list)
    #: one run of each producer's event scenario, shared by every message of its topics
    _runs: dict[str, _ScenarioRun] = field(default_factory=dict)

    def causes(self) -> dict[str, Callable[[], tuple[str, Callable[[CapturedEvent], bool]]]]:
        return {
            "auth.user.locked": self._lock_a_user,
            "master-data.customer.created": self._create_a_customer,
            "workflow.task.created": lambda: self._start_a_process("750000.00", "task.created"),
            "workflow.process.completed": lambda: self._start_a_process("1000.00", "process.completed"),
            "workflow.task.assigned": self._assign_a_task,
            "rules.evaluation.completed": lambda: self._start_a_process("1000.00", "evaluation.completed"),
        }

    def produce(self, name: str) -> Message:
        topic = name.split(":", 1)[0].strip()
        bootstrap = kafka_bootstrap_of(self.target)
        cause = self.causes().get(topic)
        if cause is None:
            return self._message(self._from_scenario(topic, name, bootstrap))
        if bootstrap is None:
            raise StateError(f"message {name!r} needs the target's Kafka (kafka.bootstrap in the target file)")
        with EventCapture(bootstrap, [topic]) as capture:
            if capture.missing:
                raise StateError(f"topic {topic} does not exist on {bootstrap}")
            what, ours = cause()
            events = capture.read(until=lambda seen: any(ours(e) for e in seen), deadline_s=self.deadline_s)
        found = [e for e in events if ours(e)]
        if not found:
            raise StateError(f"{what} caused no {topic} event within {self.deadline_s:g} s")
        return self._message(found[0])

    def _message(self, event: CapturedEvent) -> Message:
        self.seen.append(event)
        return {
            "contents": event.value,
            "metadata": {"topic": event.topic, "key": event.key, "x-tenant-id": event.header("x-tenant-id")},
            "content_type": "application/json",
        }

    def _from_scenario(self, topic: str, name: str, bootstrap: str | None) -> CapturedEvent:
        """Any other topic: its producer's declared event scenario (the events area's, fleet file
        ``services[].scenario``) is run once for all its topics, captured from Kafka, and each message takes the event
        of the action that declares its topic (by key or correlation). One run serves every message of the producer:
        a pact of 11 of master-data's topics costs one scenario, not 11."""
        fleet = self.target.fleet
        spec = next((s for s in fleet.services if topic in s.produces and s.scenario is not None), None)
        if spec is None:
            raise StateError(f"no built-in way to cause {topic!r} (message {name!r}), and no event scenario of its "
                             f"producer declares it; built in: {', '.join(sorted(self.causes()))}")  # fmt: skip
        if bootstrap is None:
            raise StateError(f"message {name!r} needs the target's Kafka (kafka.bootstrap in the target file)")
        run = self._runs.get(spec.name) or self._run_scenario(spec, bootstrap)
        self._runs[spec.name] = run
        if topic in run.missing:
            raise StateError(f"topic {topic} does not exist on {bootstrap}")
        declared = [a for a in run.actions if a.topic == topic]
        if not declared:
            raise StateError(f"{spec.name}'s event scenario did not run the step that declares {topic}")
        found = [e for e in run.events if e.topic == topic and _caused_by(e, declared)]
        if not found:
            raise StateError(f"{spec.name}'s event scenario ({declared[0].label}) caused no {topic} event within "
                             f"{self.deadline_s:g} s")  # fmt: skip
        return found[0]

    def _run_scenario(self, spec: ServiceSpec, bootstrap: str) -> _ScenarioRun:
        from fleetcheck.steps import StepContext, StepsNotPossible, event_actions, run_sequence

        assert spec.scenario is not None
        steps = (*spec.scenario.steps, *spec.scenario.cleanup)
        topics = sorted({e.topic for step in steps for e in step.events or ()} & set(spec.produces))
        with EventCapture(bootstrap, topics) as capture:
            try:
                with observe_client(_TIMEOUT_S) as client:
                    ctx = StepContext(client, self.target, spec)
                    actions = event_actions(run_sequence(spec.scenario, ctx), ctx.bindings)
            except StepsNotPossible as exc:
                raise StateError(f"{spec.name}'s event scenario cannot run: {exc}") from None
            wanted = {a.topic for a in actions} & set(topics) - set(capture.missing)

            def arrived(seen: list[CapturedEvent]) -> bool:
                return all(any(e.topic == t and _caused_by(e, actions) for e in seen) for t in wanted)

            events = capture.read(until=arrived, deadline_s=self.deadline_s)
        return _ScenarioRun(tuple(actions), tuple(events), frozenset(capture.missing))

    def _token(self) -> str:
        token = self.target.credentials.tenant_token
        if not token:
            raise StateError(f"no tenant token: {self.target.credentials.missing_reason or 'none'}")
        return token

    def _url(self, service: str, path: str) -> str:
        endpoint = self.target.endpoints.get(service)
        if endpoint is None:
            raise StateError(f"{service} is not available: {self.target.unavailable.get(service, 'not in target')}")
        return endpoint.url(path)

    def _lock_a_user(self) -> tuple[str, Callable[[CapturedEvent], bool]]:
        tenant = self.target.credentials.tenant_id
        if not tenant:
            raise StateError("locking a user needs the tenant's id")
        email, password = f"pact-{uuid.uuid4().hex[:8]}@example.com", f"Pa-{uuid.uuid4().hex}-1!"
        body = {"tenant_id": tenant, "email": email, "password": password, "first_name": "Pact", "last_name": "Lock"}
        _created(_call("POST", self._url("auth", "/auth/register"), body=body))
        for _ in range(_LOCK_ATTEMPTS):
            _call("POST", self._url("auth", "/auth/login"), body={**body, "password": "wrong-" + password})

        def ours(event: CapturedEvent) -> bool:
            data = (event.envelope() or {}).get("data")
            return isinstance(data, dict) and data.get("email") == email

        return f"{_LOCK_ATTEMPTS} failed logins of {email}", ours

    def _process(self, amount: str) -> dict[str, Any]:
        """A purchase order started through workflow: above 500,000 BDT its approval task waits for a manager; at or
        below, rules-engine approves it (``rules.evaluation.completed``) and workflow completes the process."""
        return ApiStates(self.target)._process(self._token(), amount)

    def _start_a_process(self, amount: str, which: str) -> tuple[str, Callable[[CapturedEvent], bool]]:
        process = self._process(amount)
        pid, task = str(process["id"]), str(process["tasks"][0]["id"])

        def ours(event: CapturedEvent) -> bool:
            data = (event.envelope() or {}).get("data")
            if not isinstance(data, dict):
                return False
            if which == "evaluation.completed":  # rules-engine's evaluation of the process's approval task
                return data.get("entity_type") == "workflow-task" and data.get("entity_id") == task
            return event.key == (task if which.startswith("task.") else pid)

        return f"starting a purchase order of {amount} BDT (process {pid})", ours

    def _assign_a_task(self) -> tuple[str, Callable[[CapturedEvent], bool]]:
        process = self._process("750000.00")
        task = str(process["tasks"][0]["id"])
        response = _call("POST", self._url("workflow", f"/tasks/{task}/assign"), token=self._token(),
                         body={"user_id": str(uuid.uuid4())})  # fmt: skip
        if response.status_code != 200:
            raise StateError(f"assigning task {task} answered {response.status_code}: {response.text[:300]}")
        return f"assigning task {task}", lambda event: event.key == task

    def _create_a_customer(self) -> tuple[str, Callable[[CapturedEvent], bool]]:
        customer = ApiStates(self.target)._customer(self._token())
        return f"creating customer {customer['id']}", lambda event: event.key == str(customer["id"])


# ---- verification -------------------------------------------------------------------------------------------------


def _reachable(endpoint: Endpoint) -> str:
    try:
        with observe_client(5.0) as client:
            client.get(endpoint.url("/"))
    except httpx.HTTPError as exc:
        return f"{endpoint.service} at {endpoint.base_url} is unreachable ({type(exc).__name__})"
    return ""


def _detail(mismatch: Mapping[str, Any]) -> str:
    """``$.data.customer.tin: Expected '' to match '^\\d{12}$'``: where (body path, header or metadata key), what."""
    where = mismatch.get("path") or mismatch.get("key") or mismatch.get("type") or ""
    what = str(mismatch.get("mismatch") or mismatch.get("description") or dict(mismatch))
    return f"{where}: {what}" if where else what


def mismatches(results: Mapping[str, Any], output: str) -> tuple[Mismatch, ...]:
    found: list[Mismatch] = []
    for error in results.get("errors") or []:
        interaction = str(error.get("interaction", "?"))
        mismatch = error.get("mismatch") or {}
        details = [_detail(m) for m in (mismatch.get("mismatches") or []) if isinstance(m, dict)]
        detail = "; ".join(details) or str(mismatch.get("message") or mismatch.get("type") or "failed")
        found.append(Mismatch(interaction, detail))
    if not found:
        found.append(Mismatch("?", output.strip()[-2000:] or "the verifier failed without naming an interaction"))
    return tuple(found)


def no_telemetry() -> None:
    """The Pact FFI reports usage to the Pact Foundation unless ``PACT_DO_NOT_TRACK`` is set: a test run, or a CI
    job, calls no one it was not asked to (a value the user set is kept)."""
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")


def provider_verifier(target: Target, provider: str, endpoint: Endpoint, server: StateServer) -> Verifier:
    """A verifier of ``provider`` at ``endpoint``: states through the target file's hook or ``server``, messages
    (when ``server`` has causes) through ``server``'s message transport. Sources are added by the caller."""
    from pact import Verifier

    no_telemetry()
    host = urlsplit(endpoint.base_url).hostname or "localhost"
    verifier = Verifier(provider, host=host).add_transport(url=endpoint.base_url).set_coloured_output(enabled=False)
    # the FFI's default is 5 s per request; a message is caused for real (locking a user takes five argon2-checked
    # logins, then the event's trip through the outbox and Kafka), which took 5 s on this 2-core machine under load
    verifier.set_request_timeout(_VERIFIER_TIMEOUT_MS)
    if server.messages is not None:
        verifier.add_transport(protocol="message", port=server.port, path=server.MESSAGES)
    given_url = getattr(target, "pact_state_change_url", None)
    verifier.state_handler(given_url if isinstance(given_url, str) and given_url else server.url, body=True)
    return verifier


def run_verifier(verifier: Verifier) -> tuple[bool, str, dict[str, Any]]:
    """Run the FFI verifier: ``(verified, its output without colours, its JSON results)``."""
    try:
        with _fd1_silenced():
            verifier.verify()
        verified = True
    except RuntimeError:  # pact-python raises it for a failed verification; the results say what failed
        verified = False
    return verified, str(verifier.output(strip_ansi=True)), verifier.results


class _Fd1Silence:
    """File descriptor 1 points at /dev/null while any verifier runs. The FFI verifier prints every interaction to
    the process's standard output itself (Rust, below Python's ``sys.stdout``, so no ``redirect_stdout`` reaches it): a
    whole ``fleetcheck verify`` printed about 600 such lines before its scorecard. ``verifier.output()`` keeps the
    same text for the verdict. Counted, because verifiers run in several threads at once: the first to start points
    fd 1 away, the last to finish points it back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved = -1

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                sys.stdout.flush()
                self._saved = os.dup(1)
                with Path(os.devnull).open("wb") as devnull:
                    os.dup2(devnull.fileno(), 1)
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    os.dup2(self._saved, 1)
                    os.close(self._saved)


_fd1_silenced = _Fd1Silence()


def verify_pact(target: Target, pact: PactFile) -> PactVerification:
    """Replay one pact file against its provider in ``target``: HTTP at its base URL, messages caused for real."""
    endpoint = target.endpoints.get(pact.provider)
    if endpoint is None:
        why = target.unavailable.get(pact.provider, "not in the target")
        return PactVerification(pact.consumer, pact.provider, pact.path, False, error=f"provider not available: {why}")
    if why := _reachable(endpoint):
        return PactVerification(pact.consumer, pact.provider, pact.path, False, error=why)
    states = ApiStates(target)
    given_url = getattr(target, "pact_state_change_url", None)
    if not given_url and (why := _states_unavailable(states, pact)):
        # the FFI retries a failed state change for minutes (measured: 128 s per pact against a server that is not
        # the provider); a state the built-in handler cannot set up fails the pact at once, with its reason
        return PactVerification(pact.consumer, pact.provider, pact.path, False, error=why)
    with StateServer(states, EventCauses(target) if pact.has_messages else None) as server:
        verifier = provider_verifier(target, pact.provider, endpoint, server).add_source(pact.path)
        verified, output, results = run_verifier(verifier)
    if verified:
        return PactVerification(pact.consumer, pact.provider, pact.path, True, output=output)
    found = mismatches(results, output) + tuple(Mismatch("provider server", e) for e in server.errors)
    return PactVerification(pact.consumer, pact.provider, pact.path, False, found, output)


def _states_unavailable(states: ApiStates, pact: PactFile) -> str:
    """Why a provider state of ``pact`` cannot be set up by the built-in handler, or "" (each is tried once)."""
    document = json.loads(pact.path.read_text(encoding="utf-8"))
    names = dict.fromkeys(
        s.get("name", "") for i in document.get("interactions", ()) for s in i.get("providerStates", ())
    )
    for name in names:
        try:
            states.setup(name)
        except Exception as exc:  # whatever stops the handler stops the state: it is the reason
            return f"provider state {name!r} cannot be set up: {exc}"
    return ""


#: pact files verified at once: each mostly waits on its provider and on Kafka (a message's trip through an outbox),
#: and each has its own verifier, state server and captures; their events are told apart by what each caused
PARALLEL_PACTS = 8


def verify_pacts(target: Target, pacts: Sequence[PactFile]) -> list[PactVerification]:
    """Verify every pact file against ``target``, up to :data:`PARALLEL_PACTS` at once; results in file order."""
    with ThreadPoolExecutor(max_workers=PARALLEL_PACTS, thread_name_prefix="fleetcheck-pact") as pool:
        # the pacts with the most messages first: each message is a trip through an outbox and Kafka, the long pole
        futures = {p.path: pool.submit(verify_pact, target, p) for p in sorted(pacts, key=lambda p: -p.messages)}
        return [futures[p.path].result() for p in pacts]


def observe_pacts(target: Target, services: Sequence[str], say: Callable[[str], None]) -> PactObservation:
    """The committed pacts as data and the verdict on each whose provider is one of ``services`` (area ``pact``).

    The committed pacts are the packaged fleet's; another fleet (a fleet file of your own) has none yet."""
    from fleetcheck.contracts.fleet import load_fleet

    packaged = load_fleet().name
    if target.fleet.name != packaged:
        why = f"the fleet file declares no pacts (contracts/pacts/ holds the {packaged} fleet's consumer pacts)"
        return PactObservation((), (), why_not=why)
    pacts = load_pacts()
    summaries = tuple(summarize(json.loads(p.path.read_text(encoding="utf-8")), p.path.name) for p in pacts)
    chosen = [p for p in pacts if p.provider in services]
    say(f"verifying {len(chosen)} pact(s) of {', '.join(sorted({p.provider for p in chosen})) or 'no provider'}")
    verdicts = []
    for verification in verify_pacts(target, chosen):
        problems = tuple(f"{m.interaction}: {m.detail}" for m in verification.mismatches)
        if verification.error:
            problems += (verification.error,)
        verdicts.append(
            PactVerdict(
                verification.path.name, verification.consumer, verification.provider, verification.verified, problems
            )
        )
    bootstrap = kafka_bootstrap_of(target)
    topics = observe_topics(bootstrap) if bootstrap else None
    return PactObservation(summaries, tuple(verdicts), topics=topics)

"""What the flow observer hands to the FLOWS-* checks: each system flow of the seed, as the requests it sent, the
answers it got and the events it saw.

Observers (``fleetcheck.flows``) drive a flow over real HTTP and Kafka and record the *last* read of anything they
polled (a process, the audit records of an event, the notifications), so a check judges what the fleet had done when
the observer's deadline ran out. Checks parse bodies themselves; nothing here is judged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fleetcheck.contracts.events import CapturedEvent, EventAction
    from fleetcheck.contracts.observations import HttpExchange

__all__ = [
    "AuditFlowObservation",
    "AuditLookup",
    "DeclaredFlowObservation",
    "DeclaredStep",
    "FlowAction",
    "FlowEvent",
    "LoginGatewayObservation",
    "ProcessRun",
    "RulesSteerObservation",
    "WorkflowNotifyObservation",
]


@dataclass(frozen=True, slots=True)
class FlowEvent:
    """One CloudEvent a flow caused, as read from Kafka. ``data_json`` is its ``data`` re-encoded (or ``"{}"``)."""

    topic: str
    event_id: str
    subject: str | None = None
    tenant_id: str | None = None
    correlation_id: str | None = None
    data_json: str = "{}"

    def data(self) -> dict[str, Any]:
        try:
            decoded = json.loads(self.data_json)
        except ValueError:
            return {}
        return decoded if isinstance(decoded, dict) else {}

    def where(self) -> str:
        return f"{self.topic} id {self.event_id}"


@dataclass(frozen=True, slots=True)
class FlowAction:
    """One write a flow sent, with the ``X-Correlation-ID`` it carried and the topic its event must appear on."""

    label: str
    exchange: HttpExchange
    topic: str
    correlation_id: str
    aggregate_id: str = ""


@dataclass(frozen=True, slots=True)
class LoginGatewayObservation:
    """FLOWS-LOGIN-GATEWAY-MASTER-DATA: login at auth, createCustomer and customers at the gateway, REST reads.

    ``login`` is ``None`` when no flow user could be registered (``login_note`` says why) and the target's own token
    was used. ``rest_read`` is ``None`` when the gateway gave no customer id to read. ``foreign_read`` is another
    tenant's read of the same customer, ``None`` when the target cannot make a second tenant (``foreign_note``).
    """

    customer_code: str
    login: HttpExchange | None
    create: HttpExchange
    listing: HttpExchange | None
    rest_read: HttpExchange | None
    foreign_read: HttpExchange | None
    login_note: str = ""
    foreign_note: str = ""


@dataclass(frozen=True, slots=True)
class AuditLookup:
    """The last ``GET /audit-logs?event_id=...`` of one event (the answer's list holds its audit records)."""

    event: FlowEvent
    exchange: HttpExchange


@dataclass(frozen=True, slots=True)
class AuditFlowObservation:
    """FLOWS-AUDIT-EVERY-OPERATION: writes, the events they caused (by correlation id), each event's audit records."""

    actions: tuple[FlowAction, ...]
    events: tuple[FlowEvent, ...]
    lookups: tuple[AuditLookup, ...]
    deadline_s: float
    waited_s: float


@dataclass(frozen=True, slots=True)
class WorkflowNotifyObservation:
    """FLOWS-WORKFLOW-NOTIFIES: a process that rules-engine approves automatically, and the notifications after.

    ``completed_events`` are the ``workflow.process.completed`` events seen for the process (empty without Kafka).
    """

    business_key: str
    start: HttpExchange
    process: HttpExchange | None
    notifications: HttpExchange | None
    completed_events: tuple[FlowEvent, ...]
    deadline_s: float
    waited_s: float


@dataclass(frozen=True, slots=True)
class ProcessRun:
    """One purchase order: its amount, the path it must take (``"manager"`` or ``"automatic"``), what happened.

    ``process`` is the last ``GET /processes/{id}`` (with its tasks and transitions). ``evaluations`` are the
    ``rules.evaluation.completed`` events seen for its approval task; ``events_observed`` is false without Kafka.
    """

    amount_bdt: str
    expect: str
    start: HttpExchange
    process: HttpExchange | None
    evaluations: tuple[FlowEvent, ...] = ()
    events_observed: bool = False


@dataclass(frozen=True, slots=True)
class RulesSteerObservation:
    """FLOWS-RULES-STEER-WORKFLOW: purchase orders on both sides of the approval threshold."""

    threshold_bdt: str
    runs: tuple[ProcessRun, ...]
    deadline_s: float
    waited_s: float


@dataclass(frozen=True, slots=True)
class DeclaredStep:
    """One step of a declared flow as it ran: its last request (``None``: skipped), whether it answered as the fleet
    file declares (``note`` says why not), and the events it must have caused."""

    name: str
    exchange: HttpExchange | None
    as_declared: bool
    note: str = ""
    expects: tuple[EventAction, ...] = ()


@dataclass(frozen=True, slots=True)
class DeclaredFlowObservation:
    """A flow the fleet file declares (``flows``), run once: its steps in order and every event seen meanwhile on the
    topics its steps name. ``error`` says why the flow could not be judged at all."""

    flow: str
    steps: tuple[DeclaredStep, ...]
    events: tuple[CapturedEvent, ...] = ()
    waited_s: float = 0.0
    error: str = ""

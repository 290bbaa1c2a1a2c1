"""The process state machine: every process has one approval task; rules-engine or a person decides it.

```
new --start--> pending_rules --auto-approve / approved--> completed
                    |        --auto-reject / rejected---> rejected
                    |        --evaluation failed-------> failed
                    +--a person must decide--> awaiting_approval --approved--> completed
                                                                 --rejected--> rejected
```
"""

from __future__ import annotations

__all__ = [
    "APPROVAL_TASK",
    "COMPLETION_STATUSES",
    "KNOWN_TRANSITIONS",
    "OPEN_STATES",
    "OUTCOMES",
    "TASK_TYPES",
    "TERMINAL_STATES",
    "completion_status",
    "role_for_decision",
]

APPROVAL_TASK = "approval"
TASK_TYPES = (APPROVAL_TASK,)
OUTCOMES = ("approved", "rejected")
OPEN_STATES = ("pending_rules", "awaiting_approval")
TERMINAL_STATES = ("completed", "rejected", "failed")
COMPLETION_STATUSES = ("approved", "rejected", "failed")  # the `status` label of workflow_process_completion_total
KNOWN_TRANSITIONS = (
    ("new", "pending_rules"),
    ("pending_rules", "awaiting_approval"),
    ("pending_rules", "completed"),
    ("pending_rules", "rejected"),
    ("pending_rules", "failed"),
    ("awaiting_approval", "completed"),
    ("awaiting_approval", "rejected"),
)
# rules-engine decisions the workflow acts on by itself; any other decision leaves the task to a person
AUTOMATIC = {"auto-approve": "approved", "auto-reject": "rejected"}


def completion_status(state: str) -> str:
    return {"completed": "approved", "rejected": "rejected", "failed": "failed"}[state]


def role_for_decision(decision: str | None) -> str:
    """Who must complete the task when rules-engine did not decide it: a manager when a rule says so."""
    return "manager" if decision == "manager-approval" else "approver"

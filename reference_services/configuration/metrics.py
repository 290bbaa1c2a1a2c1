"""Business metrics of the configuration service (SPEC.md): ``configuration_changes_total{scope}``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reference_services.kernel import ServiceMetrics

__all__ = ["FLAG_SCOPE", "KNOWN_SCOPES", "ConfigurationMetrics"]

FLAG_SCOPE = "feature-flags"
# Scopes are free text in the API; the label keeps these and folds the rest into "other" so series stay bounded.
KNOWN_SCOPES = ("tenant", "organization", "finance", "tax", "security", "notification", "workflow", "ui",
                "integration", FLAG_SCOPE)  # fmt: skip


class ConfigurationMetrics:
    """One increment per committed change (create, update, delete); an identical write is no change."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.changes = metrics.counter("configuration_changes_total", "Setting and flag changes, by scope.", ["scope"])
        for scope in (*KNOWN_SCOPES, "other"):
            self.changes.labels(scope=scope)

    def changed(self, scope: str) -> None:
        self.changes.labels(scope=scope if scope in KNOWN_SCOPES else "other").inc()

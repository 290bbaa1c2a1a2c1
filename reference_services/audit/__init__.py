"""The audit service: one immutable audit record per fleet event (every topic but its own), tenant-scoped reads."""

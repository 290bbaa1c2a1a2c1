"""workflow: processes with an approval task, a recorded state machine, decided by people or by rules-engine events."""

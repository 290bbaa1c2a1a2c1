"""``python -m fleetcheck`` is the ``fleetcheck`` command."""

from __future__ import annotations

from fleetcheck.cli import app

app(prog_name="fleetcheck")

"""The fleet contract as data, and the checks that judge observations against it.

This package (installed as ``fleetcheck.contracts``) is pure: no I/O, and no imports from the rest of ``fleetcheck``,
``fleetcheck.fixtures``, ``probes``, ``load`` or ``reference_services`` (see ARCHITECTURE.md).
"""

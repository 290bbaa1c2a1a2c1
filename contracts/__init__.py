"""The fleet contract as data, and the checks that judge observations against it.

This package is pure: no I/O, and no imports from ``fleetcheck``, ``fixtures``, ``probes``, ``load`` or
``reference_services`` (see ARCHITECTURE.md).
"""

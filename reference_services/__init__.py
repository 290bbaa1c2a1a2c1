"""Reference services: one package per service on a shared kernel.

They implement SPEC.md and import nothing from the suite.
"""

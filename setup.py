"""Packaging: the design card's top-level folders, installed under the ``fleetcheck`` namespace.

``contracts/`` and ``fixtures/`` stay where the design card puts them, but their import names are
``fleetcheck.contracts`` and ``fleetcheck.fixtures``: as top-level ``contracts`` and ``fixtures`` they would shadow
PyPI packages of those names (``fixtures`` is widely used) in a user's own test environment. pyproject.toml cannot
say "this folder is that package" for a computed list of subpackages, so this file does; everything else is in
pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

#: import name -> folder in the repository
MAPPED = {"fleetcheck.contracts": "contracts", "fleetcheck.fixtures": "fixtures"}
_SKIP = ["*__pycache__*", "*.egg-info*"]


def _packages() -> list[str]:
    found = find_namespace_packages(
        include=["fleetcheck", "fleetcheck.*", "reference_services", "reference_services.*"], exclude=_SKIP
    )
    for name, folder in MAPPED.items():
        found += [name, *(f"{name}.{sub}" for sub in find_namespace_packages(where=folder, exclude=_SKIP))]
    return found


setup(packages=_packages(), package_dir=MAPPED)

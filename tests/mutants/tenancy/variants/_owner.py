"""What the tenancy mutants share: a service's owner role with row-level security not forced, to bypass it.

A mutant that "ignores the tenant" must get past RLS too, or RLS would hide its bug: it reads and writes through the
migration owner (``FLEET_DATABASE_URL``) on tables whose RLS it un-forces when it starts (``unforce``), as a service
that runs its reports or maintenance as the table owner does.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def unforce(*tables: str) -> None:
    """``ALTER TABLE ... NO FORCE ROW LEVEL SECURITY`` as the owner: the owner now bypasses RLS on them."""
    import psycopg

    with psycopg.connect(os.environ["FLEET_DATABASE_URL"], autocommit=True) as conn:
        for table in tables:
            conn.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")


@cache
def owner_engine() -> AsyncEngine:
    from sqlalchemy.ext.asyncio import create_async_engine

    from reference_services.kernel.db import async_url

    return create_async_engine(async_url(os.environ["FLEET_DATABASE_URL"]), pool_size=2)

"""configuration's HTTP routes (user JWT, tenant-scoped): settings by scope and key, feature flags by key."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

from litestar import Request, Response, Router, delete, get, put
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import select

from reference_services.kernel import Database, Principal, add_event
from reference_services.kernel.handlers import correlation_id

from .metrics import FLAG_SCOPE, ConfigurationMetrics
from .models import FeatureFlag, Setting
from .schemas import FlagPut, SettingPut, checked_name

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["TOPIC", "route_handlers"]

SERVICE = "configuration"
TOPIC = "configuration.setting.changed"
_MAX_LIMIT = 500


def _setting_body(row: Setting) -> dict[str, Any]:
    return {"id": str(row.id), "tenant_id": str(row.tenant_id), "scope": row.scope, "key": row.key,
            "value": row.value, "updated_at": (row.updated_at or row.created_at).isoformat()}  # fmt: skip


def _flag_body(row: FeatureFlag) -> dict[str, Any]:
    return {"id": str(row.id), "tenant_id": str(row.tenant_id), "key": row.key, "enabled": row.enabled,
            "description": row.description}  # fmt: skip


def _changed(session: AsyncSession, request: Request[Any, Any, Any], *, row_id: uuid.UUID, tenant_id: uuid.UUID,
             scope: str, key: str, action: str, value: Any, previous: Any) -> None:  # fmt: skip
    """Stage the change event, correlated with the caller's ``X-Correlation-ID`` (a fresh one when it sent none)."""
    add_event(session, topic=TOPIC, key=row_id, tenant_id=tenant_id, source=SERVICE,
              correlation_id=correlation_id(request),
              data={"id": str(row_id), "scope": scope, "key": key, "action": action, "value": value,
                    "previous_value": previous})  # fmt: skip


async def _setting(session: AsyncSession, scope: str, key: str, *, lock: bool = False) -> Setting | None:
    query = select(Setting).where(Setting.scope == scope, Setting.key == key)
    return await session.scalar(query.with_for_update() if lock else query)


@get("/settings")
async def list_settings(
    principal: Principal,
    database: Database,
    # `scope` is a reserved Litestar kwarg: the query parameter keeps its public name through `name=`
    in_scope: Annotated[str | None, QueryParameter(name="scope", max_length=64)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=_MAX_LIMIT)] = 100,
) -> list[dict[str, Any]]:
    query = select(Setting).order_by(Setting.scope, Setting.key).limit(limit)
    if in_scope is not None:
        query = query.where(Setting.scope == in_scope)
    async with database.tenant_transaction(principal.tenant_id) as session:
        return [_setting_body(row) for row in (await session.scalars(query)).all()]


@get("/settings/{setting_id:uuid}")
async def get_setting_by_id(setting_id: FromPath[uuid.UUID], principal: Principal, database: Database
                            ) -> dict[str, Any]:  # fmt: skip
    async with database.tenant_transaction(principal.tenant_id) as session:
        row = await session.get(Setting, setting_id)
    if row is None:
        raise NotFoundException(detail=f"No setting {setting_id} for this tenant.")
    return _setting_body(row)


@get("/settings/{setting_scope:str}/{key:str}")
async def get_setting(setting_scope: FromPath[str], key: FromPath[str], principal: Principal, database: Database
                      ) -> dict[str, Any]:  # fmt: skip
    scope, key = checked_name("scope", setting_scope), checked_name("key", key)
    async with database.tenant_transaction(principal.tenant_id) as session:
        row = await _setting(session, scope, key)
    if row is None:
        raise NotFoundException(detail=f"No setting {scope}/{key} for this tenant.")
    return _setting_body(row)


@put("/settings/{setting_scope:str}/{key:str}")
async def put_setting(
    setting_scope: FromPath[str], key: FromPath[str], data: JSONBody[SettingPut], principal: Principal,
    database: Database, stats: ConfigurationMetrics, request: Request[Any, Any, Any],
) -> Response[dict[str, Any]]:  # fmt: skip
    """Create (201) or replace (200) the value; writing the value it already has is no change (no event)."""
    scope, key = checked_name("scope", setting_scope), checked_name("key", key)
    async with database.tenant_transaction(principal.tenant_id) as session:
        row = await _setting(session, scope, key, lock=True)
        action, previous = ("created", None) if row is None else ("updated", row.value)
        if row is None:
            row = Setting(id=uuid.uuid4(), tenant_id=principal.tenant_id, scope=scope, key=key, value=data.value)
            session.add(row)
        elif row.value == data.value:
            return Response(_setting_body(row), status_code=200)
        else:
            row.value = data.value
        await session.flush()
        await session.refresh(row)
        _changed(session, request, row_id=row.id, tenant_id=principal.tenant_id, scope=scope, key=key,
                 action=action, value=data.value, previous=previous)  # fmt: skip
        body = _setting_body(row)
    stats.changed(scope)
    return Response(body, status_code=201 if action == "created" else 200)


@delete("/settings/{setting_scope:str}/{key:str}")
async def delete_setting(setting_scope: FromPath[str], key: FromPath[str], principal: Principal, database: Database,
                         stats: ConfigurationMetrics, request: Request[Any, Any, Any]) -> None:  # fmt: skip
    scope, key = checked_name("scope", setting_scope), checked_name("key", key)
    async with database.tenant_transaction(principal.tenant_id) as session:
        row = await _setting(session, scope, key, lock=True)
        if row is None:
            raise NotFoundException(detail=f"No setting {scope}/{key} for this tenant.")
        await session.delete(row)
        _changed(session, request, row_id=row.id, tenant_id=principal.tenant_id, scope=scope, key=key,
                 action="deleted", value=None, previous=row.value)  # fmt: skip
    stats.changed(scope)


@get("/feature-flags")
async def list_flags(principal: Principal, database: Database) -> list[dict[str, Any]]:
    async with database.tenant_transaction(principal.tenant_id) as session:
        rows = (await session.scalars(select(FeatureFlag).order_by(FeatureFlag.key))).all()
    return [_flag_body(row) for row in rows]


@get("/feature-flags/{flag_key:str}")
async def get_flag(flag_key: FromPath[str], principal: Principal, database: Database) -> dict[str, Any]:
    flag_key = checked_name("flag_key", flag_key)
    async with database.tenant_transaction(principal.tenant_id) as session:
        row = await session.scalar(select(FeatureFlag).where(FeatureFlag.key == flag_key))
    if row is None:
        raise NotFoundException(detail=f"No feature flag {flag_key} for this tenant.")
    return _flag_body(row)


@put("/feature-flags/{flag_key:str}")
async def put_flag(flag_key: FromPath[str], data: JSONBody[FlagPut], principal: Principal, database: Database,
                   stats: ConfigurationMetrics, request: Request[Any, Any, Any]
                   ) -> Response[dict[str, Any]]:  # fmt: skip
    """A flag change is a setting change of scope ``feature-flags`` (same topic, same counter)."""
    flag_key = checked_name("flag_key", flag_key)
    async with database.tenant_transaction(principal.tenant_id) as session:
        row = await session.scalar(select(FeatureFlag).where(FeatureFlag.key == flag_key).with_for_update())
        action, previous = ("created", None) if row is None else ("updated", _flag_body(row))
        if row is None:
            row = FeatureFlag(id=uuid.uuid4(), tenant_id=principal.tenant_id, key=flag_key)
            session.add(row)
        elif (row.enabled, row.description) == (data.enabled, data.description):
            return Response(_flag_body(row), status_code=200)
        row.enabled, row.description = data.enabled, data.description
        await session.flush()
        was = None if previous is None else previous["enabled"]
        _changed(session, request, row_id=row.id, tenant_id=principal.tenant_id, scope=FLAG_SCOPE, key=flag_key,
                 action=action, value=data.enabled, previous=was)  # fmt: skip
        body = _flag_body(row)
    stats.changed(FLAG_SCOPE)
    return Response(body, status_code=201 if action == "created" else 200)


def route_handlers(stats: ConfigurationMetrics) -> list[Any]:
    handlers = [list_settings, get_setting_by_id, get_setting, put_setting, delete_setting, list_flags, get_flag,
                put_flag]  # fmt: skip
    return [Router("/", route_handlers=handlers, dependencies={"stats": Provide(lambda: stats, sync_to_thread=False)})]

"""Devices: how every device that a connector reaches is doing (the system permission)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from penworks.api.context import Context
from penworks.api.responses import problems
from penworks.api.schemas import DeviceOut
from penworks.api.security import SystemUser

router = APIRouter(tags=["devices"])


@router.get(
    "/api/devices",
    summary="Device health",
    description="Every device of every connector: state (online, degraded, offline), last "
    "contact, errors and the latency of its last read. Offline devices come first.",
    responses=problems(401, 403, 422),
)
async def devices(
    context: Context,
    principal: SystemUser,
    connector: Annotated[
        str | None, Query(description="Only this connector", examples=["modbus"])
    ] = None,
    state: Annotated[
        Literal["online", "degraded", "offline"] | None, Query(description="Only this state")
    ] = None,
) -> list[DeviceOut]:
    if context.devices is None:
        return []
    found = [
        DeviceOut.of(h)
        for h in context.devices.device_health()
        if (connector is None or h.connector == connector)
        and (state is None or h.state.value == state)
    ]
    order = {"offline": 0, "degraded": 1, "online": 2}
    return sorted(found, key=lambda d: (order[d.state], d.connector, d.device))

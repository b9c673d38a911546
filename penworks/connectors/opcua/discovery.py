"""`penworks discover opcua --target HOST:PORT`: browse a server into a draft of equipment.

Each object under Objects becomes a device (folders only group: the first object that is
not a folder is the equipment, e.g. Lifts/Lift1 gives Lift1); each variable below it a
point with a binding to its node, its kind from the DataType, its unit from
EngineeringUnits, writable from the access levels and a Brick class from the shared hints.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from asyncua import ua
from pydantic import ValidationError

from penworks.connectors.base import DiscoveredDevice, DiscoveredPoint, Discovery
from penworks.connectors.hints import local_id, suggest_brick, suggest_equipment
from penworks.connectors.opcua.browse import BrowsedVariable, Segment, browse_variables
from penworks.connectors.opcua.config import OpcuaSecurityConfig, OpcuaServerConfig
from penworks.connectors.opcua.session import (
    MODES,
    OPEN_ERRORS,
    close_session,
    describe,
    open_session,
)
from penworks.connectors.opcua.uanames import Client
from penworks.core import ConfigError, ConnectorError

CONNECTOR = "opcua"
EQUIPMENT_CLASS = "Equipment"  # when the object's name suggests none; the draft asks a person
DEFAULT_PORT = 4840


async def discover_opcua(
    target: str,
    *,
    timeout_s: float = 4.0,
    max_nodes: int = 2000,
    security: OpcuaSecurityConfig | None = None,
) -> Discovery:
    """Browse the server at target ('HOST:PORT' or an opc.tcp:// URL) into devices and points."""
    url = target if "://" in target else f"opc.tcp://{target}"
    try:
        probe = OpcuaServerConfig(name="server", url=url, security=security, timeout_s=timeout_s)
    except ValidationError:
        raise ConfigError(
            f"opcua discovery: bad target {target!r}: expected HOST:PORT or "
            "opc.tcp://HOST:PORT/PATH"
        ) from None
    try:
        endpoint = await _endpoint(probe)
        server = _server_config(probe, endpoint)
        client = await open_session(server, None, watchdog_s=max(60.0, timeout_s))
        try:
            browse = await browse_variables(client, max_nodes=max_nodes)
        finally:
            await close_session(client, timeout_s)
    except OPEN_ERRORS as exc:
        raise ConnectorError(f"opcua discovery of {target}: {describe(exc, probe)}") from exc
    # The server's entry in the connector config: how to reach it (timeouts stay default).
    entry = server.model_dump(mode="json", include={"name", "url", "security"}, exclude_none=True)
    devices = discovered_devices(
        server.name, entry, browse.variables, server_label=_label(endpoint)
    )
    config = {"type": CONNECTOR, "name": CONNECTOR, "servers": [entry]}
    return Discovery(CONNECTOR, devices, config)


async def _endpoint(probe: OpcuaServerConfig) -> ua.EndpointDescription | None:
    """The server's endpoint for the security asked for (None if it offers none such)."""
    client = Client(probe.url, timeout=probe.timeout_s)
    async with asyncio.timeout(probe.timeout_s * 2):
        endpoints = await client.connect_and_get_server_endpoints()
    wanted = ua.MessageSecurityMode.None_ if probe.security is None else MODES[probe.security.mode]
    for endpoint in endpoints:
        if endpoint.SecurityMode == wanted:
            return endpoint
    return endpoints[0] if endpoints else None


def _server_config(
    probe: OpcuaServerConfig, endpoint: ua.EndpointDescription | None
) -> OpcuaServerConfig:
    """The probe named after the server, with the path of its endpoint when the target had none."""
    label = _label(endpoint)
    name = local_id(label) if label else "opcua_server"
    url = probe.url
    parts = urlsplit(url)
    path = urlsplit(endpoint.EndpointUrl).path if endpoint is not None else ""
    if parts.path in ("", "/") and path not in ("", "/"):
        url = f"opc.tcp://{parts.netloc}{path}"
    return probe.model_copy(update={"name": name, "url": url})


def _label(endpoint: ua.EndpointDescription | None) -> str:
    if endpoint is None or endpoint.Server.ApplicationName is None:
        return ""
    return endpoint.Server.ApplicationName.Text or ""


def discovered_devices(
    server: str,
    server_entry: dict[str, Any],
    variables: list[BrowsedVariable],
    *,
    server_label: str = "",
) -> list[DiscoveredDevice]:
    """One device per equipment object, holding the points of its variables."""
    grouped: dict[str, tuple[Segment | None, list[DiscoveredPoint]]] = {}
    taken: set[str] = set()
    names: dict[str, str] = {}
    for variable in variables:
        if variable.kind is None:
            continue  # structures, arrays, dates: no point can hold them
        equipment, inner = _equipment(variable.path)
        key = equipment.node if equipment is not None else ""
        if key not in names:
            names[key] = local_id(equipment.name if equipment else server, taken)
            grouped[key] = (equipment, [])
        grouped[key][1].append(discovered_point(server, variable, names[key], inner))
    return [
        DiscoveredDevice(
            name=names[key],
            label=equipment.label if equipment is not None else server_label or server,
            brick=_equipment_class(equipment.name if equipment is not None else server),
            points=points,
            health_device=server,
            config=server_entry,
        )
        for key, (equipment, points) in grouped.items()
    ]


def _equipment(path: tuple[Segment, ...]) -> tuple[Segment | None, tuple[Segment, ...]]:
    """The equipment a variable belongs to, and the objects between it and the variable."""
    for i, segment in enumerate(path):
        if not segment.folder:
            return segment, path[i + 1 :]
    if path:
        return path[-1], ()
    return None, ()


def discovered_point(
    server: str, variable: BrowsedVariable, device: str, inner: tuple[Segment, ...] = ()
) -> DiscoveredPoint:
    assert variable.kind is not None
    name = ".".join([*(s.name for s in inner), variable.name])
    extra = {"data_type": variable.data_type, "browse_path": "/".join(_path(variable))}
    if variable.eu_range is not None:
        extra["eu_range"] = f"{variable.eu_range[0]:g}..{variable.eu_range[1]:g}"
    return DiscoveredPoint(
        connector=CONNECTOR,
        address=variable.node,
        name=name,
        kind=variable.kind.value,
        unit=variable.unit,
        suggested_brick=suggest_brick(name, variable.unit, description=variable.description),
        sample=variable.sample,
        extra=extra,
        device=device,
        writable=variable.writable,
        description=variable.description,
        binding={"server": server, "node": variable.node, "subscribe": True},
    )


def _path(variable: BrowsedVariable) -> list[str]:
    return [*(s.name for s in variable.path), variable.name]


def _equipment_class(name: str) -> str:
    return suggest_equipment(name) or EQUIPMENT_CLASS

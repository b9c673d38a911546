"""The peer of the OPC UA tests: a real asyncua Server with a small lift address space.

Objects/
  Lift1            Position (Double, m, read-only), Direction (Int32, writable),
                   DoorOpen (Boolean, writable), Setpoint (Double, m/s, writable, EURange),
                   Load (Double, kg, read-only), Mode (String, writable), Counter (UInt16)
  Lift2            Position, Load
  Plant (folder)   Pump1 (object): Speed (Double, Hz, writable)
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncua import Server, ua
from asyncua.common.node import Node
from asyncua.crypto import cert_gen
from asyncua.crypto.permission_rules import User, UserRole
from cryptography.x509.oid import ExtendedKeyUsageOID

from penworks.connectors.opcua import OpcuaConnectorConfig, OpcuaServerConfig
from penworks.model.schema import OpcuaBinding
from tests.unit.connectors.support import next_observation as next_observation
from tests.unit.connectors.support import point as point
from tests.unit.connectors.support import reach as reach
from tests.unit.connectors.support import running_connector

# Shared helpers, re-exported under the names the twin's OPC UA server tests import from here.
running = running_connector

NAMESPACE = "urn:penworks:test:lifts"
SERVER_NAME = "Building 15 lifts"
SERVER_URI = "urn:penworks:test:lifts-server"
CLIENT_URI = "urn:penworks:test:client"
UNECE = "http://www.opcfoundation.org/UA/units/un/cefact"


USERS = {"ops": "s3cret"}  # besides anonymous clients, who may read and write too


class Users:
    """The peer's users: anonymous, or a known name with its password."""

    def get_user(
        self,
        iserver: object,
        username: str | None = None,
        password: str | None = None,
        certificate: object = None,
    ) -> User | None:
        if username is None:
            return User(role=UserRole.User)
        if USERS.get(username) == password:
            return User(role=UserRole.User, name=username)
        return None


def node(name: str) -> str:
    """The node id string of a variable of the peer (namespace 2)."""
    return f"ns=2;s={name}"


def unece_id(code: str) -> int:
    return int.from_bytes(code.encode("ascii"), "big")


@dataclass
class Peer:
    """A running server and its variables by name (Lift1.Position ...)."""

    server: Server
    url: str
    nodes: dict[str, Node]

    async def set(self, name: str, value: Any, vtype: ua.VariantType | None = None) -> None:
        """Change a value as the device would (server side: no access checks)."""
        await self.nodes[name].write_value(value, vtype)

    async def set_status(self, name: str, status: int) -> None:
        """Give a variable a status without a value (a sensor failure, say)."""
        data = ua.DataValue(ua.Variant(None), StatusCode=ua.StatusCode(status))
        await self.server.write_attribute_value(self.nodes[name].nodeid, data)

    async def get(self, name: str) -> ua.DataValue:
        return await self.nodes[name].read_data_value(raise_on_bad_status=False)


async def _variable(
    parent: Node,
    idx: int,
    name: str,
    value: Any,
    vtype: ua.VariantType,
    *,
    writable: bool = False,
    unit: tuple[str, str] | None = None,
    eu_range: tuple[float, float] | None = None,
    description: str | None = None,
) -> Node:
    owner = (await parent.read_browse_name()).Name
    variable = await parent.add_variable(ua.NodeId(f"{owner}.{name}", idx), name, value, vtype)
    if writable:
        await variable.set_writable()
    if unit is not None:
        symbol, code = unit
        units = ua.EUInformation(
            NamespaceUri=UNECE,
            UnitId=unece_id(code),
            DisplayName=ua.LocalizedText(symbol),
            Description=ua.LocalizedText(symbol),
        )
        await variable.add_property(idx, "EngineeringUnits", units)
    if eu_range is not None:
        await variable.add_property(idx, "EURange", ua.Range(Low=eu_range[0], High=eu_range[1]))
    if description is not None:
        text = ua.DataValue(ua.Variant(ua.LocalizedText(description)))
        await variable.write_attribute(ua.AttributeIds.Description, text)
    return variable


async def build_server(
    port: int,
    *,
    security: list[ua.SecurityPolicyType] | None = None,
    certificate: Path | None = None,
    private_key: Path | None = None,
) -> tuple[Server, dict[str, Node]]:
    server = Server(user_manager=Users())
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/lifts/")
    server.set_server_name(SERVER_NAME)
    await server.set_application_uri(SERVER_URI)
    server.set_security_policy(security or [ua.SecurityPolicyType.NoSecurity])
    if certificate is not None and private_key is not None:
        await server.load_certificate(str(certificate))
        await server.load_private_key(str(private_key))
    idx = await server.register_namespace(NAMESPACE)
    objects = server.nodes.objects
    lift1 = await objects.add_object(ua.NodeId("Lift1", idx), "Lift1")
    lift2 = await objects.add_object(ua.NodeId("Lift2", idx), "Lift2")
    plant = await objects.add_folder(ua.NodeId("Plant", idx), "Plant")
    pump = await plant.add_object(ua.NodeId("Pump1", idx), "Pump1")
    d, i32, b = ua.VariantType.Double, ua.VariantType.Int32, ua.VariantType.Boolean
    nodes = {
        "Lift1.Position": await _variable(
            lift1, idx, "Position", 0.0, d, unit=("m", "MTR"), description="Car position"
        ),
        "Lift1.Direction": await _variable(lift1, idx, "Direction", 0, i32, writable=True),
        "Lift1.DoorOpen": await _variable(lift1, idx, "DoorOpen", False, b, writable=True),
        "Lift1.Setpoint": await _variable(
            lift1,
            idx,
            "Setpoint",
            1.0,
            d,
            writable=True,
            unit=("m/s", "MTS"),
            eu_range=(0.0, 2.5),
            description="Speed setpoint",
        ),
        "Lift1.Load": await _variable(lift1, idx, "Load", 120.0, d, unit=("kg", "KGM")),
        "Lift1.Mode": await _variable(
            lift1, idx, "Mode", "auto", ua.VariantType.String, writable=True
        ),
        "Lift1.Counter": await _variable(
            lift1, idx, "Counter", 7, ua.VariantType.UInt16, writable=True
        ),
        "Lift2.Position": await _variable(lift2, idx, "Position", 3.0, d, unit=("m", "MTR")),
        "Lift2.Load": await _variable(lift2, idx, "Load", 0.0, d, unit=("kg", "KGM")),
        "Pump1.Speed": await _variable(
            pump, idx, "Speed", 50.0, d, writable=True, unit=("Hz", "HTZ")
        ),
    }
    return server, nodes


@contextlib.asynccontextmanager
async def running_peer(port: int, **security: Any) -> AsyncIterator[Peer]:
    server, nodes = await build_server(port, **security)
    await server.start()
    try:
        yield Peer(server, f"opc.tcp://127.0.0.1:{port}/lifts/", nodes)
    finally:
        await server.stop()


async def make_certificates(folder: Path) -> dict[str, Path]:
    """A self-signed certificate and key for the server and for the client (in `folder`)."""
    host = socket.gethostname()
    files = {
        "server_certificate": folder / "server.der",
        "server_key": folder / "server-key.pem",
        "certificate": folder / "client.der",
        "private_key": folder / "client-key.pem",
    }
    server_use = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    await cert_gen.setup_self_signed_certificate(
        files["server_key"], files["server_certificate"], SERVER_URI, host, server_use, {}
    )
    await cert_gen.setup_self_signed_certificate(
        files["private_key"],
        files["certificate"],
        CLIENT_URI,
        host,
        [ExtendedKeyUsageOID.CLIENT_AUTH],
        {},
    )
    return files


# -- bindings and config ------------------------------------------------------------------


def binding(name: str, server: str = "lifts", **fields: Any) -> OpcuaBinding:
    return OpcuaBinding(connector="opcua", server=server, node=node(name), **fields)


def connector_config(url: str, **server: Any) -> OpcuaConnectorConfig:
    """A connector config for one server named lifts, with intervals short enough for tests."""
    settings: dict[str, Any] = {"publishing_ms": 50, "poll_s": 0.2, "timeout_s": 1.0}
    settings.update(server)
    return OpcuaConnectorConfig(
        type="opcua",
        servers=[OpcuaServerConfig(name="lifts", url=url, **settings)],
        reconnect_initial_s=0.05,
        reconnect_max_s=0.2,
    )

"""The twin's OPC UA server: one asyncua Server, one object per device, one variable per point.

    server = OpcuaServer("lifts", lifts, port=4840, path="/lifts", folder="Elevators",
                         clock=twin_clock)
    await server.start()       # about 2 s: asyncua loads the standard address space
    ...                        # each twin step: devices .set(...), then
    await server.sync()        # changed values (and fault/offline changes) onto the nodes
    await server.stop()

The address space is laid out by `opcua_space`; the twin's namespace is registered first,
so its index is 2 and variables are `ns=2;s=<address>.<key>` (e.g. ns=2;s=Lift1.Position).
Client writes go to `SimDevice.write` (`opcua_writes`); a refusal comes back as the write's
status (BadOutOfRange, BadTypeMismatch, BadNotWritable, BadDeviceFailure) and the node keeps
its value. Values carry the clock's time as source and server timestamps, so a twin on a
simulated clock serves simulated time. The endpoint offers no security (the platform's
certificate handling is tested against its own peer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from asyncua import ua

from penworks.core import Clock, RealClock
from penworks.sim.devices import Refused, SimDevice
from penworks.sim.servers.base import Endpoint
from penworks.sim.servers.opcua_names import Node, Server, StatusCodes, status
from penworks.sim.servers.opcua_space import add_device, add_folder, variable_id
from penworks.sim.servers.opcua_variables import (
    GOOD,
    STATUS_OF_REFUSAL,
    DeviceVariable,
    Unfit,
    device_status,
    from_variant,
    ua_time,
)
from penworks.sim.servers.opcua_writes import DeviceWriteService, WriteTarget

log = logging.getLogger(__name__)

TWIN_NAMESPACE_INDEX = 2  # the first namespace registered on a fresh asyncua server
Folder = str | Callable[[SimDevice], str]
Update = tuple[DeviceVariable, int]  # a variable, and the status its device's nodes show


@dataclass(eq=False)
class _DeviceNodes:
    """One device's variables, and the status its nodes show now."""

    device: SimDevice
    variables: dict[str, DeviceVariable] = field(default_factory=dict)
    status: int = GOOD

    def updates(self) -> list[Update]:
        """The variables whose node may have to change (all of them when the status did)."""
        changed = self.device.take_changes()
        now_status = device_status(self.device)
        if now_status != self.status:
            self.status = now_status
            return self.every()
        return [(self.variables[key], now_status) for key in changed if key in self.variables]

    def every(self) -> list[Update]:
        """Every variable, with the status the device's nodes show."""
        return [(variable, self.status) for variable in self.variables.values()]


class OpcuaServer:
    """A DeviceServer: an OPC UA server of devices (an elevator group controller, a BMS)."""

    def __init__(
        self,
        name: str,
        devices: Sequence[SimDevice],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/",
        namespace: str | None = None,
        application_name: str | None = None,
        folder: Folder = "Devices",
        clock: Clock | None = None,
    ) -> None:
        self.name = name
        self.host = host
        self.port = port  # 0 until start() when any free port is asked for
        self._wanted_port = port
        self.path = path if path.startswith("/") else f"/{path}"
        self.namespace = namespace or f"urn:penworks:sim:{name}"
        self.application_name = application_name or f"Penworks twin {name}"
        self._folder_of = folder if callable(folder) else (lambda _device: folder)
        self._clock = clock or RealClock()
        self._devices = [_DeviceNodes(device) for device in devices]
        _check_names(name, devices, [self._folder_of(d) for d in devices])
        self._server: Server | None = None

    @property
    def url(self) -> str:
        return f"opc.tcp://{self.host}:{self.port}{self.path}"

    def node_id(self, device: SimDevice, key: str) -> str:
        """The NodeId string a binding uses for a point, e.g. ns=2;s=Lift1.Position."""
        return f"ns={TWIN_NAMESPACE_INDEX};s={variable_id(device, key)}"

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError(f"{self.name} is already running")
        server = Server()
        await server.init()
        # With port 0 the endpoint says :0; asyncua answers GetEndpoints with the host and
        # port the client asked on (match_discovery_endpoint_url), so clients see the real one.
        server.set_endpoint(f"opc.tcp://{self.host}:{self._wanted_port}{self.path}")
        server.set_server_name(self.application_name)
        await server.set_application_uri(f"{self.namespace}:server")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        server.set_identity_tokens([ua.AnonymousIdentityToken])
        server.allow_remote_admin(False)  # a device has no remote admin back door
        idx = await server.register_namespace(self.namespace)
        if idx != TWIN_NAMESPACE_INDEX:
            raise RuntimeError(f"{self.name}: the twin's namespace got index {idx}, not 2")
        targets = await self._build(server, idx)
        server.iserver.attribute_service = DeviceWriteService(server.iserver.aspace, targets)
        self._server = server
        for nodes in self._devices:
            nodes.status = device_status(nodes.device)
        # every value, with its status, before clients come
        await self._write([update for nodes in self._devices for update in nodes.every()])
        try:
            await server.start()
        except BaseException:
            self._server = None
            raise
        if server.bserver is not None:
            self.port = server.bserver.port  # the port bound, when 0 asked for any

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop()

    async def sync(self) -> None:
        await self.sync_count()

    async def sync_count(self) -> int:
        """Write every changed value (and every status change) to its node; how many nodes."""
        updates = [update for nodes in self._devices for update in nodes.updates()]
        if self._server is None:
            return 0  # start() writes every value
        return await self._write(updates)

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint.of(
                nodes.device,
                server=self.name,
                host=self.host,
                port=self.port,
                address=str(nodes.device.address),
                url=self.url,
            )
            for nodes in self._devices
        ]

    # -- inside ---------------------------------------------------------------------------------

    async def _build(self, server: Server, idx: int) -> dict[ua.NodeId, WriteTarget]:
        folders: dict[str, Node] = {}
        targets: dict[ua.NodeId, WriteTarget] = {}
        for nodes in self._devices:
            name = self._folder_of(nodes.device)
            if name not in folders:
                folders[name] = await add_folder(server.nodes.objects, idx, name)
            for variable in await add_device(folders[name], idx, nodes.device):
                nodes.variables[variable.key] = variable
                targets[variable.node_id] = self._target(nodes, variable)
        return targets

    async def _write(self, updates: list[Update]) -> int:
        """Prepare the DataValues first, then write them in one pass (no await in between)."""
        server = self._server
        assert server is not None
        now = ua_time(self._clock.now())
        batch = [
            (variable.node_id, data)
            for variable, code in updates
            if (data := variable.data_value(code, now)) is not None
        ]
        for node_id, data in batch:
            await server.write_attribute_value(node_id, data)
        return len(batch)

    def _target(self, nodes: _DeviceNodes, variable: DeviceVariable) -> WriteTarget:
        async def written(variant: ua.Variant) -> ua.StatusCode:
            return status(await self._client_write(nodes, variable, variant))

        return written

    async def _client_write(
        self, nodes: _DeviceNodes, variable: DeviceVariable, variant: ua.Variant
    ) -> int:
        """A client's write, as the device answers it: the status code."""
        if variant.VariantType != variable.vtype:
            return StatusCodes.BadTypeMismatch
        try:
            value = from_variant(variable.vtype, variant.Value)
        except Unfit:
            return StatusCodes.BadTypeMismatch
        device = variable.device
        if not device.online:
            return StatusCodes.BadCommunicationError
        try:
            device.write(variable.key, value)
        except Refused as refused:
            log.info("%s refused a write to %s: %s", self.name, variable.node_id, refused.detail)
            return STATUS_OF_REFUSAL[refused.refusal]
        await self._write([(variable, nodes.status)])  # the device took it: clients see it now
        return GOOD


def _check_names(server: str, devices: Sequence[SimDevice], folders: list[str]) -> None:
    """Node ids are built from names: they must be unique across folders and devices."""
    seen: dict[str, str] = {}
    for device in devices:
        address = str(device.address)
        if not address:
            raise ValueError(f"{server}: device {device.name} has no object name (address)")
        if address in seen:
            raise ValueError(
                f"{server}: object name {address} is given to both "
                f"{seen[address]} and {device.name}"
            )
        seen[address] = device.name
    for folder in set(folders):
        if folder in seen:
            raise ValueError(
                f"{server}: folder {folder} has the same name as device {seen[folder]}"
            )

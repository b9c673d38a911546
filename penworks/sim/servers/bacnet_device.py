"""One SimDevice as a BACnet/IP device: its own bacpypes3 Application on its own UDP port.

The device object carries the SimDevice's instance (its address), its label as object-name
and its product's vendor and model; one object per point that has a BACnet object. A device
taken offline closes its Application, as a device that loses power or its network, and
answers again on the same port when it comes back, with fresh objects showing its values now.
Subscriptions are lost with it (a restarted device forgets them); commands are kept (devices
keep their priority-arrays in non-volatile memory).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from bacpypes3.local.device import DeviceObject
from bacpypes3.local.networkport import NetworkPortObject

from penworks.core import PenworksError
from penworks.sim.devices import PointSpec, SimDevice
from penworks.sim.servers.bacnet_app import (
    bound,
    close_application,
    open_application,
    subscription_count,
)
from penworks.sim.servers.bacnet_objects import (
    build_object,
    check_spec,
    commands,
    show_fault,
    show_value,
)
from penworks.sim.servers.bacnet_writes import write_present_value

VENDOR_ID = 999  # BACpypes' sample vendor identifier: the twin has no ASHRAE vendor id
BIND_WAIT_S = 5.0
PORT_OBJECT_NAME = "NetworkPort-1"


class BacnetBindError(PenworksError):
    """A simulated device could not bind its UDP port."""


def free_udp_port(host: str) -> int:
    """A UDP port on `host` that nothing holds now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def device_instance(device: SimDevice) -> int:
    """The BACnet device instance a SimDevice's address gives, or ValueError."""
    address = device.address
    if isinstance(address, int) or (isinstance(address, str) and address.isdigit()):
        instance = int(address)
        if 0 <= instance < 4194303:
            return instance
    raise ValueError(f"{device.name}: {address!r} is not a BACnet device instance 0..4194302")


class ServedDevice:
    """A SimDevice answering BACnet/IP on host:port while it is online."""

    def __init__(self, device: SimDevice, *, host: str, prefix: int, port: int) -> None:
        self.device = device
        self.instance = device_instance(device)
        self.host = host
        self.prefix = prefix
        self.port = port  # 0 until the first start picks a free one
        self._specs = {p.key: p for p in device.type.points if p.bacnet is not None}
        _check_points(device, list(self._specs.values()))
        self._types = {key: spec.bacnet.type for key, spec in self._specs.items() if spec.bacnet}
        self._app: Any = None
        self._objects: dict[str, Any] = {}
        self._commands: dict[str, list[Any]] = {}  # kept while it is down
        self._fault = False  # whether its objects show a fault now

    @property
    def running(self) -> bool:
        return self._app is not None

    def object(self, key: str) -> Any:
        """The local object serving a point (while running), for tests and tools."""
        return self._objects[key]

    def subscriptions(self, key: str) -> int:
        """COV subscriptions it holds now for a point's object."""
        return subscription_count(self._app, self._objects[key]) if self.running else 0

    def choose_port(self) -> int:
        """Its port, a free one chosen now if it was given none (kept from then on)."""
        if self.port == 0:
            self.port = free_udp_port(self.host)
        return self.port

    async def start(self) -> None:
        """Answer on the port; BacnetBindError if it cannot be bound."""
        if self.running:
            return
        self.choose_port()
        device = self.device
        device.take_changes()  # the objects are built from the values now
        self._fault = device.fault is not None
        self._objects = {key: self._build(spec) for key, spec in self._specs.items()}
        self._app = open_application(
            [self._device_object(), self._port_object(), *self._objects.values()]
        )
        try:
            async with asyncio.timeout(BIND_WAIT_S):
                await bound(self._app)
        except TimeoutError:
            await self.stop()
            raise BacnetBindError(f"{device.name}: cannot bind {self.host}:{self.port}") from None

    async def stop(self) -> None:
        """Stop answering; its commands are kept for when it comes back."""
        app, self._app = self._app, None
        if app is None:
            return
        self._commands = {key: commands(obj) for key, obj in self._objects.items()}
        self._objects = {}
        close_application(app)
        await asyncio.sleep(0)  # let the transport close its socket before anyone rebinds

    async def sync(self) -> None:
        """Follow the device: online or not, in fault or not, and its changed values."""
        device = self.device
        if device.online != self.running:
            await (self.start() if device.online else self.stop())
            if self.running:
                return  # just built from the values now
        changed = device.take_changes()
        if not self.running:
            return
        fault = device.fault is not None
        if fault != self._fault:
            self._fault = fault
            for obj in self._objects.values():
                show_fault(obj, fault)
        for key in changed:
            obj = self._objects.get(key)
            if obj is not None:
                show_value(obj, self._types[key], device.get(key))

    # -- building --------------------------------------------------------------------------

    def _build(self, spec: PointSpec) -> Any:
        def on_write(obj: Any, raw: object, priority: int | None) -> None:
            write_present_value(self.device, spec, obj, raw, priority)

        return build_object(
            spec,
            self.device.get(spec.key),
            fault=self._fault,
            on_write=on_write,
            commands=self._commands.get(spec.key, ()),
        )

    def _device_object(self) -> Any:
        device = self.device
        properties: dict[str, Any] = {
            "objectIdentifier": ("device", self.instance),
            "objectName": device.label,
            "vendorIdentifier": VENDOR_ID,
            "vendorName": device.type.vendor,
            "modelName": device.type.model,
        }
        if device.location:
            properties["location"] = device.location
        return DeviceObject(**properties)

    def _port_object(self) -> Any:
        return NetworkPortObject(
            f"{self.host}/{self.prefix}:{self.port}",
            objectIdentifier=("network-port", 1),
            objectName=PORT_OBJECT_NAME,
        )


def _check_points(device: SimDevice, specs: list[PointSpec]) -> None:
    """ValueError if two objects share an identifier or a name, or one cannot be served."""
    names = {device.label, PORT_OBJECT_NAME}
    identifiers: set[tuple[str, int]] = set()
    for spec in specs:
        check_spec(spec)
        assert spec.bacnet is not None
        identifier = (spec.bacnet.type, spec.bacnet.instance)
        if identifier in identifiers or spec.key in names:
            raise ValueError(
                f"{device.name}: point {spec.key} repeats an object name or {identifier}"
            )
        identifiers.add(identifier)
        names.add(spec.key)

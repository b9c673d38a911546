"""The twin's BACnet/IP devices: each SimDevice a bacpypes3 device on a UDP port of its own.

BACnet/IP gives each device an address; on one machine's loopback that is a port per device
(bacpypes3 takes any 127.x address on its port for itself, so devices cannot share one).
Devices are reached at host:base_port+i, or at free ports when base_port is 0.

What a client sees, per device (see bacnet_device, bacnet_objects, bacnet_writes):

- a device object (instance = SimDevice.address, object-name = its label, the product's vendor
  and model) and one object per point with a BACnet object, named by the point's key;
- present-values that follow the SimDevice after each `sync()`, with COV notifications for
  changes beyond each object's COV increment;
- writes of present-value at a priority arbitrated by the priority-array, the winner handed
  to `SimDevice.write` (a refused write answered with the device's BACnet error);
- reliability unreliable-other (status-flags fault) while the SimDevice has a fault; silence
  while it is offline, on the same port again when it is back.
"""

from __future__ import annotations

from collections.abc import Sequence

from penworks.core.repeats import repeated
from penworks.sim.devices import SimDevice
from penworks.sim.servers.bacnet_device import ServedDevice
from penworks.sim.servers.base import Endpoint, port_at


class BacnetDevices:
    """A DeviceServer: the SimDevices given, each a BACnet/IP device on host."""

    def __init__(
        self,
        name: str,
        devices: Sequence[SimDevice],
        *,
        host: str = "127.0.0.1",
        base_port: int = 0,
        prefix: int = 8,
    ) -> None:
        self.name = name
        self.host = host
        self.devices = [
            ServedDevice(d, host=host, prefix=prefix, port=port_at(base_port, i))
            for i, d in enumerate(devices)
        ]
        twice = repeated(d.instance for d in self.devices)
        if twice:
            raise ValueError(f"{name}: device instances {', '.join(twice)} are served twice")

    async def start(self) -> None:
        """Start every device that is online (the others when sync finds them online)."""
        try:
            for served in self.devices:
                served.choose_port()  # an offline device's port is its place all the same
                if served.device.online:
                    await served.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        for served in self.devices:
            await served.stop()

    async def sync(self) -> None:
        """Push what changed since the last sync: values, faults, devices going and coming."""
        for served in self.devices:
            await served.sync()

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint.of(s.device, server=self.name, host=self.host, port=s.port, address=s.instance)
            for s in self.devices
        ]

    def served(self, device_name: str) -> ServedDevice:
        """The served side of one device (its objects), by SimDevice name."""
        for served in self.devices:
            if served.device.name == device_name:
                return served
        raise KeyError(f"{self.name} serves no device {device_name!r}")

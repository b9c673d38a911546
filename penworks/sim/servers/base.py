"""What every protocol server of the twin offers: start, stop, keep in step, say where it is.

A server serves a set of SimDevices over one protocol, on one address (a Modbus gateway
with many unit ids, one BACnet/IP port per device, one OPC UA endpoint). After each step
of the twin, `sync()` pushes the values that changed into the protocol's own data (register
tables, object properties, variable nodes), so polls, COV notifications and subscriptions
see them. Writes arrive through the protocol and go to `SimDevice.write`; a `Refused`
write is answered with the protocol's refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from penworks.sim.devices import Protocol as DeviceProtocol
from penworks.sim.devices import SimDevice


@dataclass(frozen=True, slots=True)
class Endpoint:
    """How to reach one device from outside, as an integrator's connection sheet lists it.

    `address` is the protocol's own: the Modbus unit id, the BACnet device instance, the OPC
    UA object's browse path, the MQTT topic.
    """

    device: str  # SimDevice.name
    protocol: DeviceProtocol
    host: str
    port: int
    address: str | int
    server: str = ""  # the gateway or server name (Modbus gateway, OPC UA server)
    url: str = ""  # full URL where the protocol has one (opc.tcp://..., mqtt://...)

    @classmethod
    def of(
        cls,
        device: SimDevice,
        *,
        server: str,
        host: str,
        port: int,
        address: str | int,
        url: str = "",
    ) -> Endpoint:
        """Where a server reaches one of its devices (the protocol is the device's own)."""
        return cls(device.name, device.protocol, host, port, address, server, url)


def port_at(first: int, offset: int) -> int:
    """The port `offset` places after `first` (consecutive ports); 0 stays 0: any free one."""
    return first + offset if first else 0


class DeviceServer(Protocol):
    """A running protocol server of the twin."""

    name: str

    async def start(self) -> None:
        """Bind and start answering (ports chosen at construction; 0 means any free one)."""
        ...

    async def stop(self) -> None: ...

    async def sync(self) -> None:
        """Push the values that changed since the last sync into the protocol's data."""
        ...

    def endpoints(self) -> list[Endpoint]:
        """Where each served device can be reached (valid once started)."""
        ...

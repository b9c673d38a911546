"""The BACnet connector's config: where it binds, what device it is, which devices it reaches.

Addresses are IPv4 (BACnet/IP). The connector's own address is ``IP[/PREFIX][:PORT]``:

- IP, the local interface to bind; 0.0.0.0 binds every interface;
- PREFIX, the length of that interface's subnet, which gives the broadcast address a global
  Who-Is goes to (192.168.1.10/24 broadcasts to 192.168.1.255). With 0.0.0.0 it must be 0
  (broadcast to 255.255.255.255): bacpypes3 binds a listener on the broadcast address, and
  0.0.0.0/24 would ask it for 0.0.0.255, which no machine has, and it would wait for ever;
- PORT, the UDP port, 47808 (0xBAC0) when omitted. Give a device on the same machine a port
  of its own: bacpypes3 takes any 127.x.x.x address on its own port for itself.

A device's address is ``HOST[:PORT]`` (HOST an IPv4 address), or none: then the connector
finds the device by a global Who-Is for its instance.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator, model_validator

from penworks.connectors.settings import LOCAL_ID, Strict
from penworks.core.repeats import repeated
from penworks.model.schema import BacnetBinding

BACNET_PORT = 47808
MAX_INSTANCE = 4194302  # 4194303 is the wildcard instance
DEFAULT_ADDRESS = "0.0.0.0/0:47808"

_LOCAL = re.compile(r"^(?P<host>[0-9.]+)(?:/(?P<prefix>\d{1,2}))?(?::(?P<port>\d{1,5}))?$")
_DEVICE = re.compile(r"^(?P<host>[0-9.]+)(?::(?P<port>\d{1,5}))?$")


@dataclass(frozen=True, slots=True)
class LocalAddress:
    """The connector's own address, parsed."""

    host: str
    prefix: int
    port: int

    @property
    def broadcast(self) -> str | None:
        """The broadcast address of a global Who-Is (None: this address cannot broadcast)."""
        if self.prefix == 32 or self.port == 0:
            return None
        network = ipaddress.IPv4Network(f"{self.host}/{self.prefix}", strict=False)
        return str(network.broadcast_address)

    def __str__(self) -> str:
        """As bacpypes3 takes it: host/prefix:port."""
        return f"{self.host}/{self.prefix}:{self.port}"


def parse_local_address(text: str) -> LocalAddress:
    """`IP[/PREFIX][:PORT]`, or ValueError saying what is wrong."""
    found = _LOCAL.match(text)
    if found is None:
        raise ValueError(f"{text!r} is not IP[/PREFIX][:PORT], e.g. 192.168.1.10/24:47808")
    host = _ipv4(found["host"])
    prefix = int(found["prefix"]) if found["prefix"] is not None else 32
    port = int(found["port"]) if found["port"] is not None else BACNET_PORT
    if prefix > 32:
        raise ValueError(f"prefix /{prefix} of {text!r} is above 32")
    if port > 65535:
        raise ValueError(f"port {port} of {text!r} is above 65535")
    if host == "0.0.0.0" and prefix not in (0, 32):
        raise ValueError(
            f"{text!r}: 0.0.0.0 (every interface) takes /0, i.e. broadcasts to "
            "255.255.255.255; for a subnet broadcast give the interface's own address, "
            "e.g. 192.168.1.10/24"
        )
    return LocalAddress(host, prefix, port)


def parse_device_address(text: str) -> str:
    """`HOST[:PORT]` as `HOST:PORT`, or ValueError saying what is wrong."""
    found = _DEVICE.match(text)
    if found is None:
        raise ValueError(f"{text!r} is not HOST[:PORT] with an IPv4 HOST, e.g. 192.168.1.20:47808")
    port = int(found["port"]) if found["port"] is not None else BACNET_PORT
    if not 0 < port <= 65535:
        raise ValueError(f"port {port} of {text!r} is not 1..65535")
    return f"{_ipv4(found['host'])}:{port}"


def _ipv4(text: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv4 address") from None


class BacnetDeviceConfig(Strict):
    """One BACnet device the connector reads and writes."""

    instance: int = Field(
        ge=0, le=MAX_INSTANCE, description="Device instance (of its device object), 0..4194302"
    )
    address: str | None = Field(
        None,
        description="IPv4 HOST[:PORT] of the device (port 47808 if omitted); "
        "None finds the device by a global Who-Is for its instance",
    )
    poll_s: float = Field(
        10.0, gt=0, description="Seconds between polls of its points that COV does not report"
    )
    cov_lifetime_s: int = Field(
        300, ge=1, le=86_400, description="Lifetime of COV subscriptions; renewed at 80% of it"
    )
    cov_confirmed: bool = Field(
        True,
        description="Ask for confirmed COV notifications (the device retries until we "
        "acknowledge) rather than unconfirmed ones (lighter, but a lost one stays lost)",
    )
    timeout_s: float = Field(3.0, gt=0, le=60, description="Seconds to wait for each answer")
    retries: int = Field(1, ge=0, le=10, description="Tries again after a timeout, per request")
    offline_after: int = Field(
        3, ge=1, description="Failed polls in a row after which the device is offline"
    )

    @field_validator("address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return None if value is None else parse_device_address(value)


class BacnetConnectorConfig(Strict):
    """The BACnet/IP connector (bacpypes3): its own device, and the devices it reaches."""

    type: Literal["bacnet"] = Field(description="Connector kind")
    name: str = Field("bacnet", pattern=LOCAL_ID, description="Name in health and dead letters")
    address: str = Field(
        DEFAULT_ADDRESS,
        description="Local IPv4 address the connector binds, IP[/PREFIX][:PORT]: the "
        "interface (0.0.0.0: all, which takes /0), its subnet prefix (the broadcast of a "
        "global Who-Is) and the UDP port (47808 if omitted), e.g. 192.168.1.10/24:47808",
    )
    instance: int = Field(
        4194000,
        ge=0,
        le=MAX_INSTANCE,
        description="Instance of the connector's own device object (unique on the network)",
    )
    devices: list[BacnetDeviceConfig] = Field(
        default_factory=list, description="The devices whose objects points are bound to"
    )
    discover_on_start: bool = Field(
        True,
        description="At start, ask each device with an address who it is (a directed Who-Is): "
        "its answer gives its largest request size, and an address answered by another "
        "instance is reported. Devices without an address are found by Who-Is either way",
    )

    @field_validator("address")
    @classmethod
    def _local(cls, value: str) -> str:
        return str(parse_local_address(value))

    @model_validator(mode="after")
    def _devices(self) -> BacnetConnectorConfig:
        instances = [d.instance for d in self.devices]
        twice = repeated(instances)
        if twice:
            raise ValueError(f"device instances must be unique; repeated: {', '.join(twice)}")
        if self.instance in instances:
            raise ValueError(f"instance {self.instance} is the connector's own; pick another")
        local = self.local_address
        for device in self.devices:
            host, _, port = (device.address or "").partition(":")
            # bacpypes3 takes its own address, and any loopback one, on its port for itself
            if port == str(local.port) and (host == local.host or host.startswith("127.")):
                raise ValueError(
                    f"device {device.instance} at {device.address} shares the connector's port "
                    f"{local.port} on this machine: bacpypes3 would answer for it itself; "
                    "give one of them another port"
                )
        return self

    @property
    def local_address(self) -> LocalAddress:
        return parse_local_address(self.address)

    def device(self, instance: int) -> BacnetDeviceConfig | None:
        return next((d for d in self.devices if d.instance == instance), None)

    def reaches(self, binding: object) -> bool:
        """Whether a point's binding names one of this connector's devices."""
        return isinstance(binding, BacnetBinding) and self.device(binding.device) is not None

"""`penworks discover bacnet --target HOST:PORT`: the devices there, their objects as points.

A Who-Is goes to each target (directed: a global Who-Is on the machine's own loopback finds
nothing, and directed ones reach several devices of one host at their ports), each device
that answers gives its object list (the whole array, or item by item when it refuses the
whole), and each object its name, description, units, present-value and status. Object
types that points are made of (objects.OBJECT_TYPES) become DiscoveredPoints with a binding,
a kind, a unit symbol and a Brick class from penworks.connectors.hints.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from penworks.connectors.bacnet.config import (
    BACNET_PORT,
    BacnetConnectorConfig,
    parse_device_address,
    parse_local_address,
)
from penworks.connectors.bacnet.errors import BacnetFailure, BacnetTimeout
from penworks.connectors.bacnet.objects import Command, ObjectRef
from penworks.connectors.bacnet.points import (
    OUT_OF_SERVICE,
    PRESENT_VALUE,
    PRIORITY_ARRAY,
    STATUS_FLAGS,
)
from penworks.connectors.bacnet.poll import ObjectReading, Poller, batch_for
from penworks.connectors.bacnet.stack import BacnetStack, DeviceLink
from penworks.connectors.bacnet.units import unit_symbol
from penworks.connectors.bacnet.values import plain
from penworks.connectors.base import DiscoveredDevice, DiscoveredPoint, Discovery
from penworks.connectors.hints import Role, local_id, suggest_brick, suggest_equipment
from penworks.core import ConfigError, PayloadError, Value

log = logging.getLogger(__name__)

CONNECTOR = "bacnet"
DEVICE_BRICK = "BACnet_Controller"  # when the device's name suggests no equipment
ALARM_BRICK = "Alarm"  # an alarm object whose name suggests no alarm class
DISCOVERY_INSTANCE = 4194001  # the device object discovery uses for itself
DESCRIBED = (
    "object-name",
    "description",
    "units",
    PRESENT_VALUE,
    STATUS_FLAGS,
    OUT_OF_SERVICE,
    PRIORITY_ARRAY,
)
# Value objects whose name says setpoint are setpoints, not sensors.
_MAY_BE_SETPOINT = frozenset(
    {"analog-value", "large-analog-value", "integer-value", "positive-integer-value"}
)


async def discover_bacnet(
    target: str,
    *,
    timeout_s: float = 3.0,
    instance_range: tuple[int, int] | None = None,
    local_address: str = "0.0.0.0:0",
) -> Discovery:
    """Who-Is to `target` (HOST:PORT, or several separated by commas) and what answers offers.

    `instance_range` (low, high) asks only devices whose instance is in it. Discovery binds
    `local_address` (IP[/PREFIX][:PORT]) for its time: a free port by default; a device that
    answers a Who-Is only with a broadcast I-Am is heard on the BACnet port, 0.0.0.0:47808.
    """
    try:
        targets = [parse_device_address(t.strip()) for t in target.split(",") if t.strip()]
    except ValueError as exc:
        raise ConfigError(f"bacnet discovery target: {exc}") from None
    if not targets:
        raise ConfigError("bacnet discovery needs a target HOST:PORT")
    try:
        local = parse_local_address(local_address)
    except ValueError as exc:
        raise ConfigError(f"bacnet discovery local address: {exc}") from None
    low, high = instance_range if instance_range is not None else (None, None)
    stack = await BacnetStack.open(
        local,
        DISCOVERY_INSTANCE,
        name="penworks-discovery",
        apdu_timeout_s=timeout_s,
    )
    devices: list[DiscoveredDevice] = []
    taken: set[str] = set()
    try:
        for address in targets:
            answers = await stack.who_is(address=address, low=low, high=high, timeout_s=timeout_s)
            if not answers:
                log.info("no device answered Who-Is at %s", address)
            for answer in answers:
                link = stack.link(
                    answer.address,
                    timeout_s=timeout_s,
                    retries=1,
                    label=f"device {answer.instance}",
                )
                poller = Poller(batch_for(answer.max_apdu))
                try:
                    devices.append(await describe_device(link, answer.instance, taken, poller))
                except BacnetFailure as exc:
                    log.warning("device %d answered Who-Is, then not: %s", answer.instance, exc)
    finally:
        stack.close()
    return Discovery(CONNECTOR, devices, connector_config(devices))


def connector_config(devices: Sequence[DiscoveredDevice]) -> dict[str, Any]:
    """The connector config that reaches the devices (validated).

    The connector binds the BACnet port, or the next one free of devices on this machine's
    loopback: bacpypes3 would take a loopback device on its own port for itself. (bacpypes3
    writes an address on the BACnet port without its port: 127.0.0.1.)
    """
    taken = {
        int(parse_device_address(address).rpartition(":")[2])
        for d in devices
        if (address := str(d.config["address"])).startswith("127.")
    }
    port = next(p for p in range(BACNET_PORT, BACNET_PORT + len(taken) + 1) if p not in taken)
    config = {
        "type": CONNECTOR,
        "name": CONNECTOR,
        "address": f"0.0.0.0/0:{port}",
        "devices": [d.config for d in devices],
    }
    BacnetConnectorConfig.model_validate(config)
    return config


async def describe_device(
    link: DeviceLink, instance: int, taken: set[str], poller: Poller | None = None
) -> DiscoveredDevice:
    """A device as a scan sees it: its name, and a point for each object points are made of."""
    device = ObjectRef("device", instance)
    try:
        label = str(plain(await link.read(device, "object-name")))
    except BacnetTimeout:
        raise
    except (BacnetFailure, PayloadError):
        label = f"device {instance}"
    name = local_id(label, taken)
    objects = [obj for obj in await object_list(link, device) if obj.info is not None]
    readings = await (poller or Poller()).read(link, [(obj, DESCRIBED) for obj in objects])
    points = [_point(reading, instance, name) for reading in readings]
    return DiscoveredDevice(
        name=name,
        label=label,
        brick=suggest_equipment(label) or DEVICE_BRICK,
        points=points,
        health_device=str(instance),
        config={"instance": instance, "address": link.address},
    )


async def object_list(link: DeviceLink, device: ObjectRef) -> list[ObjectRef]:
    """The device's object-list: whole, or item by item when the device refuses the whole."""
    try:
        return [_ref(item) for item in _items(await link.read(device, "object-list"))]
    except BacnetTimeout:
        raise
    except BacnetFailure as exc:
        log.info("%s: object-list refused whole (%s): reading it by index", link.label, exc)
    count = int(_whole(await link.read(device, "object-list", 0)))
    return [_ref(await link.read(device, "object-list", i)) for i in range(1, count + 1)]


def role(obj: ObjectRef, name: str, description: str | None, unit: str | None) -> Role | None:
    """The role of an object's present-value: from its type, a setpoint when a value says so."""
    info = obj.info
    if info is None:
        return None
    if obj.type in _MAY_BE_SETPOINT:
        plainly = suggest_brick(name, unit, description=description)
        if plainly is not None and plainly.endswith("Setpoint"):
            return "setpoint"
    return info.role


def brick(obj: ObjectRef, name: str, description: str | None, unit: str | None) -> str | None:
    """The Brick class an object suggests; an alarm object (life safety) is always an Alarm.

    A fire panel names its detectors by place and kind (Smoke Det R301, Heat Det 3F); only
    smoke has a Brick alarm class of its own, and a name like "Sprinkler Flow" must not
    make a detector a flow sensor.
    """
    its_role = role(obj, name, description, unit)
    suggested = suggest_brick(name, unit, description=description, role=its_role)
    if its_role == "alarm" and not _is_alarm(suggested):
        return ALARM_BRICK
    return suggested


def _is_alarm(brick_class: str | None) -> bool:
    return brick_class is not None and (
        brick_class == ALARM_BRICK or brick_class.endswith(f"_{ALARM_BRICK}")
    )


def _point(reading: ObjectReading, instance: int, device: str) -> DiscoveredPoint:
    obj = reading.obj
    info = obj.info
    assert info is not None
    values = reading.values
    name = _text(values.get("object-name")) or str(obj)
    description = _text(values.get("description"))
    bacnet_units = getattr(values.get("units"), "attr", None)
    unit = unit_symbol(bacnet_units)
    writable = info.command is Command.PRIORITY or (
        info.command is Command.IF_PRIORITY_ARRAY and PRIORITY_ARRAY in values
    )
    extra = {"object": str(obj), "object_type": obj.type}
    if bacnet_units is not None:
        extra["units"] = str(bacnet_units)
    return DiscoveredPoint(
        connector=CONNECTOR,
        address=f"{instance}/{obj}",
        name=name,
        kind=info.kind.value,
        unit=unit,
        suggested_brick=brick(obj, name, description, unit),
        sample=_sample(values.get(PRESENT_VALUE)),
        extra=extra,
        device=device,
        writable=writable,
        description=description,
        binding={"device": instance, "object": str(obj), "property": PRESENT_VALUE},
    )


def _items(value: object) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise BacnetFailure("object-list", f"not a list: {value!r:.60}")
    return value


def _ref(item: Any) -> ObjectRef:
    return ObjectRef(str(item[0]), int(item[1]))


def _whole(value: object) -> int:
    if not isinstance(value, int):
        raise BacnetFailure("object-list[0]", f"not a count: {value!r:.60}")
    return value


def _text(value: object) -> str | None:
    if value is None:
        return None
    try:
        text = plain(value)
    except PayloadError:
        return None
    return text.strip() or None if isinstance(text, str) else None


def _sample(value: object) -> Value | None:
    try:
        return None if value is None else plain(value)
    except PayloadError:
        return None

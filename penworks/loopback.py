"""Building 15's twin and the platform in one process, in lockstep, without protocols.

`TwinLink` is a connector whose devices are the twin's `SimDevice`s in this process: every
site point bound to a device point (its MQTT topic and path, Modbus register, BACnet object
or OPC UA node) is the link's. `sync()` publishes what the devices changed; `write` hands a
command to the device, whose refusal comes back as the `ConnectorError` a real connector
raises. Values cross as they would over the wire: the twin's server code encodes them
(registers, present-values, variants) and the connector's own code decodes them, so
register steps, float32 reals and kinds come out as through the real protocols.

`Lockstep` drives the building, the link and a `SteppedClock` together: step the building,
move the clock (rules, apps and control timers wake), publish the changes, and let the
platform settle before the next step. Nothing waits on the wall clock, so the same seed
gives the same run, a simulated week in minutes. `platform_on_twin` wires a `Platform` to
the link; `running` runs it for the body of a block.

Only benchmarks and tests use this module; no room of the platform imports it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import struct
import tempfile
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from asyncua import ua
from bacpypes3.primitivedata import Real

from penworks.bus import (
    Bus,
    MemoryBus,
    Message,
    dead_letter_subject,
    health_subject,
    observation_subject,
)
from penworks.config import (
    DEFAULT_SITE,
    ApiConfig,
    AppConfig,
    PlatformConfig,
    site_automation,
    site_sharing,
)
from penworks.connectors import DeviceHealth, DeviceState, DiscoveredPoint
from penworks.connectors.bacnet.objects import Command as BacnetCommand
from penworks.connectors.bacnet.objects import ObjectRef
from penworks.connectors.bacnet.values import encode_command
from penworks.connectors.bacnet.values import point_value as bacnet_point_value
from penworks.connectors.modbus.commands import RegistersWrite, prepare_write
from penworks.connectors.modbus.observations import point_value as modbus_point_value
from penworks.connectors.modbus.plan import Slot
from penworks.connectors.mqtt.routes import PointRoute, build_routes
from penworks.connectors.mqtt.routes import Refused as MqttRefused
from penworks.connectors.mqtt.routes import point_value as mqtt_point_value
from penworks.connectors.opcua.points import PointEntry
from penworks.connectors.opcua.values import to_variant as opcua_to_variant
from penworks.core import (
    Clock,
    CommandRejected,
    ConnectorError,
    DeadLetter,
    Observation,
    PayloadError,
    Point,
    PointKind,
    Quality,
    UnknownPointError,
    Value,
)
from penworks.core.clock import SteppedClock
from penworks.model import SiteModel
from penworks.model.schema import (
    BacnetBinding,
    Binding,
    ModbusBinding,
    MqttBinding,
    OpcuaBinding,
)
from penworks.runtime import Platform
from penworks.sim.building import STEP_S, Building
from penworks.sim.devices import PointSpec, Refusal, Refused, SimDevice
from penworks.sim.servers import modbus_codec, opcua_variables
from penworks.sim.servers.bacnet_values import from_bacnet, to_bacnet
from penworks.sim.servers.bacnet_writes import check as bacnet_check
from penworks.sim.twin import building15

log = logging.getLogger(__name__)
T = TypeVar("T")

Address = tuple[str | int, ...]
"""Where a point lives on the network: (protocol, device or server, register/object/node...)."""

PUBLISH_CHUNK = 256  # observations published before subscribers get a turn (apps drop at 1,000)
IDLE_PASSES = 8  # quiet loop passes that make the platform settled (a thread's answer: 3 or 4)
HEARTBEAT_S = 3600.0  # within the energy app's 2 h gap limit; real devices report more often
MAX_SETTLE_PASSES = 100_000  # a platform that never settles is reported, not waited on forever
_FLOAT32 = struct.Struct("f")
_LEVELS = 16
_MINIMUM_ON_OFF = 6  # the BACnet level reserved for minimum on/off times


# -- where device points are, as bindings address them ------------------------------------


def served(device: SimDevice, spec: PointSpec) -> Address:
    """Where a device serves a point, as a binding addresses it."""
    protocol = device.protocol
    if protocol == "mqtt":
        return ("mqtt", str(device.address), f"$.{spec.key}")
    if protocol == "modbus":
        if spec.modbus is None:
            raise ValueError(f"{device.name}.{spec.key} has no register")
        return ("modbus", device.name, spec.modbus.function, spec.modbus.address)
    if protocol == "bacnet":
        if spec.bacnet is None:
            raise ValueError(f"{device.name}.{spec.key} has no object")
        return ("bacnet", int(device.address), f"{spec.bacnet.type},{spec.bacnet.instance}")
    return ("opcua", device.gateway, f"ns=2;s={device.address}.{spec.key}")


def bound(binding: Binding) -> Address | None:
    """The address a binding reads (None: health and schedule points, which no device serves)."""
    if isinstance(binding, MqttBinding):
        return ("mqtt", binding.topic, binding.path)
    if isinstance(binding, ModbusBinding):
        return ("modbus", binding.device, binding.function, binding.address)
    if isinstance(binding, BacnetBinding):
        return ("bacnet", binding.device, binding.object)
    if isinstance(binding, OpcuaBinding):
        return ("opcua", binding.server, binding.node)
    return None


def health_name(device: SimDevice) -> str:
    """The device as its connector's health reports name it."""
    return {"modbus": device.name, "bacnet": str(device.address)}.get(
        device.protocol, device.gateway
    )


# -- one point: device value <-> point value, through both sides' codecs -------------------


def _float32(number: float) -> float:
    """A number as a 4-byte IEEE float carries it (a BACnet Real on the wire)."""
    return float(_FLOAT32.unpack(_FLOAT32.pack(number))[0])


class _Route:
    """One site point bound to one device point."""

    def __init__(self, point: Point, device: SimDevice, spec: PointSpec, cov: float) -> None:
        self.point = point
        self.device = device
        self.spec = spec
        self.key = spec.key
        self.subject = observation_subject(point.id)
        self.cov = cov  # analog changes smaller than this (from the last published) wait
        self.last: Value | None = None  # the value last published
        self.published: datetime | None = None  # when it was
        self.bad = False  # the last published was a bad-quality one

    def value(self, raw: Value) -> Value:
        """The point's value for a device value; ValueError (PayloadError) if it has none."""
        raise NotImplementedError

    def write(self, value: Value, priority: int | None) -> None:
        """Hand a command to the device; CommandRejected before, Refused by the device."""
        raise NotImplementedError

    def relinquish(self, priority: int | None) -> None:
        raise NotImplementedError

    def _writable(self) -> None:
        if not self.point.writable:
            raise CommandRejected(f"{self.point.id}: the point is not writable")

    def _checked(self, value: Value) -> Value:
        try:
            return self.point.check_command_value(value)
        except PayloadError as exc:
            raise CommandRejected(f"{self.point.id}: {exc}") from None


class _MqttRoute(_Route):
    """JSON keys: the value as the device puts it in its payload, decoded by the connector."""

    def __init__(
        self, point: Point, binding: MqttBinding, device: SimDevice, spec: PointSpec
    ) -> None:
        super().__init__(point, device, spec, 0.0)
        self._binding = binding
        self._decoder: PointRoute = build_routes([(point, binding)])[binding.topic].points[0]

    def value(self, raw: Value) -> Value:
        found = mqtt_point_value(self._decoder, raw)
        if isinstance(found, MqttRefused):
            raise PayloadError(found.reason)
        return found

    def write(self, value: Value, priority: int | None) -> None:
        self.device.write(self._command_key(), self._checked(value))

    def relinquish(self, priority: int | None) -> None:
        self.device.write(self._command_key(), None)  # {key: null}: back to its own control

    def _command_key(self) -> str:
        self._writable()
        if self._binding.command_topic is None:
            raise CommandRejected(f"{self.point.id}: its MQTT binding has no command_topic")
        return self._binding.command_key


class _ModbusRoute(_Route):
    """Registers: the twin's register image of the value, read by the connector's decoder."""

    def __init__(
        self, point: Point, binding: ModbusBinding, device: SimDevice, spec: PointSpec
    ) -> None:
        super().__init__(point, device, spec, 0.0)
        assert spec.modbus is not None  # served() found its register
        self._register = spec.modbus
        self._slot = Slot(point, binding)
        self._coil = binding.function in (1, 2)
        self._bit = self._coil or binding.type == "bit"

    def value(self, raw: Value) -> Value:
        answer: list[int] | list[bool]
        if self._coil:
            answer = [modbus_codec.encode_bit(raw)]
        elif self._bit:
            bit = self._register.bit or 0
            answer = [modbus_codec.with_bit(0, bit, modbus_codec.encode_bit(raw))]
        else:
            answer = list(modbus_codec.encode(self._register, raw).words)
        return modbus_point_value(self._slot, answer, self._slot.address)

    def write(self, value: Value, priority: int | None) -> None:
        request = prepare_write(self._slot, value)  # CommandRejected: read-only, range, kind
        written: Value
        if isinstance(request, RegistersWrite):
            written = modbus_codec.decode(self._register, request.registers)
        else:
            written = request.value if self.spec.kind is PointKind.BOOL else int(request.value)
        self.device.write(self.key, written)

    def relinquish(self, priority: int | None) -> None:
        raise CommandRejected(
            f"{self.point.id}: Modbus has no priority array, so there is no written value to "
            "relinquish; write the value the device should take instead"
        )


class _BacnetRoute(_Route):
    """Present-values: Reals as float32, states as numbers; commandable objects arbitrate
    their own 16 levels, as the twin's BACnet server does."""

    def __init__(
        self, point: Point, binding: BacnetBinding, device: SimDevice, spec: PointSpec
    ) -> None:
        assert spec.bacnet is not None  # served() found its object
        super().__init__(point, device, spec, spec.bacnet.cov_increment or 0.0)
        self._binding = binding
        self._type = spec.bacnet.type
        self._object = ObjectRef.parse(binding.object)
        self._levels: list[Value | None] | None = (
            [None] * _LEVELS if spec.bacnet.commandable else None
        )

    def value(self, raw: Value) -> Value:
        shown: object = to_bacnet(self._type, raw)
        if isinstance(shown, Real):
            shown = _float32(shown)
        return bacnet_point_value(self.point, shown)

    def write(self, value: Value, priority: int | None) -> None:
        at = self._priority(priority)
        try:
            encoded = encode_command(self._object, self.point.check_command_value(value))
        except PayloadError as exc:
            raise CommandRejected(f"{self.point.id}: {exc}") from None
        try:
            written = from_bacnet(encoded)
        except ValueError as exc:
            raise Refused(Refusal.WRONG_TYPE, f"{self.key}: {exc}") from None
        if isinstance(encoded, Real) and isinstance(written, float):
            written = _float32(written)
        self._command(at, written)

    def relinquish(self, priority: int | None) -> None:
        self._command(self._priority(priority), None)

    def _priority(self, priority: int | None) -> int:
        self._writable()
        info = self._object.info
        if info is None or info.command is BacnetCommand.READ_ONLY:
            raise CommandRejected(f"{self.point.id}: {self._object} takes no commands")
        at = self._binding.write_priority if priority is None else priority
        if not 1 <= at <= _LEVELS:
            raise CommandRejected(f"{self.point.id}: priority must be 1..16, got {at}")
        if at == _MINIMUM_ON_OFF:
            raise CommandRejected(f"{self.point.id}: priority 6 is reserved for minimum on/off")
        return at

    def _command(self, at: int, written: Value | None) -> None:
        levels = self._levels
        if levels is None:  # no priority-array: the value is taken as it is
            if written is None:
                raise Refused(Refusal.WRONG_TYPE, f"{self.key} has no priority-array")
            self.device.write(self.key, written)
            return
        if written is None and levels[at - 1] is None:
            return  # nothing to relinquish there
        trial = list(levels)
        trial[at - 1] = None if written is None else bacnet_check(self.spec, written)
        winner = next((v for v in trial if v is not None), None)
        before = self.device.get(self.key)
        self.device.write(self.key, winner)  # Refused leaves the levels as they were
        if winner is None:  # back to its own control: what it reports, or the default
            reported = self.device.get(self.key)
            self.device.set(self.key, reported if reported != before else self.spec.default)
        self._levels = trial


class _OpcuaRoute(_Route):
    """Variables: the twin's Variant of the value, converted by the connector's entry."""

    def __init__(
        self, point: Point, binding: OpcuaBinding, device: SimDevice, spec: PointSpec
    ) -> None:
        super().__init__(point, device, spec, binding.deadband or 0.0)
        self._binding = binding
        node = ua.NodeId.from_string(binding.node)
        self._entry = PointEntry(point, binding, node, f"{binding.server}/{binding.node}", 0)
        self._vtype = opcua_variables.variant_type(spec)

    def value(self, raw: Value) -> Value:
        variant, _ = opcua_variables.to_variant(self._vtype, raw)
        return self._entry.convert(variant.Value)

    def write(self, value: Value, priority: int | None) -> None:
        self._writable()
        binding = self._binding
        try:
            variant = opcua_to_variant(
                self._checked(value), self._vtype, binding.scale, binding.offset
            )
        except PayloadError as exc:
            raise CommandRejected(f"{self.point.id}: {exc}") from None
        try:
            written = opcua_variables.from_variant(self._vtype, variant.Value)
        except opcua_variables.Unfit as exc:
            raise Refused(Refusal.WRONG_TYPE, str(exc)) from None
        self.device.write(self.key, written)

    def relinquish(self, priority: int | None) -> None:
        self._writable()
        raise CommandRejected(
            f"{self.point.id}: OPC UA has no priority array, so a written value cannot be "
            "relinquished; write the value the node should hold instead"
        )


def _route(point: Point, binding: Binding, device: SimDevice, spec: PointSpec) -> _Route:
    if isinstance(binding, MqttBinding):
        return _MqttRoute(point, binding, device, spec)
    if isinstance(binding, ModbusBinding):
        return _ModbusRoute(point, binding, device, spec)
    if isinstance(binding, BacnetBinding):
        return _BacnetRoute(point, binding, device, spec)
    assert isinstance(binding, OpcuaBinding)  # bound() gave an address: one of the four
    return _OpcuaRoute(point, binding, device, spec)


@dataclass(slots=True)
class _Unit:
    """One device and the routes of its points, by device key."""

    device: SimDevice
    routes: dict[str, list[_Route]]
    answers: bool = False  # as of the last sync: it answers (online, and not in fault)

    def reachable(self) -> bool:
        device = self.device
        if device.protocol == "mqtt":
            return device.online  # an MQTT device in fault still publishes its values
        return device.online and device.fault is None

    def all_routes(self) -> Iterable[_Route]:
        return (r for routes in self.routes.values() for r in routes)


# -- the connector ------------------------------------------------------------------------


class TwinLink:
    """The twin's devices as one connector (a penworks.connectors.Connector), in process.

    It owns every point of `model` whose binding reaches one of `devices`; `point_ids()`
    names them, so a Platform routes their commands here. Nothing moves by itself: the
    owner calls `sync()` after each step of the building (Lockstep does).

    A point that has not been published for `heartbeat_s` is published again (None: never),
    as devices report and connectors poll all the same: readers that look for gaps (the
    energy app flags a meter silent for 2 h) see none where the real protocols leave none.
    """

    def __init__(
        self,
        devices: Iterable[SimDevice],
        model: SiteModel,
        bus: Bus,
        clock: Clock,
        *,
        name: str = "twin",
        heartbeat_s: float | None = HEARTBEAT_S,
    ) -> None:
        if heartbeat_s is not None and heartbeat_s <= 0:
            raise ValueError(f"heartbeat_s must be positive (or None), not {heartbeat_s}")
        self.name = name
        self._heartbeat = None if heartbeat_s is None else timedelta(seconds=heartbeat_s)
        self._next_beat: datetime | None = None
        self._bus = bus
        self._clock = clock
        self._dead_subject = dead_letter_subject(name)
        at: dict[Address, tuple[SimDevice, PointSpec]] = {}
        for device in devices:
            for spec in device.type.points:
                at[served(device, spec)] = (device, spec)
        units: dict[str, _Unit] = {}
        self._routes: dict[str, _Route] = {}
        for point in model.points():
            binding = model.binding(point.id)
            address = None if binding is None else bound(binding)
            if binding is None or address is None or address not in at:
                continue  # schedule and health points, and points of devices not here
            device, spec = at[address]
            route = _route(point, binding, device, spec)
            self._routes[point.id] = route
            unit = units.setdefault(device.name, _Unit(device, {}))
            unit.routes.setdefault(spec.key, []).append(route)
        self._units = list(units.values())
        self._unit_of = {id(r): u for u in self._units for r in u.all_routes()}
        self._first = True
        self._state = DeviceState.OFFLINE
        self._reached = {state: asyncio.Event() for state in DeviceState}
        self._reached[DeviceState.OFFLINE].set()
        self._last_sync: datetime | None = None
        self.counts: dict[str, int] = dict.fromkeys(
            (
                "syncs",
                "observations",
                "bad_observations",
                "below_cov",
                "heartbeats",
                "dead_letters",
                "writes",
                "relinquishes",
                "refused",
                "commands_rejected",
            ),
            0,
        )

    def point_ids(self) -> list[str]:
        """The points this link owns (every point bound to one of its devices)."""
        return list(self._routes)

    # -- publishing ----------------------------------------------------------------------

    async def sync(self) -> int:
        """Publish what the devices changed since the last sync (everything, the first
        time); how many observations that made. Analog changes below a point's COV
        increment (BACnet) or deadband (OPC UA) wait until they add up to one."""
        ts = self._clock.now()
        out: list[tuple[str, Message]] = []
        first, self._first = self._first, False
        for unit in self._units:
            self._sync_unit(unit, ts, first, out)
        if self._heartbeat is not None:
            self._beat(self._heartbeat, ts, out)
        self._last_sync = ts
        self.counts["syncs"] += 1
        await self._publish(out)
        return sum(1 for _, m in out if isinstance(m, Observation))

    def _sync_unit(
        self, unit: _Unit, ts: datetime, first: bool, out: list[tuple[str, Message]]
    ) -> None:
        device = unit.device
        changed = device.take_changes()
        was, now = unit.answers, unit.reachable()
        if was != now or first:
            unit.answers = now
            self._health_report(unit, ts, out)
        if not now:
            if device.protocol != "mqtt":  # an MQTT device that is gone just falls silent
                for route in unit.all_routes():
                    self._bad(route, ts, out)
            return
        keys: Iterable[str] = unit.routes if first or not was else changed
        routes = unit.routes
        values = device.values
        for key in keys:
            for route in routes.get(key, ()):
                self._observe(route, values[key], ts, out, force=first or route.bad)

    def _beat(self, every: timedelta, ts: datetime, out: list[tuple[str, Message]]) -> None:
        """Publish again what has been quiet for `every` (looked at 4 times per `every`)."""
        if self._next_beat is not None and ts < self._next_beat:
            return
        self._next_beat = ts + every / 4
        due = ts - every
        for unit in self._units:
            if not unit.answers:
                continue
            values = unit.device.values
            for key, routes in unit.routes.items():
                for route in routes:
                    if route.published is not None and route.published <= due and not route.bad:
                        self.counts["heartbeats"] += 1
                        self._observe(route, values[key], ts, out, force=True)

    def _observe(
        self,
        route: _Route,
        raw: Value,
        ts: datetime,
        out: list[tuple[str, Message]],
        *,
        force: bool = False,
    ) -> None:
        try:
            value = route.value(raw)
        except ValueError as exc:  # PayloadError, and what the twin's encoders refuse
            self._dead_letter(route, raw, ts, str(exc), out)
            return
        last = route.last
        if not force and last is not None:
            if value == last:
                return
            if (
                route.cov  # only analog points have one: never a bool
                and isinstance(value, int | float)
                and isinstance(last, int | float)
                and abs(value - last) < route.cov
            ):
                self.counts["below_cov"] += 1
                return
        route.last, route.published, route.bad = value, ts, False
        self.counts["observations"] += 1
        out.append((route.subject, Observation(route.point.id, ts, value)))

    def _bad(self, route: _Route, ts: datetime, out: list[tuple[str, Message]]) -> None:
        """A device that stopped answering: its points go bad with their last value, once."""
        if route.bad or route.last is None:
            return
        route.bad = True
        self.counts["bad_observations"] += 1
        out.append((route.subject, Observation(route.point.id, ts, route.last, Quality.BAD)))

    def _dead_letter(
        self, route: _Route, raw: Value, ts: datetime, reason: str, out: list[tuple[str, Message]]
    ) -> None:
        channel = f"{route.device.name}/{route.key}"
        letter = DeadLetter(
            self.name, channel, ts, f"{route.point.id}: {reason}", repr(raw).encode()
        )
        self.counts["dead_letters"] += 1
        out.append((self._dead_subject, letter))

    def _health_report(self, unit: _Unit, ts: datetime, out: list[tuple[str, Message]]) -> None:
        """What the device's own connector would report, for the site's health points."""
        device = unit.device
        if device.protocol in ("mqtt", "opcua"):  # a broker, a server: up all along
            return
        health = self._health_of(unit, ts)
        out.append((health_subject(device.protocol), health.to_json()))

    def _health_of(self, unit: _Unit, ts: datetime | None) -> DeviceHealth:
        device = unit.device
        if not device.online:
            state = DeviceState.OFFLINE
        elif device.fault is not None:
            state = DeviceState.DEGRADED
        else:
            state = DeviceState.ONLINE
        return DeviceHealth(
            connector=device.protocol,
            device=health_name(device),
            state=state,
            last_contact=ts if state is not DeviceState.OFFLINE else None,
            errors=0,
            detail=device.fault or "",
        )

    async def _publish(self, out: Sequence[tuple[str, Message]]) -> None:
        publish = self._bus.publish
        for start in range(0, len(out), PUBLISH_CHUNK):
            for subject, message in out[start : start + PUBLISH_CHUNK]:
                await publish(subject, message)
            if len(out) > PUBLISH_CHUNK:
                # Subscribers take what is queued before more comes: an app's queue drops
                # the oldest beyond 1,000, and a first sync publishes every point.
                await asyncio.sleep(0)

    # -- the Connector contract -------------------------------------------------------------

    async def run(self) -> None:
        """Nothing to connect to or poll: online until cancelled (Lockstep drives sync)."""
        self._set_state(DeviceState.ONLINE)
        try:
            await asyncio.Event().wait()
        finally:
            self._set_state(DeviceState.OFFLINE)

    async def read(self, point_id: str) -> Observation | None:
        """The point's value on its device now."""
        route = self._routes.get(point_id)
        if route is None:
            raise UnknownPointError(point_id)
        ts = self._clock.now()
        if not self._unit_of[id(route)].reachable() and route.device.protocol != "mqtt":
            return (
                None if route.last is None else Observation(point_id, ts, route.last, Quality.BAD)
            )
        try:
            return Observation(point_id, ts, route.value(route.device.get(route.key)))
        except ValueError:
            return None

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        """Write to the device and publish what it then holds (the read-back).

        CommandRejected before the device sees it (not ours, not writable, a value the
        protocol cannot carry); ConnectorError with the device's reason if it refuses."""
        route = self._command_route(point_id)
        await self._command(route, lambda: route.write(value, priority), f"= {value!r}")
        self.counts["writes"] += 1

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
        """Give up the written value (the device returns to its own control)."""
        route = self._command_route(point_id)
        await self._command(route, lambda: route.relinquish(priority), "relinquished")
        self.counts["relinquishes"] += 1

    def _command_route(self, point_id: str) -> _Route:
        route = self._routes.get(point_id)
        if route is None:
            self.counts["commands_rejected"] += 1
            raise CommandRejected(f"{point_id}: not a point of connector {self.name}")
        return route

    async def _command(self, route: _Route, apply: Callable[[], None], what: str) -> None:
        try:
            apply()
        except CommandRejected:
            self.counts["commands_rejected"] += 1
            raise
        except Refused as exc:
            self.counts["refused"] += 1
            raise ConnectorError(
                f"{self.name}: {route.device.name} refused {route.point.id} {what}: "
                f"{exc.refusal}: {exc.detail}"
            ) from None
        # A real controller reports its new state at once, COV or not: the read-back that
        # confirms the write, and the commanded value in history.
        out: list[tuple[str, Message]] = []
        value, now = route.device.get(route.key), self._clock.now()
        for sibling in self._unit_of[id(route)].routes.get(route.key, ()):
            self._observe(sibling, value, now, out, force=True)
        await self._publish(out)

    async def scan(self, seconds: float) -> list[DiscoveredPoint]:
        return []  # the twin's devices are known from the model: nothing to discover

    async def wait_state(self, state: DeviceState) -> None:
        await self._reached[state].wait()

    def _set_state(self, state: DeviceState) -> None:
        if state is not self._state:
            self._reached[self._state].clear()
            self._state = state
            self._reached[state].set()

    def health(self) -> list[DeviceHealth]:
        """Each device as its own connector would name it (MQTT devices and OPC UA
        servers have no health of their own)."""
        return [
            self._health_of(u, self._last_sync)
            for u in self._units
            if u.device.protocol in ("modbus", "bacnet")
        ]

    def stats(self) -> dict[str, int]:
        return {**self.counts, "points": len(self._routes), "devices": len(self._units)}


# -- lockstep -------------------------------------------------------------------------------


class _TrackedExecutor(ThreadPoolExecutor):
    """The loop's default executor (asyncio.to_thread), counting work whose answer has not
    reached the loop yet: SQLite reads and writes of history and journal run there, and the
    platform has not settled while one is out."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(thread_name_prefix="penworks-lockstep")
        self._loop = weakref.ref(loop)  # the loop is the key that finds this executor
        self.busy = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        # The caller gets a future of its own, answered before the work is counted back, so
        # the answer is on the loop's queue first: a worker thread can lose the GIL between
        # two callbacks, and the loop must not see "idle" with the answer still on its way.
        handed: Future[T] = Future()
        work = super().submit(fn, *args, **kwargs)
        self.busy += 1
        self.idle.clear()
        work.add_done_callback(lambda done: self._finished(done, handed))
        return handed

    def _finished(self, work: Future[T], handed: Future[T]) -> None:
        with contextlib.suppress(InvalidStateError):  # the caller gave up (cancelled) meanwhile
            if work.cancelled():
                handed.cancel()
            elif (error := work.exception()) is not None:
                handed.set_exception(error)
            else:
                handed.set_result(work.result())
        loop = self._loop()
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._returned)

    def _returned(self) -> None:
        self.busy -= 1
        if self.busy == 0:
            self.idle.set()


_EXECUTORS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _TrackedExecutor] = (
    weakref.WeakKeyDictionary()
)


def _tracked_executor() -> _TrackedExecutor:
    loop = asyncio.get_running_loop()
    executor = _EXECUTORS.get(loop)
    if executor is None:
        executor = _EXECUTORS[loop] = _TrackedExecutor(loop)
        loop.set_default_executor(executor)
    return executor


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a lockstep run is: after each sync."""

    now: datetime  # the building's and the clock's time
    syncs: int  # syncs so far in this run_until
    observations: int  # observations published so far in this run_until
    wall_s: float  # wall seconds since this run_until began


@dataclass(frozen=True, slots=True)
class LockstepRun:
    """What one run_until did."""

    start: datetime
    end: datetime
    syncs: int
    observations: int
    wall_s: float
    settle_passes: int = 0
    unsettled: int = 0  # syncs after which the platform had not settled (MAX_SETTLE_PASSES)


class Lockstep:
    """The building, the link, the clock and the bus moved together, one sync at a time."""

    def __init__(
        self,
        building: Building,
        link: TwinLink,
        clock: SteppedClock,
        bus: MemoryBus,
        *,
        idle_passes: int = IDLE_PASSES,
    ) -> None:
        if clock.now() != building.now:
            raise ValueError(f"the clock is at {clock.now()}, the building at {building.now}")
        if idle_passes < 1:
            raise ValueError("idle_passes must be at least 1")
        self.building = building
        self.link = link
        self.clock = clock
        self.bus = bus
        self.idle_passes = idle_passes
        self._synced = False

    async def run_until(
        self,
        when: datetime,
        sync_every_s: float = 60.0,
        progress: Callable[[Progress], None] | None = None,
    ) -> LockstepRun:
        """Run the building and the platform up to `when` (to the building's last step at or
        before it). Each round steps the building by `sync_every_s` (a whole number of the
        building's 30 s steps), moves the clock there, publishes the changes and waits
        until the platform has settled; `progress` is called after each round."""
        steps = sync_every_s / STEP_S
        if sync_every_s <= 0 or not steps.is_integer():
            raise ValueError(f"sync_every_s must be a multiple of {STEP_S:g} s, not {sync_every_s}")
        every = timedelta(seconds=sync_every_s)
        began, start = time.perf_counter(), self.clock.now()
        syncs = observations = passes = unsettled = 0
        if not self._synced:  # the platform first hears every point as it is now
            self._synced = True
            observations += await self.link.sync()
            settled = await self.settle()
            passes, unsettled = passes + abs(settled), unsettled + (settled < 0)
        while True:
            self.building.advance_to(min(self.building.now + every, when))
            if self.building.now <= self.clock.now():
                break  # no whole step left before `when`
            self.clock.advance_to(self.building.now)
            observations += await self.link.sync()
            settled = await self.settle()
            passes, unsettled = passes + abs(settled), unsettled + (settled < 0)
            syncs += 1
            if progress is not None:
                wall = time.perf_counter() - began
                progress(Progress(self.clock.now(), syncs, observations, wall))
        return LockstepRun(
            start=start,
            end=self.clock.now(),
            syncs=syncs,
            observations=observations,
            wall_s=time.perf_counter() - began,
            settle_passes=passes,
            unsettled=unsettled,
        )

    async def settle(self) -> int:
        """Wait until the platform has nothing left to do at this instant (see `settle`)."""
        return await settle(self.bus, self.idle_passes)


async def settle(bus: Bus, idle_passes: int = IDLE_PASSES) -> int:
    """Wait until nothing is left to do at this instant: every bus subscription delivered,
    every thread's answer back (SQLite), and `idle_passes` loop passes in a row in which
    nothing moved. The loop passes it took; negative if it gave up after MAX_SETTLE_PASSES
    (something keeps busy for ever)."""
    executor = _tracked_executor()
    stats = bus.stats
    quiet = passes = 0
    before = _bus_state(stats())
    while quiet < idle_passes:
        if executor.busy:
            await executor.idle.wait()
            quiet = 0
            continue
        await asyncio.sleep(0)
        passes += 1
        after = _bus_state(stats())
        # A queue nobody reads (a live view without its viewer) stays as it is: quiet.
        moved = after != before or executor.busy
        quiet = 0 if moved else quiet + 1
        before = after
        if passes >= MAX_SETTLE_PASSES:
            log.warning("lockstep: the platform did not settle in %d passes", passes)
            return -passes
    return passes


def _bus_state(stats: Sequence[Any]) -> tuple[tuple[int, int], ...]:
    """What moves on the bus: per subscription, delivered so far and queued now."""
    return tuple((s.delivered, s.depth) for s in stats)


# -- wiring ---------------------------------------------------------------------------------


def platform_on_twin(
    config: PlatformConfig, building: Building, model: SiteModel
) -> tuple[Platform, Lockstep]:
    """A Platform whose devices are the twin's, in lockstep with it on a SteppedClock.

    The config's own connectors (usually none) run as well; the link owns every point
    bound to a twin device. Run the platform (`running`), then `lockstep.run_until(...)`.
    """
    clock = SteppedClock(building.now)
    bus = MemoryBus()
    link = TwinLink(building.devices(), model, bus, clock)
    platform = Platform(config, clock, model, links=[link], bus=bus)
    return platform, Lockstep(building, link, clock, bus)


@contextlib.asynccontextmanager
async def running(platform: Platform) -> AsyncIterator[Platform]:
    """The platform running for the body of the block: its API up, and settled (what its
    services and apps do at start, in threads too, is done). Stopped, and its history
    flushed, on the way out."""
    _tracked_executor()  # before the start, so that its threads are waited for
    ready = asyncio.Event()
    task = asyncio.create_task(platform.run(on_ready=lambda _: ready.set()), name="platform")
    waiter = asyncio.ensure_future(ready.wait())
    try:
        await asyncio.wait([waiter, task], return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # it failed to start: say why
            raise RuntimeError("the platform stopped before it was ready")
        await settle(platform.bus)
        yield platform
    finally:
        waiter.cancel()
        platform.request_stop()
        await task


# -- measuring --------------------------------------------------------------------------------


async def measure(
    start: datetime,
    days: float,
    data_dir: Path,
    *,
    seed: int = 15,
    sync_every_s: float = 60.0,
    apps: Sequence[str] = ("energy",),
    progress: Callable[[Progress], None] | None = None,
) -> LockstepRun:
    """Building 15 and the whole platform (the site's automation, `apps`) for `days`."""
    model = SiteModel.load(DEFAULT_SITE)
    config = PlatformConfig(
        site=DEFAULT_SITE,
        data_dir=data_dir,
        api=ApiConfig(port=0),
        automation=site_automation(DEFAULT_SITE),
        access=site_sharing(DEFAULT_SITE),
        apps={app: AppConfig() for app in apps},
    )
    platform, lockstep = platform_on_twin(config, building15(start, seed=seed), model)
    async with running(platform):
        return await lockstep.run_until(start + timedelta(days=days), sync_every_s, progress)


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m penworks.loopback`: how long simulated days take in lockstep, with the
    site's automation and the energy app."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument("--start", default="2026-07-13T00:00:00+08:00")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--sync-every", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--apps", default="energy", help="comma-separated app ids, or ''")
    args = parser.parse_args(argv)
    start = datetime.fromisoformat(args.start)
    apps = [a for a in args.apps.split(",") if a]
    per_day = round(86_400 / args.sync_every)

    def daily(at: Progress) -> None:
        if at.syncs % per_day == 0:
            print(f"  {at.now.isoformat()}: {at.wall_s:.1f} s, {at.observations} observations")

    with tempfile.TemporaryDirectory(prefix="penworks-loopback-") as data:
        run = asyncio.run(
            measure(
                start,
                args.days,
                Path(data),
                seed=args.seed,
                sync_every_s=args.sync_every,
                apps=apps,
                progress=daily,
            )
        )
    rate = run.observations / run.wall_s if run.wall_s else 0.0
    print(
        f"{args.days:g} simulated day(s) from {start.isoformat()}: {run.wall_s:.1f} s wall, "
        f"{run.syncs} syncs, {run.observations} observations ({rate:,.0f}/s)"
    )


if __name__ == "__main__":
    main()

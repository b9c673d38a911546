"""Lighting: a room controller per zone and fan-coil room, with occupancy and daylight.

Each controller (MQTT 'b15/<floor>/<space>/light') switches on occupancy and dims against
daylight as physics.update_lights does, with an occupancy sensor that holds 'occupied' for
HOLD_S after the last person leaves (AFTER_HOURS_HOLD_S after the sweep). The lobby is lit
by schedule from 07:00 to 20:00 and the exhibition hall in its opening hours (09:00-18:00)
on working days. At 20:00 on working days a sweep clears manual levels and switches off
every room nobody is in; afterwards only occupancy brings lights on.

A written level (or mode 'manual'/'off') holds until the room's occupancy changes; null or
mode 'auto' returns to automatic. Daylight reaching the room drops with the blinds
('<place>.blinds_pct' of the last step). LEFT_ON (target: a zone place): the room's lights
stay on at full level in manual mode, sweep or not, until the scenario ends.

With Controls.FIXED every controller is a time switch instead (physics.scheduled_lights):
its room at 100 % from 07:00 to 20:00 on working days (FIXED_LIGHTS_H), off otherwise,
whoever is there, with no daylight dimming and no sweep. The occupancy sensor still reports,
and a written level (or mode) holds until it is written again or released.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from penworks.core import PointKind, Value
from penworks.sim.controls import Controls
from penworks.sim.devices import DeviceType, PointSpec, Refusal, Refused, SimDevice
from penworks.sim.physics import LIGHT_W_PER_M2, Zone, scheduled_lights, update_lights
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.spaces_common import ROOMS, ZONE_PLACES, Room, mqtt_device, working_hours
from penworks.sim.world import World

HOLD_S = 15 * 60.0
AFTER_HOURS_HOLD_S = 5 * 60.0
SWEEP_H = 20.0
DAY_START_H = 7.0
SCHEDULED_H: dict[str, tuple[float, float]] = {"f1/lobby": (7.0, 20.0), "f1/hall": (9.0, 18.0)}
FIXED_LIGHTS_H = (7.0, 20.0)  # every room's time switch under Controls.FIXED
BLINDS_DAYLIGHT_CUT = 0.8  # share of daylight that closed blinds keep out
LEFT_ON_LEVEL = 100.0
MODES = ("auto", "manual", "off")

LIGHT_CONTROLLER = DeviceType(
    "LC-420 room lighting controller",
    "mqtt",
    (
        PointSpec(
            "level",
            unit="%",
            description="Light level; a write holds (under occupancy control until occupancy "
            "changes), null is automatic",
            writable=True,
            min=0.0,
            max=100.0,
        ),
        PointSpec("occupied", PointKind.BOOL, description="Occupancy (with hold)", default=False),
        PointSpec("lux", unit="lux", description="Illuminance at the work plane", default=0),
        PointSpec("power", unit="W", description="Power drawn by the luminaires"),
        PointSpec(
            "mode",
            PointKind.TEXT,
            description="auto (occupancy and daylight, or the time schedule), manual (level "
            "held) or off (held off)",
            writable=True,
            default="auto",
        ),
    ),
    vendor="Lumo Controls",
)


@dataclass(slots=True)
class _Controller:
    room: Room
    device: SimDevice
    zone: Zone  # what physics.update_lights works on
    vacant_s: float = 1e9
    occupied: bool = False  # as the sensor reports it (with hold)
    left_on: bool = False


class Lighting:
    name = "lighting"

    def __init__(self, seed: int, controls: Controls = Controls.LOCAL) -> None:
        self.seed = seed  # nothing random: lights follow people, daylight and the schedule
        self.controls = controls
        self._controllers = [self._controller(room) for room in ROOMS]
        self._keys = {
            c.room.place: (f"{c.room.place}.light_pct", f"{c.room.place}.lux")
            for c in self._controllers
        }
        self._blinds_keys = {c.room.place: f"{c.room.place}.blinds_pct" for c in self._controllers}
        self._after_hours = False

    def _controller(self, room: Room) -> _Controller:
        zone = Zone(room.zone_spec(), temp_c=22.0)
        device = mqtt_device(room, "light", f"Lights {room.place}", LIGHT_CONTROLLER)
        controller = _Controller(room, device, zone)
        device.on_write = lambda key, value: _command(controller, key, value)
        return controller

    def devices(self) -> list[SimDevice]:
        return [c.device for c in self._controllers]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {ScenarioKind.LEFT_ON: list(ZONE_PLACES)}

    def step(self, world: World) -> None:
        # a time switch has no sweep: a held level waits for its release
        sweep = self._sweep_due(world) and self.controls is Controls.LOCAL
        loads: dict[tuple[str, str | None], float] = defaultdict(float)
        for c in self._controllers:
            self._step_controller(c, world, sweep)
            watts = c.room.area_m2 * LIGHT_W_PER_M2 * c.zone.light_pct / 100
            c.device.set("power", round(watts, 1))
            loads[(c.room.floor, c.room.tenant)] += watts / 1000
        for (floor, tenant), kw in loads.items():
            world.power.draw(kw, "lighting", floor, tenant)

    def _sweep_due(self, world: World) -> bool:
        """True at the step that crosses 20:00 on a working day; after hours until 07:00."""
        hour = world.hour
        after = hour >= SWEEP_H or hour < DAY_START_H
        sweep = after and not self._after_hours and world.working_day and hour >= SWEEP_H
        self._after_hours = after
        return sweep

    def _step_controller(self, c: _Controller, world: World, sweep: bool) -> None:
        place = c.room.place
        people = world.people.in_place(place)
        c.vacant_s = 0.0 if people else c.vacant_s + world.dt
        if sweep:
            c.zone.light_override = None
            c.vacant_s = max(c.vacant_s, HOLD_S)
        hold = AFTER_HOURS_HOLD_S if self._after_hours else HOLD_S
        fixed = self.controls is Controls.FIXED
        occupied_before = c.occupied
        c.occupied = people > 0 or c.vacant_s < hold
        if not fixed and place in SCHEDULED_H:
            c.occupied |= working_hours(world.local, *SCHEDULED_H[place])
        c.zone.people = max(people, 1) if c.occupied else 0  # the sensor's view, with hold
        left_on = world.scenarios.at(ScenarioKind.LEFT_ON, place) is not None
        if left_on:
            c.zone.light_override = LEFT_ON_LEVEL
            occupied_before = c.occupied  # nothing clears it while the scenario lasts
        elif c.left_on:
            c.zone.light_override = None  # someone finally switched them back to automatic
        c.left_on = left_on
        blinds = float(world.shared.get(self._blinds_keys[place], 0.0))
        weather = world.weather
        if blinds > 0:
            cut = 1 - BLINDS_DAYLIGHT_CUT * blinds / 100
            weather = replace(weather, solar_w_m2=weather.solar_w_m2 * cut)
        if fixed:
            scheduled_lights(c.zone, working_hours(world.local, *FIXED_LIGHTS_H), weather)
        else:
            update_lights(c.zone, occupied_before, weather)
        self._publish(c, world)

    def _publish(self, c: _Controller, world: World) -> None:
        level = round(c.zone.light_pct, 1)
        lux = round(c.zone.lux)
        c.device.set("level", level)
        c.device.set("occupied", c.occupied)
        c.device.set("lux", lux)
        c.device.set("mode", _mode(c.zone.light_override))
        pct_key, lux_key = self._keys[c.room.place]
        world.shared[pct_key] = level
        world.shared[lux_key] = float(lux)


def _command(c: _Controller, key: str, value: Value | None) -> None:
    """What the controller does with an accepted write (PointSpec has checked the range)."""
    if key == "level":
        c.zone.light_override = None if value is None else float(value)
        c.device.set("mode", _mode(c.zone.light_override))
        return
    if value is None or value == "auto":
        c.zone.light_override = None
    elif value == "manual":
        c.zone.light_override = c.zone.light_pct
    elif value == "off":
        c.zone.light_override = 0.0
    else:
        raise Refused(Refusal.OUT_OF_RANGE, f"mode takes {', '.join(MODES)}, not {value!r}")
    if value is None:
        c.device.set("mode", "auto")


def _mode(override: float | None) -> str:
    """The mode a light level override means: none auto, 0 off, any other level manual."""
    return "auto" if override is None else ("off" if override == 0 else "manual")

"""Fan-coil units of Building 15's small rooms (Modbus TCP, gateway gw_fcu, unit ids 1-8).

One four-pipe fan-coil unit per room of layout.SMALL_ROOMS (unit ids in that order), each run
by an FC-200 room thermostat (hvac_fcu_devices): on/off, mode, fan speed and setpoint held in
its registers. The focus rooms' thermostats follow their weekly program (on at 8:00, off at
19:00 on working days: a write holds until the next switching time); the security office and
the server room run around the clock, the server room cooling its 4 kW of IT equipment
('it.load_kw' if a system shares it) to 22 degC. Each room is a room of the RC model with its
people, lights and sun, and on the office floors its share of the floor's fresh air.
Readings shared: '<place>.temp', '.rh', '.co2' per room; the coils' loads on the water plant
(see hvac_shared). Loads drawn: the fans ('hvac', the room's floor and tenant).
Scenario LEFT_ON (a focus room's place): the unit stays on through the night (switched on if
it was off) until the scenario ends, then follows its program again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from penworks.core import Value
from penworks.sim.devices import SimDevice
from penworks.sim.layout import FLOOR_TENANTS, SMALL_ROOMS, SmallRoom
from penworks.sim.people import place
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.hvac_ahu import occupied_hours
from penworks.sim.systems.hvac_coil import cooling_coil, heating_coil
from penworks.sim.systems.hvac_fcu_devices import FAN_COIL_THERMOSTAT, FanSpeed, FcuMode
from penworks.sim.systems.hvac_psychro import humidity_ratio
from penworks.sim.systems.hvac_room import AirStream, Room, settled_ratio, settled_temp_c
from penworks.sim.systems.hvac_shared import (
    SpaceAir,
    WaterLoad,
    number,
    plant_water_c,
)
from penworks.sim.world import World

GATEWAY = "gw_fcu"
PROGRAM_ON_H = 8.0
PROGRAM_OFF_H = 19.0
SERVER_IT_KW = 4.0
SERVER_SETPOINT_C = 22.0
GAIN_PCT_PER_K = 50.0
INTEGRAL_PCT_PER_K_MIN = 2.0
AUTO_CHANGEOVER_K = 0.5
STAGE_SHARE = {FanSpeed.LOW: 0.5, FanSpeed.MEDIUM: 0.75, FanSpeed.HIGH: 1.0}
STAGE_POWER = {FanSpeed.LOW: 0.35, FanSpeed.MEDIUM: 0.6, FanSpeed.HIGH: 1.0}
SECURITY_FRESH_AIR_LS = 10.0  # a through-wall ventilator


@dataclass(frozen=True, slots=True)
class _Size:
    cooling_kw: float
    heating_kw: float
    flow_m3s: float  # at high speed
    fan_w: float  # at high speed
    window_share: float


SIZES = {
    "focus": _Size(3.5, 3.0, 0.22, 70.0, 0.2),
    "security": _Size(3.5, 3.0, 0.25, 80.0, 0.15),
    "server": _Size(8.0, 2.0, 0.60, 200.0, 0.0),
}


@dataclass(slots=True)
class _Unit:
    spec: SmallRoom
    size: _Size
    air: SpaceAir
    device: SimDevice
    sensor_offset_k: float
    always_on: bool
    tenant: str | None
    ventilator: bool  # a through-wall ventilator brings its outdoor air (no fresh-air unit)
    scheduled: bool | None = None  # the program's state at the last step
    left_on: bool = False
    heating: bool = False  # auto mode's current choice
    integral: float = 0.0

    @property
    def place(self) -> str:
        return self.air.where

    @property
    def room(self) -> Room:
        return self.air.room

    @property
    def reading_c(self) -> float:
        return self.air.room.temp_c + self.sensor_offset_k


class Fcu:
    name = "fcu"

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}:{self.name}")
        self._units = [_unit(i, spec, rng) for i, spec in enumerate(SMALL_ROOMS)]
        self._settled = False

    def devices(self) -> list[SimDevice]:
        return [u.device for u in self._units]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {ScenarioKind.LEFT_ON: [u.place for u in self._units if u.spec.use == "focus"]}

    def step(self, world: World) -> None:
        weather = world.weather
        outdoor_ratio = humidity_ratio(weather.temp_c, weather.rh_pct)
        if not self._settled:
            self._settle(world, outdoor_ratio)
        chw_c, hhw_c = plant_water_c(world.shared)
        water = WaterLoad()
        for unit in self._units:
            _follow_program(unit, world)
            supply = _run_unit(unit, world.dt, chw_c, hhw_c, water)
            _step_room(unit, world, outdoor_ratio, supply)
        water.publish(world.shared, self.name)

    def _settle(self, world: World, outdoor_ratio: float) -> None:
        """Start from rooms as they would be now: conditioned in use, drifted when not."""
        in_use = occupied_hours(world.hour, world.working_day)
        for unit in self._units:
            base = settled_temp_c(world.weather.daily_mean_c, in_use or unit.always_on)
            if unit.spec.use == "server":
                base = SERVER_SETPOINT_C
            unit.room.temp_c = base
            unit.room.humidity_ratio = settled_ratio(base, outdoor_ratio)
        self._settled = True


def _unit(index: int, spec: SmallRoom, rng: random.Random) -> _Unit:
    where = place(spec.floor, spec.space)
    size = SIZES[spec.use]
    values: dict[str, Value] = {}
    if spec.use == "server":
        values = {"power": True, "mode": int(FcuMode.COOL), "setpoint": SERVER_SETPOINT_C}
    device = SimDevice(
        name=f"fcu_{spec.space}",
        label=f"FCU-{spec.space.upper()}",
        type=FAN_COIL_THERMOSTAT,
        address=index + 1,
        gateway=GATEWAY,
        location=where,
        values=values,
    )
    room = Room(spec.area_m2, spec.area_m2 * 3.0, spec.area_m2 * size.window_share, 24.0, 0.009)
    air = SpaceAir(room, spec.floor, spec.space)
    always_on = spec.use != "focus"
    if always_on:
        device.set("power", True)
    return _Unit(
        spec,
        size,
        air,
        device,
        rng.gauss(0.0, 0.15),
        always_on,
        FLOOR_TENANTS.get(spec.floor),
        ventilator=spec.use == "security" and not air.has_fresh_air,
    )


def _follow_program(unit: _Unit, world: World) -> None:
    """Switch at the program's times; a left-on unit stays on until the scenario ends."""
    device = unit.device
    if unit.always_on:
        return
    scheduled = world.working_day and PROGRAM_ON_H <= world.hour < PROGRAM_OFF_H
    if scheduled != unit.scheduled:
        device.set("power", scheduled)
        unit.scheduled = scheduled
    left_on = world.scenarios.at(ScenarioKind.LEFT_ON, unit.place) is not None
    if left_on:
        device.set("power", True)
    elif unit.left_on:
        device.set("power", scheduled)
    unit.left_on = left_on


def _run_unit(
    unit: _Unit, dt: float, chw_c: float, hhw_c: float, water: WaterLoad
) -> AirStream | None:
    """The thermostat's loop, fan and valves; the air it blows (its coils' loads to `water`)."""
    device, size = unit.device, unit.size
    if not device.get("power"):
        unit.integral = 0.0
        _show_unit(unit, None, 0.0, 0.0)
        return None
    mode = FcuMode(int(device.get("mode")))
    setpoint = float(device.get("setpoint"))
    error = unit.reading_c - setpoint
    if mode is FcuMode.AUTO:
        if error > AUTO_CHANGEOVER_K:
            unit.heating = False
        elif error < -AUTO_CHANGEOVER_K:
            unit.heating = True
    else:
        unit.heating = mode is FcuMode.HEAT
    demand = 0.0
    if mode is not FcuMode.FAN:
        signed = -error if unit.heating else error
        unit.integral = max(
            0.0, min(100.0, unit.integral + INTEGRAL_PCT_PER_K_MIN * signed * dt / 60)
        )
        demand = max(0.0, min(100.0, GAIN_PCT_PER_K * signed + unit.integral))
    stage = _fan_stage(FanSpeed(int(device.get("fan_speed"))), demand)
    flow = size.flow_m3s * STAGE_SHARE[stage]
    room = unit.room
    cool = cooling_coil(
        flow,
        room.temp_c,
        room.humidity_ratio,
        target_c=room.temp_c,
        water_c=chw_c,
        capacity_kw=size.cooling_kw * STAGE_SHARE[stage],
        valve_override=0.0 if unit.heating else demand,
    )
    heat = heating_coil(
        flow,
        cool.leaving_c,
        cool.leaving_ratio,
        target_c=cool.leaving_c,
        water_c=hhw_c,
        capacity_kw=size.heating_kw * STAGE_SHARE[stage],
        valve_override=demand if unit.heating else 0.0,
    )
    _show_unit(unit, stage, cool.valve_pct, heat.valve_pct)
    water.add(cool, heat)
    return AirStream(flow, heat.leaving_c, heat.leaving_ratio, 0.0)


def _fan_stage(setting: FanSpeed, demand: float) -> FanSpeed:
    if setting is not FanSpeed.AUTO:
        return setting
    if demand < 40:
        return FanSpeed.LOW
    return FanSpeed.MEDIUM if demand < 75 else FanSpeed.HIGH


def _step_room(unit: _Unit, world: World, outdoor_ratio: float, supply: AirStream | None) -> None:
    supplies = [] if supply is None else [supply]
    if unit.ventilator:
        supplies.append(
            AirStream(SECURITY_FRESH_AIR_LS / 1000, world.weather.temp_c, outdoor_ratio, 1.0)
        )
    it_w = 0.0
    if unit.spec.use == "server":
        it_w = 1000 * number(world.shared, "it.load_kw", SERVER_IT_KW)
    _, rh = unit.air.step(world, outdoor_ratio, supplies, extra_gains_w=it_w)
    stage = int(unit.device.get("fan_status"))
    if stage:
        fan_kw = unit.size.fan_w * STAGE_POWER[FanSpeed(stage)] / 1000
        world.power.draw(fan_kw, "hvac", unit.spec.floor, unit.tenant)
    unit.device.set("room_temp", round(unit.reading_c, 1))
    unit.device.set("room_humidity", round(rh, 1))


def _show_unit(unit: _Unit, stage: FanSpeed | None, cooling: float, heating: float) -> None:
    device = unit.device
    device.set("cooling_valve", round(cooling))
    device.set("heating_valve", round(heating))
    device.set("fan_status", 0 if stage is None else int(stage))
    device.set("fault_code", 0)

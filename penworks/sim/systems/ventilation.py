"""Ventilation of Building 15 (BACnet/IP, devices 15301-15309): fresh air, toilet and smoke exhaust.

A dedicated fresh-air unit per office floor (f2-f4) brings 100 % outdoor air, cooled and
dried (or heated) to its supply setpoint, to the floor's rooms by their seats; it runs in
occupied hours (and whenever a room's CO2 climbs well past its setpoint) with its fan speed
following the floor's worst room CO2 against its setpoint (demand-controlled ventilation).
This is the offices' outdoor-air source: HvacAir and Fcu read 'ventilation.<floor>.
fresh_air_ls', '.supply_temp' and '.supply_g_kg'. A toilet exhaust fan per floor runs in
occupied hours. Two smoke-exhaust fans (atrium, stairs) run only on fire alarm ('fire.alarm')
or when started by hand; on alarm every other fan stops.
Loads drawn: fresh-air fans ('hvac', its floor and tenant), toilet fans ('hvac', floor),
smoke fans ('hvac', roof). Readings shared: see hvac_shared.
With Controls.FIXED a fresh-air unit's demand control is off: it runs at design flow in
occupied hours and no CO2 wakes it, until the network commands its 'co2_setpoint': then it
works to that setpoint as above, until relinquished. In both modes a commanded
'supply_fan_speed_command' sets the fan speed while the unit runs (at least MIN_SPEED_PCT),
and a commanded 'supply_fan_command' starts or stops it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from penworks.sim.controls import Controls
from penworks.sim.devices import SimDevice
from penworks.sim.layout import FLOOR_TENANTS, OFFICE_FLOORS
from penworks.sim.people import floor_of
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.hvac_ahu import occupied_hours
from penworks.sim.systems.hvac_coil import cooling_coil, heating_coil
from penworks.sim.systems.hvac_commands import Commands, commanded_device
from penworks.sim.systems.hvac_psychro import humidity_ratio
from penworks.sim.systems.hvac_shared import (
    FRESH_AIR_SHARE,
    WaterLoad,
    fire_alarm,
    fresh_air_key,
    fresh_supply_ratio_key,
    fresh_supply_temp_key,
    number,
    plant_water_c,
)
from penworks.sim.systems.hvac_ventilation_devices import EXHAUST_FAN, FRESH_AIR_UNIT, SMOKE_FAN
from penworks.sim.world import World

PAU_DESIGN_LS = 800.0
PAU_FAN_KW = 1.5
PAU_COOLING_KW = 60.0
PAU_HEATING_KW = 30.0
MIN_SPEED_PCT = 30.0
GAIN_PCT_PER_PPM = 0.25
INTEGRAL_PCT_PER_PPM_MIN = 0.01
WAKE_ABOVE_PPM = 200.0  # out of hours, a room this far above setpoint starts the unit
SLEEP_BELOW_PPM = 200.0  # and it stops once every room is this far below
HEATING_DEADBAND_K = 1.0
CLEAN_FILTER_PA = 50.0
FILTER_ALARM_PA = 200.0
FILTER_LOADING_PA_PER_H = 0.03
SENSOR_LAG_S = 1800.0
TOILET_FAN_KW = 0.37
TOILET_FAN_LS = 300.0
SMOKE_FANS = (("atrium", 15308, 15.0, 15000.0), ("stair", 15309, 11.0, 9000.0))
TOILET_FLOORS = ("f1", "f2", "f3", "f4")


@dataclass(slots=True)
class _FreshAirUnit:
    floor: str
    tenant: str | None
    co2_keys: tuple[str, ...]  # '<place>.co2' of the rooms it serves
    shared_keys: tuple[str, str, str]  # what it tells the rooms: flow, temperature, humidity
    device: SimDevice
    commands: Commands
    filter_loading_pa: float
    integral: float = 0.0
    awake: bool = False  # started out of hours by a room's CO2
    speed_pct: float = 0.0
    supply_c: float = 20.0
    supply_ratio: float = 0.008


@dataclass(frozen=True, slots=True)
class _Outdoor:
    """What every fresh-air unit works with in a step: outdoor air and the plant's water."""

    temp_c: float
    ratio: float
    chw_c: float
    hhw_c: float


@dataclass(slots=True)
class _Fan:
    device: SimDevice
    commands: Commands
    floor: str
    kw: float
    airflow_ls: float


class Ventilation:
    name = "ventilation"

    def __init__(self, seed: int, controls: Controls = Controls.LOCAL) -> None:
        rng = random.Random(f"{seed}:{self.name}")
        self.controls = controls
        self._units = [self._unit(i, floor, rng) for i, floor in enumerate(OFFICE_FLOORS)]
        self._toilet_fans = [
            _Fan(
                *commanded_device(
                    f"toilet_exhaust_{floor}", f"TEF-{floor.upper()}", EXHAUST_FAN, 15304 + i, floor
                ),
                floor,
                TOILET_FAN_KW,
                TOILET_FAN_LS,
            )
            for i, floor in enumerate(TOILET_FLOORS)
        ]
        self._smoke_fans = [
            _Fan(
                *commanded_device(
                    f"smoke_exhaust_{where}",
                    f"SEF-{where.upper()}",
                    SMOKE_FAN,
                    instance,
                    "roof/roof",
                ),
                "roof",
                kw,
                airflow,
            )
            for where, instance, kw, airflow in SMOKE_FANS
        ]

    @staticmethod
    def _unit(index: int, floor: str, rng: random.Random) -> _FreshAirUnit:
        device, commands = commanded_device(
            f"fresh_air_{floor}", f"PAU-{floor.upper()}", FRESH_AIR_UNIT, 15301 + index, "roof/roof"
        )
        co2_keys = tuple(f"{p}.co2" for p in FRESH_AIR_SHARE if floor_of(p) == floor)
        shared_keys = (
            fresh_air_key(floor),
            fresh_supply_temp_key(floor),
            fresh_supply_ratio_key(floor),
        )
        return _FreshAirUnit(
            floor,
            FLOOR_TENANTS.get(floor),
            co2_keys,
            shared_keys,
            device,
            commands,
            rng.uniform(10.0, 100.0),
        )

    def devices(self) -> list[SimDevice]:
        fans = self._toilet_fans + self._smoke_fans
        return [u.device for u in self._units] + [f.device for f in fans]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}

    def step(self, world: World) -> None:
        fire = fire_alarm(world.shared)
        in_hours = occupied_hours(world.hour, world.working_day)
        weather = world.weather
        outdoor_ratio = humidity_ratio(weather.temp_c, weather.rh_pct)
        outdoor = _Outdoor(weather.temp_c, outdoor_ratio, *plant_water_c(world.shared))
        water = WaterLoad()
        for unit in self._units:
            self._step_unit(unit, world, fire, in_hours, outdoor, water)
        water.publish(world.shared, self.name)
        for fan in self._toilet_fans:
            command = fan.commands.flag("fan_command", in_hours)
            _show_fan(fan, world, command and not fire, command)
            fan.device.set("fire_shutdown", fire)
        smoke = False
        for fan in self._smoke_fans:
            command = fan.commands.flag("fan_command", fire)
            running = fire or command  # the fire panel's start is hard-wired
            smoke |= running
            _show_fan(fan, world, running, command)
            fan.device.set("fire_mode", fire)
            fan.device.set("smoke_damper_open", running)
        world.shared["ventilation.smoke_exhaust"] = smoke

    def _step_unit(
        self,
        unit: _FreshAirUnit,
        world: World,
        fire: bool,
        in_hours: bool,
        outdoor: _Outdoor,
        water: WaterLoad,
    ) -> None:
        """One fresh-air unit for a step, its coils' loads added to `water`."""
        commands, shared = unit.commands, world.shared
        setpoint = commands.number("co2_setpoint", 800.0)
        worst = max(number(shared, key, 420.0) for key in unit.co2_keys)
        # a commanded setpoint is how a platform app turns demand control on in a fixed building
        demand_controlled = self.controls is Controls.LOCAL or commands.held("co2_setpoint")
        if not demand_controlled:
            unit.awake = False
        elif worst > setpoint + WAKE_ABOVE_PPM:
            unit.awake = True
        elif worst < setpoint - SLEEP_BELOW_PPM:
            unit.awake = False
        command = commands.flag("supply_fan_command", in_hours or unit.awake)
        running = command and not fire
        if demand_controlled:
            _demand_control(unit, running, worst - setpoint, world.dt)
        else:
            unit.speed_pct = 100.0 if running else 0.0  # design flow
        speed_command = commands.override("supply_fan_speed_command")
        if running and speed_command is not None:
            unit.speed_pct = max(MIN_SPEED_PCT, speed_command)
        _condition(unit, outdoor, world.dt, running, water)
        fan_kw = PAU_FAN_KW * (unit.speed_pct / 100) ** 3
        if fan_kw > 0:
            world.power.draw(fan_kw, "hvac", unit.floor, unit.tenant)
        unit.filter_loading_pa += FILTER_LOADING_PA_PER_H * unit.speed_pct / 100 * world.dt / 3600
        filter_dp = (CLEAN_FILTER_PA + unit.filter_loading_pa) * (unit.speed_pct / 100) ** 2
        flow_ls = PAU_DESIGN_LS * unit.speed_pct / 100
        flow_key, temp_key, ratio_key = unit.shared_keys
        shared[flow_key] = round(flow_ls, 1)
        shared[temp_key] = round(unit.supply_c, 2)
        shared[ratio_key] = round(unit.supply_ratio * 1000, 3)
        device = unit.device
        device.set("supply_air_temp", round(unit.supply_c, 1))
        device.set("outside_air_temp", round(world.weather.temp_c, 1))
        device.set("supply_airflow", float(round(flow_ls)))
        device.set("supply_fan_speed", round(unit.speed_pct, 1))
        device.set("supply_fan_speed_command", round(unit.speed_pct, 1))
        device.set("supply_fan_power", round(fan_kw, 2))
        device.set("filter_dp", float(round(filter_dp)))
        device.set("worst_zone_co2", float(round(worst)))
        device.set("co2_setpoint", setpoint)
        device.set("supply_fan_command", command)
        device.set("supply_fan_status", running)
        device.set("fire_shutdown", fire)
        device.set("filter_alarm", filter_dp > FILTER_ALARM_PA)


def _demand_control(unit: _FreshAirUnit, running: bool, error_ppm: float, dt: float) -> None:
    """Fan speed from the worst room's CO2 against the setpoint: a PI loop above a minimum."""
    if not running:
        unit.integral = unit.speed_pct = 0.0
        return
    step = INTEGRAL_PCT_PER_PPM_MIN * error_ppm * dt / 60
    unit.integral = max(0.0, min(100.0 - MIN_SPEED_PCT, unit.integral + step))
    speed = MIN_SPEED_PCT + GAIN_PCT_PER_PPM * error_ppm + unit.integral
    unit.speed_pct = max(MIN_SPEED_PCT, min(100.0, speed))


def _condition(
    unit: _FreshAirUnit, outdoor: _Outdoor, dt: float, running: bool, water: WaterLoad
) -> None:
    """Cool and dry (or heat) the outdoor air to the supply setpoint."""
    commands = unit.commands
    flow = PAU_DESIGN_LS * unit.speed_pct / 100 / 1000
    setpoint = commands.number("supply_air_temp_setpoint", 16.0)
    cool = cooling_coil(
        flow,
        outdoor.temp_c,
        outdoor.ratio,
        target_c=setpoint,
        water_c=outdoor.chw_c,
        capacity_kw=PAU_COOLING_KW,
        valve_override=commands.override("cooling_valve"),
    )
    wants_heat = cool.leaving_c < setpoint - HEATING_DEADBAND_K
    heat = heating_coil(
        flow,
        cool.leaving_c,
        cool.leaving_ratio,
        target_c=setpoint if wants_heat else cool.leaving_c,
        water_c=outdoor.hhw_c,
        capacity_kw=PAU_HEATING_KW,
        valve_override=commands.override("heating_valve"),
    )
    if running:
        unit.supply_c, unit.supply_ratio = heat.leaving_c, heat.leaving_ratio
    else:  # the supply sensor in still air drifts to outdoors
        unit.supply_c += (outdoor.temp_c - unit.supply_c) * min(1.0, dt / SENSOR_LAG_S)
        unit.supply_ratio = outdoor.ratio
    unit.device.set("cooling_valve", round(cool.valve_pct, 1))
    unit.device.set("heating_valve", round(heat.valve_pct, 1))
    unit.device.set("supply_air_temp_setpoint", setpoint)
    water.add(cool, heat)


def _show_fan(fan: _Fan, world: World, running: bool, command: bool) -> None:
    if running:
        world.power.draw(fan.kw, "hvac", fan.floor)
    fan.device.set("airflow", fan.airflow_ls if running else 0.0)
    fan.device.set("fan_command", command)
    fan.device.set("fan_status", running)

"""Backup power: the UPS of the server room and security systems, and the diesel generator.

The UPS (double conversion, 20 kVA / 18 kW) carries the 'it' and 'security' loads drawn
before it on the ledger and adds its own losses as 'it' on f1. It runs on battery when
the mains fail (input below 80 % of nominal), its charge falling with the load, and
recharges when they return. The generator in auto starts when the mains fail and, every
Monday 10:00-10:15, for its weekly exercise run off load (running, 0 kW). In manual mode
a written start command runs it; a start command in auto or off is refused, as the
controller does. Both on gw_power, Modbus registers as the vendors' manuals list them.
"""

from __future__ import annotations

import math
import random
from enum import IntEnum

from penworks.core import PointKind, Value
from penworks.sim.devices import (
    DeviceType,
    ModbusRegister,
    PointSpec,
    Refusal,
    Refused,
    SimDevice,
)
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.power_points import reading, scaled, status
from penworks.sim.world import World

GATEWAY = "gw_power"
UPS_UNIT = 40
GENERATOR_UNIT = 41
NOMINAL_V = 230.0
MAINS_FAIL_V = 0.8 * NOMINAL_V

UPS_RATED_KW = 18.0
UPS_OUTPUT_PF = 0.95
UPS_BATTERY_KWH = 12.0  # usable
UPS_INVERTER_EFF = 0.93
UPS_FLOAT_V = 436.8  # 32 blocks of 12 V at 2.275 V/cell
UPS_RECHARGE_KW = 2.0
UPS_LOW_BATTERY_PCT = 25.0

EXERCISE_DAY = 0  # Monday
EXERCISE_HOURS = (10.0, 10.25)
TANK_L = 800.0
IDLE_FUEL_L_PER_H = 3.5
FUEL_L_PER_KWH = 0.27
LOW_FUEL_PCT = 25.0
COOL_DOWN_S = 60.0
START_DELAY_S = 10.0  # mains must stay off this long before an auto start
JACKET_C = 40.0  # the jacket heater keeps a standing engine ready to take load
RUNNING_C = 82.0
ENGINE_TAU_S = 600.0
RATED_RPM = 1500.0
CRANKING_RPM = 600.0


class EngineState(IntEnum):
    STOPPED = 0
    STARTING = 1
    RUNNING = 2
    COOLING_DOWN = 3


class Mode(IntEnum):
    OFF = 0
    AUTO = 1
    MANUAL = 2


UPS = DeviceType(
    "UPS-20 double-conversion UPS",
    "modbus",
    (
        scaled("input_voltage", "V", 0, 0.1, "Input voltage"),
        scaled("input_frequency", "Hz", 1, 0.01, "Input frequency"),
        scaled("output_voltage", "V", 2, 0.1, "Output voltage"),
        scaled("output_frequency", "Hz", 3, 0.01, "Output frequency"),
        scaled("output_current", "A", 4, 0.1, "Output current per phase"),
        scaled("output_power", "kW", 5, 0.01, "Output active power"),
        scaled("load", "%", 6, 0.1, "Load, % of rated power"),
        scaled("battery_charge", "%", 7, 0.1, "Battery charge"),
        scaled("battery_voltage", "V", 8, 0.1, "Battery voltage"),
        scaled("battery_temperature", "degC", 9, 0.1, "Battery temperature"),
        scaled("runtime", "min", 10, 1.0, "Estimated runtime on battery at this load"),
        status("on_battery", 0, "Running on battery"),
        status("on_bypass", 1, "Load on static bypass"),
        status("battery_low", 2, "Battery low"),
        status("overload", 3, "Output overload"),
        status("battery_fault", 4, "Battery needs replacing"),
        status("general_alarm", 5, "Any alarm"),
    ),
)

GENERATOR = DeviceType(
    "GC-300 generator controller",
    "modbus",
    (
        scaled("engine_state", None, 0, 1.0, "0 stopped, 1 starting, 2 running, 3 cooling down"),
        scaled("engine_speed", "rpm", 1, 1.0, "Engine speed"),
        scaled("oil_pressure", "kPa", 2, 1.0, "Oil pressure"),
        scaled("coolant_temperature", "degC", 3, 0.1, "Coolant temperature"),
        scaled("fuel_level", "%", 4, 0.1, "Fuel level in the day tank"),
        scaled("battery_voltage", "V", 5, 0.1, "Starter battery voltage"),
        scaled("output_voltage", "V", 6, 0.1, "Generator voltage L-N"),
        scaled("output_frequency", "Hz", 7, 0.01, "Generator frequency"),
        scaled("output_power", "kW", 8, 0.1, "Generator active power"),
        reading("running_hours", "h", 9, "Engine running hours", kind="uint32", scale=0.01),
        reading("starts", None, 11, "Engine starts", kind="uint32"),
        PointSpec(
            "mode",
            PointKind.NUMBER,
            None,
            "Control mode: 0 off, 1 auto, 2 manual",
            writable=True,
            min=0,
            max=2,
            default=float(Mode.AUTO),
            modbus=ModbusRegister(3, 0, "uint16"),
        ),
        PointSpec(
            "start_command",
            PointKind.BOOL,
            None,
            "Remote start (manual mode only)",
            writable=True,
            default=False,
            modbus=ModbusRegister(3, 1, "uint16"),
        ),
        status("running", 0, "Engine running"),
        status("common_alarm", 1, "Any alarm or warning"),
        status("low_fuel", 2, "Fuel level low"),
        status("not_in_auto", 3, "Controller not in auto: will not start on mains failure"),
    ),
)


class Backup:
    """The UPS and the generator (Modbus, gw_power)."""

    name = "backup"

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}:backup")
        self.ups = SimDevice(
            name="ups",
            label="Server room UPS",
            type=UPS,
            address=UPS_UNIT,
            gateway=GATEWAY,
            location="f1/srv",
        )
        self.generator = SimDevice(
            name="generator",
            label="Standby diesel generator",
            type=GENERATOR,
            address=GENERATOR_UNIT,
            gateway=GATEWAY,
            location="b1/plant",
            on_write=self._generator_write,
        )
        self.charge_pct = 100.0
        self.fuel_l = TANK_L * rng.uniform(0.7, 0.95)
        self.running_h = round(rng.uniform(60, 160), 2)
        self.starts = rng.randint(80, 200)
        self.engine = EngineState.STOPPED
        self.coolant_c = JACKET_C
        self._cooling_s = 0.0
        self._mains_off_s = 0.0

    def devices(self) -> list[SimDevice]:
        return [self.ups, self.generator]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}

    def _generator_write(self, key: str, value: Value | None) -> None:
        if key == "start_command" and value and self.generator.get("mode") != Mode.MANUAL:
            raise Refused(Refusal.OUT_OF_RANGE, "remote start needs the controller in manual")
        if key == "mode" and isinstance(value, int | float) and value != int(value):
            raise Refused(Refusal.OUT_OF_RANGE, f"mode is 0 off, 1 auto or 2 manual, not {value}")
        if key == "mode" and value != Mode.MANUAL:
            self.generator.set("start_command", False)

    def step(self, world: World) -> None:
        mains_v = float(world.shared.get("grid.voltage_v", NOMINAL_V))
        mains_ok = mains_v >= MAINS_FAIL_V
        self._mains_off_s = 0.0 if mains_ok else self._mains_off_s + world.dt
        self._step_generator(world, mains_ok)
        on_generator = not mains_ok and self.engine is EngineState.RUNNING
        supplied = mains_ok or on_generator
        out_kw = _protected_load_kw(world)
        in_kw = self._step_ups(world, out_kw, supplied, mains_v if mains_ok else NOMINAL_V)
        if mains_ok:
            world.power.draw(in_kw - out_kw, "it", "f1")  # the UPS's own losses and charging
        gen_kw = in_kw if on_generator else 0.0
        self._publish_generator(world, gen_kw)
        world.shared["ups.on_battery"] = not supplied
        world.shared["generator.running"] = self.engine is EngineState.RUNNING

    # -- UPS ------------------------------------------------------------------------------

    def _step_ups(self, world: World, out_kw: float, supplied: bool, in_v: float) -> float:
        """Advance the UPS; the power it takes from its input (kW)."""
        dt_h = world.dt / 3600
        losses = 0.35 + 0.035 * out_kw
        recharge = 0.0
        if supplied:
            if self.charge_pct < 100.0:
                recharge = UPS_RECHARGE_KW
                self.charge_pct += recharge * dt_h / UPS_BATTERY_KWH * 100
            self.charge_pct = min(100.0, self.charge_pct)
        else:
            drawn = out_kw / UPS_INVERTER_EFF * dt_h
            self.charge_pct = max(0.0, self.charge_pct - drawn / UPS_BATTERY_KWH * 100)
        ups = self.ups
        load_pct = out_kw / UPS_RATED_KW * 100
        out_v = NOMINAL_V + world.rng.gauss(0, 0.2) if self.charge_pct > 0 or supplied else 0.0
        ups.set("input_voltage", round(in_v, 1) if supplied else 0.0)
        ups.set(
            "input_frequency", float(world.shared.get("grid.freq_hz", 50.0)) if supplied else 0.0
        )
        ups.set("output_voltage", round(out_v, 1))
        ups.set("output_frequency", 50.0)
        ups.set("output_current", round(out_kw * 1000 / (3 * NOMINAL_V * UPS_OUTPUT_PF), 1))
        ups.set("output_power", round(out_kw, 2))
        ups.set("load", round(load_pct, 1))
        ups.set("battery_charge", round(self.charge_pct, 1))
        battery_v = UPS_FLOAT_V if supplied else 384.0 * (0.9 + 0.15 * self.charge_pct / 100)
        ups.set("battery_voltage", round(battery_v + world.rng.gauss(0, 0.2), 1))
        room_c = float(world.shared.get("f1/srv.temp", 22.0))
        ups.set("battery_temperature", round(room_c + 1.5, 1))
        usable_kwh = UPS_BATTERY_KWH * self.charge_pct / 100 * UPS_INVERTER_EFF
        runtime = usable_kwh / out_kw * 60 if out_kw > 0 else 999.0
        ups.set("runtime", float(min(999, math.floor(runtime))))
        low = self.charge_pct < UPS_LOW_BATTERY_PCT
        ups.set("on_battery", not supplied)
        ups.set("battery_low", low)
        ups.set("overload", load_pct > 100)
        ups.set("general_alarm", (not supplied) or low or load_pct > 100)
        return out_kw + losses + recharge

    # -- generator --------------------------------------------------------------------------

    def _step_generator(self, world: World, mains_ok: bool) -> None:
        mode = Mode(int(self.generator.get("mode")))
        local = world.local
        start, end = EXERCISE_HOURS
        exercise = local.weekday() == EXERCISE_DAY and start <= world.hour < end
        needed = self._mains_off_s >= START_DELAY_S
        wanted = (mode is Mode.AUTO and (exercise or needed)) or (
            mode is Mode.MANUAL and bool(self.generator.get("start_command"))
        )
        engine = self.engine
        if mode is Mode.OFF:
            self.engine = EngineState.STOPPED
        elif wanted:
            if engine in (EngineState.STOPPED, EngineState.COOLING_DOWN):
                if engine is EngineState.STOPPED:
                    self.starts += 1
                self.engine = EngineState.STARTING
            else:
                self.engine = EngineState.RUNNING
        elif engine in (EngineState.RUNNING, EngineState.STARTING):
            self.engine, self._cooling_s = EngineState.COOLING_DOWN, 0.0
        elif engine is EngineState.COOLING_DOWN:
            self._cooling_s += world.dt
            if self._cooling_s >= COOL_DOWN_S:
                self.engine = EngineState.STOPPED
        running = self.engine in (EngineState.RUNNING, EngineState.COOLING_DOWN)
        if running:
            self.running_h += world.dt / 3600
        target = RUNNING_C if running else JACKET_C
        self.coolant_c += (target - self.coolant_c) * (1 - math.exp(-world.dt / ENGINE_TAU_S))

    def _publish_generator(self, world: World, gen_kw: float) -> None:
        gen = self.generator
        engine = self.engine
        running = engine in (EngineState.RUNNING, EngineState.COOLING_DOWN)
        if running:
            fuel = (IDLE_FUEL_L_PER_H + FUEL_L_PER_KWH * gen_kw) * world.dt / 3600
            self.fuel_l = max(0.0, self.fuel_l - fuel)
        noise = world.rng.gauss
        speed = RATED_RPM if running else CRANKING_RPM if engine is EngineState.STARTING else 0.0
        gen.set("engine_state", float(engine))
        gen.set("engine_speed", float(round(speed + (noise(0, 3) if speed else 0.0))))
        gen.set("oil_pressure", float(round(390 + noise(0, 5))) if running else 0.0)
        gen.set("coolant_temperature", round(self.coolant_c, 1))
        fuel_pct = self.fuel_l / TANK_L * 100
        gen.set("fuel_level", round(fuel_pct, 1))
        battery = {EngineState.STARTING: 21.5, EngineState.RUNNING: 28.1}.get(engine, 27.2)
        gen.set("battery_voltage", round(battery + noise(0, 0.05), 1))
        gen.set("output_voltage", round(NOMINAL_V + noise(0, 0.5), 1) if running else 0.0)
        hz = 50.0 + noise(0, 0.03) if running else 0.0  # its own governor, not the grid
        gen.set("output_frequency", round(hz, 2))
        gen.set("output_power", round(gen_kw, 1))
        gen.set("running_hours", round(self.running_h, 2))
        gen.set("starts", float(self.starts))
        gen.set("running", engine is EngineState.RUNNING)
        not_in_auto = gen.get("mode") != Mode.AUTO
        low_fuel = fuel_pct < LOW_FUEL_PCT
        gen.set("low_fuel", low_fuel)
        gen.set("not_in_auto", not_in_auto)
        gen.set("common_alarm", low_fuel or not_in_auto)


def _protected_load_kw(world: World) -> float:
    """What the UPS output carries: the IT and security loads drawn so far this step."""
    return sum(load.kw for load in world.power.loads if load.system in ("it", "security"))

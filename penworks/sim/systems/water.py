"""Domestic water: break tank, booster set, roof tank, water meters and leak detectors.

City water enters through the main meter and a modulating float valve into the basement
break tank; the booster set (two variable-speed pumps, duty alternating daily, the second
joining at high flow) holds the riser at its pressure setpoint for the floors, sleeping at
night while its pressure vessel covers the trickle; the riser also tops up the roof tank
(the fire reserve) through its own float valve. Consumption follows people: toilets and
the kitchenette of each office floor, metered per floor, more at lunch.

WATER_LEAK at a place with a leak detector: the detector alarms, and the leak's flow adds
to the floor's; on an office floor its meter shows the unexplained base flow (the plant
room and the server room have no floor meter: the main meter sees it).
Devices on gw_water, Modbus registers as the vendors' manuals list them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from penworks.core import PointKind, Value
from penworks.sim.devices import (
    DeviceType,
    ModbusRegister,
    PointSpec,
    Refusal,
    Refused,
    SimDevice,
)
from penworks.sim.layout import OFFICE_FLOORS
from penworks.sim.people import floor_of
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.power_points import reading, status
from penworks.sim.world import World

GATEWAY = "gw_water"
PLANT = "b1/plant"
WET_CORE = "wet_core"  # toilets and kitchenette of an office floor (the site's space)
LEAK_PLACES: tuple[str, ...] = (
    PLANT,
    "f1/srv",
    *(f"{floor}/{WET_CORE}" for floor in OFFICE_FLOORS),
)
_LEAK_KEYS = {place: f"{place}.leak" for place in LEAK_PLACES}  # what the detectors share

L_PER_PERSON_H = 4.5  # toilets and kitchenette, about 40 L a working day
LUNCH_HOURS = (11.5, 13.5)
LUNCH_FACTOR = 1.6
LEAK_M3H = 0.25
BREAK_TANK_M3 = 24.0
BREAK_TANK_HEIGHT_M = 2.0
BREAK_TANK_TARGET = 0.9  # the float valve closes here
BREAK_TANK_BAND = 0.1  # and is fully open this far below
CITY_INLET_M3H = 12.0
ROOF_TANK_M3 = 18.0
ROOF_TANK_HEIGHT_M = 1.5
ROOF_REFILL_BELOW = 0.95
ROOF_REFILL_UNTIL = 0.99
ROOF_REFILL_M3H = 3.0
ROOF_LOSS_M3H = 0.004  # evaporation from the reserve
SETPOINT_BAR = 4.5
VESSEL_M3 = 0.2  # what the pressure vessel gives between stop and restart pressure
VESSEL_REFILL_M3H = 1.0
STOP_ABOVE_BAR = 0.2  # over setpoint, when the set goes to sleep
RESTART_BELOW_BAR = 0.5  # under setpoint, when it wakes
SLEEP_FLOW_M3H = 0.4
SHUTOFF_BAR = 7.0  # pump head at 50 Hz and no flow
MAX_PUMP_M3H = 12.0  # one pump's flow at 50 Hz and no head
LAG_PUMP_ABOVE_M3H = 8.0
LAG_PUMP_BELOW_M3H = 6.0
MIN_HZ, MAX_HZ = 30.0, 50.0
PUMP_EFFICIENCY = 0.55
PUMP_LOSS_KW = 0.25  # motor and drive losses at full speed
DRY_RUN_BELOW = 0.05  # of the break tank: the pumps stop to protect their seals
CONTROLLER_KW = 0.05
BAR_PER_M = 0.0981  # of water column


def _enable(key: str, address: int, what: str) -> PointSpec:
    return PointSpec(
        key,
        PointKind.BOOL,
        None,
        what,
        writable=True,
        default=True,
        modbus=ModbusRegister(1, address, "bit"),
    )


BOOSTER = DeviceType(
    "HB-2 twin-pump booster set",
    "modbus",
    (
        reading("discharge_pressure", "bar", 0, "Discharge pressure"),
        reading("suction_pressure", "bar", 2, "Suction pressure"),
        reading("flow", "m3/h", 4, "Flow delivered"),
        reading("pump1_speed", "Hz", 6, "Pump 1 drive frequency"),
        reading("pump2_speed", "Hz", 8, "Pump 2 drive frequency"),
        reading("pump1_power", "kW", 10, "Pump 1 drive power"),
        reading("pump2_power", "kW", 12, "Pump 2 drive power"),
        reading("pump1_run_hours", "h", 14, "Pump 1 running hours"),
        reading("pump2_run_hours", "h", 16, "Pump 2 running hours"),
        PointSpec(
            "lead_pump",
            PointKind.NUMBER,
            None,
            "Duty pump today (1 or 2)",
            default=1,
            modbus=ModbusRegister(4, 18, "uint16"),
        ),
        PointSpec(
            "pressure_setpoint",
            PointKind.NUMBER,
            "bar",
            "Discharge pressure setpoint",
            writable=True,
            min=3.0,
            max=6.0,
            default=SETPOINT_BAR,
            modbus=ModbusRegister(3, 0, "uint16", 0.01),
        ),
        _enable("pump1_enable", 0, "Pump 1 enabled"),
        _enable("pump2_enable", 1, "Pump 2 enabled"),
        status("pump1_running", 0, "Pump 1 running"),
        status("pump2_running", 1, "Pump 2 running"),
        status("pump1_fault", 2, "Pump 1 drive fault"),
        status("pump2_fault", 3, "Pump 2 drive fault"),
        status("dry_run_alarm", 4, "Suction tank too low: pumps stopped"),
        status("low_pressure_alarm", 5, "Discharge pressure far below setpoint"),
    ),
)


def _alarm_limit(key: str, address: int, low: float, high: float, default: float) -> PointSpec:
    return PointSpec(
        key,
        PointKind.NUMBER,
        "%",
        f"Level alarm limit ({key.split('_')[0]})",
        writable=True,
        min=low,
        max=high,
        default=default,
        modbus=ModbusRegister(3, address, "uint16", 0.1),
    )


def _tank_type(high: float, low: float) -> DeviceType:
    return DeviceType(
        "LT-80 tank level transmitter",
        "modbus",
        (
            reading("level", "%", 0, "Level, % of capacity"),
            reading("volume", "m3", 2, "Water in the tank"),
            reading("height", "m", 4, "Water depth"),
            status("high_alarm", 0, "Level above the high limit"),
            status("low_alarm", 1, "Level below the low limit"),
            _alarm_limit("high_limit", 0, 50.0, 100.0, high),
            _alarm_limit("low_limit", 1, 0.0, 50.0, low),
        ),
    )


BREAK_TANK = _tank_type(high=96.0, low=20.0)
ROOF_TANK = _tank_type(high=99.5, low=80.0)

WATER_METER = DeviceType(
    "WM-50 ultrasonic water meter",
    "modbus",
    (
        reading("volume", "m3", 0, "Volume, totalised (litres)", kind="uint32", scale=0.001),
        reading("flow", "m3/h", 2, "Flow rate"),
    ),
)

LEAK_DETECTOR = DeviceType(
    "LD-1 leak detection module",
    "modbus",
    (
        status("leak", 0, "Water on the sensing cable"),
        status("sensor_fault", 1, "Sensing cable broken or disconnected"),
    ),
)


@dataclass(slots=True)
class Tank:
    device: SimDevice
    capacity_m3: float
    height_m: float
    volume_m3: float

    @property
    def fraction(self) -> float:
        return self.volume_m3 / self.capacity_m3

    def change(self, m3: float) -> None:
        self.volume_m3 = min(self.capacity_m3, max(0.0, self.volume_m3 + m3))

    def publish(self) -> None:
        level = self.fraction * 100
        device = self.device
        device.set("level", round(level, 2))
        device.set("volume", round(self.volume_m3, 3))
        device.set("height", round(self.fraction * self.height_m, 3))
        device.set("high_alarm", level >= float(device.get("high_limit")))
        device.set("low_alarm", level <= float(device.get("low_limit")))


@dataclass(slots=True)
class Meter:
    device: SimDevice
    volume_m3: float

    def measure(self, m3h: float, dt: float) -> None:
        self.volume_m3 += m3h * dt / 3600
        self.device.set("flow", round(m3h, 3))
        self.device.set("volume", math.floor(self.volume_m3 * 1000) / 1000)


@dataclass(slots=True)
class Pumps:
    """The booster set's state between steps."""

    running: bool = False
    pumps: int = 0  # how many run
    vessel_m3: float = VESSEL_M3
    run_s: float = 0.0  # since the last start
    hours: list[float] = field(default_factory=lambda: [0.0, 0.0])  # run hours per pump


class Water:
    """Break tank, booster set, roof tank, water meters, leak detectors (Modbus, gw_water)."""

    name = "water"

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}:water")
        self.booster = self._device("booster_set", "Domestic water booster set", BOOSTER, 1, PLANT)
        self.break_tank = Tank(
            self._tank("break_tank", "Break tank", BREAK_TANK, 2, PLANT),
            BREAK_TANK_M3,
            BREAK_TANK_HEIGHT_M,
            BREAK_TANK_M3 * rng.uniform(0.82, 0.88),
        )
        self.roof_tank = Tank(
            self._tank("roof_tank", "Roof fire reserve tank", ROOF_TANK, 3, "roof/roof"),
            ROOF_TANK_M3,
            ROOF_TANK_HEIGHT_M,
            ROOF_TANK_M3 * rng.uniform(0.96, 0.99),
        )
        self.main_meter = Meter(
            self._device("water_meter_main", "Main water meter", WATER_METER, 11, PLANT),
            round(rng.uniform(5_000, 30_000), 3),
        )
        self.floor_meters = {
            floor: Meter(
                self._device(
                    f"water_meter_{floor}",
                    f"Floor {floor} water meter",
                    WATER_METER,
                    12 + i,
                    f"{floor}/{WET_CORE}",
                ),
                round(rng.uniform(1_000, 6_000), 3),
            )
            for i, floor in enumerate(OFFICE_FLOORS)
        }
        self.leak_detectors = {
            place: self._device(
                f"leak_detector_{place.replace('/', '_')}",
                f"Leak detector {place}",
                LEAK_DETECTOR,
                21 + i,
                place,
            )
            for i, place in enumerate(LEAK_PLACES)
        }
        self.pumps = Pumps(hours=[rng.uniform(3000, 9000), rng.uniform(3000, 9000)])
        self.pressure_bar = SETPOINT_BAR
        self._roof_refilling = False
        self._devices = [
            self.booster,
            self.break_tank.device,
            self.roof_tank.device,
            self.main_meter.device,
            *(m.device for m in self.floor_meters.values()),
            *self.leak_detectors.values(),
        ]

    @staticmethod
    def _device(name: str, label: str, kind: DeviceType, unit: int, where: str) -> SimDevice:
        return SimDevice(name, label, kind, unit, gateway=GATEWAY, location=where)

    def _tank(self, name: str, label: str, kind: DeviceType, unit: int, where: str) -> SimDevice:
        device = self._device(name, label, kind, unit, where)

        def check_limits(key: str, value: Value | None) -> None:
            if value is None:
                return
            high = value if key == "high_limit" else device.get("high_limit")
            low = value if key == "low_limit" else device.get("low_limit")
            if float(low) >= float(high):  # a tank whose alarms overlap alarms for ever
                raise Refused(Refusal.OUT_OF_RANGE, f"low limit {low} must be below {high}")

        device.on_write = check_limits
        return device

    def devices(self) -> list[SimDevice]:
        return list(self._devices)

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {ScenarioKind.WATER_LEAK: list(LEAK_PLACES)}

    def step(self, world: World) -> None:
        dt = world.dt
        leaks = self._leaks(world)
        floor_m3h = {floor: _use_m3h(world, floor) for floor in OFFICE_FLOORS}
        others = _use_m3h(world, "f1")  # and what leaks where no floor meter sees it
        for place, m3h in leaks.items():
            floor = floor_of(place)
            if floor in floor_m3h:
                floor_m3h[floor] += m3h
            else:
                others += m3h
        demand = sum(floor_m3h.values()) + others + self._roof_tank(dt)
        pumped = self._boost(world, demand)
        inflow = CITY_INLET_M3H * min(
            1.0, max(0.0, (BREAK_TANK_TARGET - self.break_tank.fraction) / BREAK_TANK_BAND)
        )
        self.break_tank.change((inflow - pumped) * dt / 3600)
        self.break_tank.publish()
        self.roof_tank.publish()
        self.main_meter.measure(inflow, dt)
        for floor, meter in self.floor_meters.items():
            meter.measure(floor_m3h[floor], dt)
        world.shared["water.flow_m3h"] = round(inflow, 3)
        world.shared["water.demand_m3h"] = round(demand, 3)

    def _leaks(self, world: World) -> dict[str, float]:
        """Where water leaks now (m3/h), with every detector showing what it senses."""
        leaks: dict[str, float] = {}
        for place, detector in self.leak_detectors.items():
            injection = world.scenarios.at(ScenarioKind.WATER_LEAK, place)
            detector.set("leak", injection is not None)
            world.shared[_LEAK_KEYS[place]] = injection is not None
            if injection is not None:
                leaks[place] = float(injection.params.get("flow_m3h", LEAK_M3H))
        return leaks

    def _roof_tank(self, dt: float) -> float:
        """The roof tank's float valve: what it takes from the riser (m3/h)."""
        tank = self.roof_tank
        if tank.fraction < ROOF_REFILL_BELOW:
            self._roof_refilling = True
        elif tank.fraction >= ROOF_REFILL_UNTIL:
            self._roof_refilling = False
        refill = ROOF_REFILL_M3H if self._roof_refilling else 0.0
        tank.change((refill - ROOF_LOSS_M3H) * dt / 3600)
        return refill

    def _boost(self, world: World, demand: float) -> float:
        """Run the booster set for a step; what it draws from the break tank (m3/h)."""
        booster, pumps, dt = self.booster, self.pumps, world.dt
        setpoint = float(booster.get("pressure_setpoint"))
        enabled = [n for n in (1, 2) if booster.get(f"pump{n}_enable")]
        lead = 1 + world.local.toordinal() % 2
        if lead not in enabled and enabled:
            lead = enabled[0]
        dry = self.break_tank.fraction < DRY_RUN_BELOW
        can_run = bool(enabled) and not dry
        if pumps.running:
            pumps.run_s += dt
            full = pumps.vessel_m3 >= VESSEL_M3
            if not can_run or (demand < SLEEP_FLOW_M3H and full and pumps.run_s >= 60):
                pumps.running, pumps.pumps = False, 0
        elif can_run and pumps.vessel_m3 <= 0.0:
            pumps.running, pumps.run_s, pumps.pumps = True, 0.0, 1
        flow = 0.0
        if pumps.running:
            room = (VESSEL_M3 - pumps.vessel_m3) * 3600 / dt if dt > 0 else 0.0
            refill = min(VESSEL_REFILL_M3H, room)
            flow = demand + refill
            pumps.vessel_m3 += refill * dt / 3600
            if flow > LAG_PUMP_ABOVE_M3H and len(enabled) == 2:
                pumps.pumps = 2
            elif flow < LAG_PUMP_BELOW_M3H or len(enabled) < 2:
                pumps.pumps = 1
            self.pressure_bar = setpoint + world.rng.gauss(0, 0.03)
        else:
            pumps.vessel_m3 = max(0.0, pumps.vessel_m3 - demand * dt / 3600)
            band = STOP_ABOVE_BAR + RESTART_BELOW_BAR
            self.pressure_bar = setpoint - RESTART_BELOW_BAR + band * pumps.vessel_m3 / VESSEL_M3
            if pumps.vessel_m3 <= 0.0 and not can_run:  # the riser drains to the tank's head
                self.pressure_bar = self.break_tank.fraction * BREAK_TANK_HEIGHT_M * BAR_PER_M
        running = _running_pumps(lead, enabled, pumps.pumps) if pumps.running else []
        self._publish_booster(world, flow, running, lead)
        return flow

    def _publish_booster(self, world: World, flow: float, running: list[int], lead: int) -> None:
        booster, dt = self.booster, world.dt
        suction = self.break_tank.fraction * BREAK_TANK_HEIGHT_M * BAR_PER_M
        per_pump = flow / len(running) if running else 0.0
        speed = _speed_hz(self.pressure_bar - suction, per_pump) if running else 0.0
        head = min(self.pressure_bar, _head_bar(speed, per_pump) + suction) if running else None
        pressure = head if head is not None else self.pressure_bar
        total_kw = CONTROLLER_KW
        hours = self.pumps.hours
        for n in (1, 2):
            on = n in running
            kw = _pump_kw(speed, per_pump, pressure - suction) if on else 0.0
            total_kw += kw
            if on:
                hours[n - 1] += dt / 3600
            booster.set(f"pump{n}_running", on)
            booster.set(f"pump{n}_speed", round(speed, 1) if on else 0.0)
            booster.set(f"pump{n}_power", round(kw, 3))
            booster.set(f"pump{n}_run_hours", round(hours[n - 1], 2))
        setpoint = float(booster.get("pressure_setpoint"))
        booster.set("discharge_pressure", round(pressure, 2))
        booster.set("suction_pressure", round(suction, 3))
        booster.set("flow", round(flow, 3))
        booster.set("lead_pump", lead)
        booster.set("dry_run_alarm", self.break_tank.fraction < DRY_RUN_BELOW)
        booster.set("low_pressure_alarm", pressure < setpoint - 1.0)
        world.power.draw(total_kw, "water", "b1")
        world.shared["water.pressure_bar"] = round(pressure, 2)


def _use_m3h(world: World, floor: str) -> float:
    """What the people on a floor use (m3/h): flushes and taps, a random share each step."""
    people = world.people.on_floor(floor)
    if not people:
        return 0.0
    start, end = LUNCH_HOURS
    lunch = LUNCH_FACTOR if start <= world.hour < end else 1.0
    return people * L_PER_PERSON_H / 1000 * lunch * world.rng.uniform(0.3, 1.7)


def _running_pumps(lead: int, enabled: list[int], count: int) -> list[int]:
    order = [lead] + [n for n in enabled if n != lead]
    return [n for n in order if n in enabled][:count]


def _head_bar(speed_hz: float, m3h: float) -> float:
    """A pump's head at a speed and flow (affinity laws on a quadratic curve)."""
    ratio = speed_hz / MAX_HZ
    return SHUTOFF_BAR * ratio**2 - SHUTOFF_BAR * (m3h / MAX_PUMP_M3H) ** 2


def _speed_hz(head_bar: float, m3h: float) -> float:
    """The drive frequency that gives a head at a flow, within the drive's range."""
    needed = (head_bar + SHUTOFF_BAR * (m3h / MAX_PUMP_M3H) ** 2) / SHUTOFF_BAR
    return min(MAX_HZ, max(MIN_HZ, MAX_HZ * math.sqrt(max(0.0, needed))))


def _pump_kw(speed_hz: float, m3h: float, head_bar: float) -> float:
    hydraulic = m3h / 3600 * max(0.0, head_bar) * 1e5 / 1000
    return hydraulic / PUMP_EFFICIENCY + PUMP_LOSS_KW * (speed_hz / MAX_HZ) ** 3

"""HVAC water plant of Building 15 (BACnet/IP, devices 15201-15209): basement and roof.

Two water-cooled chillers (chiller1 leads), each with its own chilled-water pump (variable
primary flow) and condenser-water pump, one cooling tower on the roof, and an air-source
heat pump on the roof with its hot-water pump for the heating coils. The plant runs on the
requests of the coils (hvac_shared: '<system>.chw_request', '.hhw_request') and carries their
loads ('<system>.cooling_kw', '.heating_kw'): the second chiller starts when the first is
near full for five minutes (or at once when the running one trips) and stops when one can
carry the load. A chiller's chilled water leaves at its setpoint while it can carry its share;
beyond its capacity the water leaves warmer, and the coils (which read
'hvac_water.chw_supply_temp') cool less. Condenser water comes from the tower, which the wet
bulb bounds; the chiller's COP follows its lift and part load.
Loads drawn: chillers and pumps ('hvac', b1), the tower fan and the heat pump ('hvac', roof).
Scenario CHILLER_FAULT (chiller1, chiller2): the chiller trips (alarm, fault code, stopped);
the other takes the load, or the chilled water warms if it cannot; cleared when it ends.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from penworks.sim.devices import SimDevice
from penworks.sim.physics import HEATING_BELOW_DAILY_MEAN_C
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.hvac_ahu import occupied_hours
from penworks.sim.systems.hvac_commands import Commands, commanded_device
from penworks.sim.systems.hvac_plant import (
    CHILLER_KW,
    CHW_DESIGN_DT_K,
    CHW_FLOW_LS,
    CW_FLOW_LS,
    HHW_FLOW_LS,
    WATER_KJ_PER_L_K,
    Chiller,
    Pump,
    chiller_power_kw,
    defrosting,
    heat_pump_capacity_kw,
    heat_pump_cop,
    natural_draft_c,
    tower_speed,
)
from penworks.sim.systems.hvac_psychro import wet_bulb_c
from penworks.sim.systems.hvac_shared import CHW_SUPPLY, HHW_SUPPLY, WATER_KEYS, Shared, number
from penworks.sim.systems.hvac_water_devices import (
    CHILLER,
    COOLING_TOWER,
    FAULT_COMPRESSOR_OVERLOAD,
    FAULT_NONE,
    HEAT_PUMP,
    PUMP_DRIVE,
    show_chiller,
    show_pump,
)
from penworks.sim.world import World

PLANT_ROOM_C = 20.0  # still water in the pipes drifts to this
REQUEST_HOLD_S = 600.0  # the plant keeps running this long after the last request
STAGE_UP_PLR = 0.9
STAGE_UP_AFTER_S = 300.0
STAGE_DOWN_PLR = 0.4
STAGE_DOWN_AFTER_S = 600.0
LEAVING_LAG_S = 120.0
IDLE_LAG_S = 1800.0
BASIN_LAG_S = 600.0
HHW_LAG_S = 600.0
MIN_CHW_PUMP_SPEED = 0.4
DEFAULT_CHW_SETPOINT_C = 7.0
DEFAULT_HHW_SETPOINT_C = 45.0


@dataclass(slots=True)
class _Line:
    """A chiller with its own chilled-water and condenser-water pumps."""

    chiller: Chiller
    device: SimDevice
    commands: Commands
    chw_pump: Pump
    chw_pump_device: SimDevice
    chw_pump_commands: Commands
    cw_pump: Pump
    cw_pump_device: SimDevice
    cw_pump_commands: Commands
    wear: float  # this machine's power against the catalogue's


class HvacWater:
    name = "hvac_water"

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}:{self.name}")
        self._lines = [self._line(n, rng) for n in (1, 2)]
        self._tower, self._tower_commands = commanded_device(
            "cooling_tower", "CT-1", COOLING_TOWER, 15207, "roof/roof"
        )
        self._heat_pump, self._heat_pump_commands = commanded_device(
            "heat_pump", "ASHP-1", HEAT_PUMP, 15208, "roof/roof"
        )
        self._hhw_pump_device, self._hhw_pump_commands = commanded_device(
            "hhw_pump", "HWP-1", PUMP_DRIVE, 15209, "b1/plant"
        )
        self._hhw_pump = Pump("hhw_pump", 4.0, 120.0)
        self._chw_c = self._hhw_c = PLANT_ROOM_C
        self._basin_c = PLANT_ROOM_C
        self._chw_hold_s = self._hhw_hold_s = 0.0
        self._stage = 0
        self._up_s = self._down_s = 0.0
        self._settled = False

    @staticmethod
    def _line(n: int, rng: random.Random) -> _Line:
        chiller = Chiller(f"chiller{n}", run_hours=rng.uniform(8000, 20000))
        device, commands = commanded_device(chiller.name, f"CH-{n}", CHILLER, 15200 + n, "b1/plant")
        chw, chw_commands = commanded_device(
            f"chw_pump{n}", f"CHWP-{n}", PUMP_DRIVE, 15202 + n, "b1/plant"
        )
        cw, cw_commands = commanded_device(
            f"cw_pump{n}", f"CWP-{n}", PUMP_DRIVE, 15204 + n, "b1/plant"
        )
        return _Line(
            chiller,
            device,
            commands,
            Pump(chw.name, 5.5, 150.0),
            chw,
            chw_commands,
            Pump(cw.name, 7.5, 200.0),
            cw,
            cw_commands,
            rng.uniform(0.97, 1.05),
        )

    def devices(self) -> list[SimDevice]:
        lines = self._lines
        return [
            *(ln.device for ln in lines),
            *(ln.chw_pump_device for ln in lines),
            *(ln.cw_pump_device for ln in lines),
            self._tower,
            self._heat_pump,
            self._hhw_pump_device,
        ]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {ScenarioKind.CHILLER_FAULT: [ln.chiller.name for ln in self._lines]}

    def step(self, world: World) -> None:
        shared = world.shared
        if not self._settled:
            self._settle(world)
        cooling, heating, chw_request, hhw_request = _demand(shared)
        delivered = self._chilled_water(world, cooling, chw_request)
        shared[CHW_SUPPLY] = round(self._chw_c, 2)
        shared["hvac.cooling_kw"] = delivered
        shared["hvac.heating_kw"] = self._hot_water(world, heating, hhw_request)
        shared[HHW_SUPPLY] = round(self._hhw_c, 2)

    def _settle(self, world: World) -> None:
        """Start as the plant would be now: making water while the building is in use."""
        weather = world.weather
        in_use = occupied_hours(world.hour, world.working_day)
        heating_season = weather.daily_mean_c < HEATING_BELOW_DAILY_MEAN_C
        self._chw_c = DEFAULT_CHW_SETPOINT_C if in_use else PLANT_ROOM_C
        self._hhw_c = DEFAULT_HHW_SETPOINT_C if in_use and heating_season else PLANT_ROOM_C
        for line in self._lines:
            line.chiller.leaving_c = line.chiller.return_c = self._chw_c
        self._basin_c = wet_bulb_c(weather.temp_c, weather.rh_pct) + 2.0
        self._settled = True

    # -- chilled water -----------------------------------------------------------------------

    def _chilled_water(self, world: World, load_kw: float, request: bool) -> float:
        dt = world.dt
        self._chw_hold_s = REQUEST_HOLD_S if request else max(0.0, self._chw_hold_s - dt)
        for line in self._lines:
            fault = world.scenarios.at(ScenarioKind.CHILLER_FAULT, line.chiller.name)
            line.chiller.tripped = fault is not None
            line.chiller.fault_code = FAULT_NONE if fault is None else FAULT_COMPRESSOR_OVERLOAD
        self._stage_chillers(load_kw, dt)
        available = [ln for ln in self._lines if _available(ln)]
        lead = available[: self._stage]
        for line in self._lines:
            enable = line.commands.flag("enable", line in lead)
            line.chiller.running = enable and line in available
        running = [ln for ln in self._lines if ln.chiller.running]
        share = load_kw / len(running) if running else 0.0
        delivered = 0.0
        for line in self._lines:
            delivered += self._run_line(line, share if line.chiller.running else 0.0, dt)
        self._mix_header(running, dt)
        self._condenser(world, dt)
        for line in self._lines:
            setpoint = line.commands.number("chw_supply_setpoint", DEFAULT_CHW_SETPOINT_C)
            show_chiller(
                line.device,
                line.chiller,
                line.commands.flag("enable", line in lead),
                setpoint,
            )
            show_pump(line.chw_pump_device, line.chw_pump)
            show_pump(line.cw_pump_device, line.cw_pump)
            for kw in (line.chiller.power_kw, line.chw_pump.power_kw, line.cw_pump.power_kw):
                if kw > 0:
                    world.power.draw(kw, "hvac", "b1")
        return delivered

    def _stage_chillers(self, load_kw: float, dt: float) -> None:
        """How many chillers the load needs (the plant's own staging, with delays)."""
        if self._chw_hold_s <= 0:
            self._stage, self._up_s, self._down_s = 0, 0.0, 0.0
            return
        stage = max(1, self._stage)
        running = [ln for ln in self._lines if ln.chiller.running]
        if stage == 1 and running and load_kw > STAGE_UP_PLR * CHILLER_KW:
            self._up_s += dt
        else:
            self._up_s = 0.0
        if stage == 2 and load_kw < STAGE_DOWN_PLR * 2 * CHILLER_KW:
            self._down_s += dt
        else:
            self._down_s = 0.0
        if self._up_s >= STAGE_UP_AFTER_S:
            stage, self._up_s = 2, 0.0
        elif self._down_s >= STAGE_DOWN_AFTER_S:
            stage, self._down_s = 1, 0.0
        self._stage = stage

    def _run_line(self, line: _Line, load_kw: float, dt: float) -> float:
        """One chiller and its pumps for a step; the cooling it delivers (kW)."""
        chiller, chw, cw = line.chiller, line.chw_pump, line.cw_pump
        chw.running = line.chw_pump_commands.flag("start_stop", chiller.running)
        cw.running = line.cw_pump_commands.flag("start_stop", chiller.running)
        need = load_kw / (WATER_KJ_PER_L_K * CHW_DESIGN_DT_K * CHW_FLOW_LS)
        chw.speed = max(MIN_CHW_PUMP_SPEED, min(1.0, need)) if chw.running else 0.0
        cw.speed = 1.0 if cw.running else 0.0
        if not chiller.running:
            chiller.load_kw = chiller.power_kw = chiller.cop = chiller.flow_ls = 0.0
            chiller.leaving_c += (PLANT_ROOM_C - chiller.leaving_c) * min(1.0, dt / IDLE_LAG_S)
            chiller.return_c = chiller.leaving_c
            return 0.0
        if chiller.flow_ls == 0:  # starting: loop water fills the idle evaporator
            chiller.leaving_c = self._chw_c
        chiller.flow_ls = chw.speed * CHW_FLOW_LS
        chiller.load_kw = min(load_kw, CHILLER_KW)
        setpoint = line.commands.number("chw_supply_setpoint", DEFAULT_CHW_SETPOINT_C)
        short = (load_kw - chiller.load_kw) / (WATER_KJ_PER_L_K * chiller.flow_ls)
        target = setpoint + short
        chiller.leaving_c += (target - chiller.leaving_c) * min(1.0, dt / LEAVING_LAG_S)
        chiller.return_c = chiller.leaving_c + load_kw / (WATER_KJ_PER_L_K * chiller.flow_ls)
        power, _ = chiller_power_kw(chiller.load_kw, chiller.leaving_c, chiller.cw_out_c)
        chiller.power_kw = power * line.wear
        chiller.cop = chiller.load_kw / chiller.power_kw if chiller.power_kw > 0 else 0.0
        chiller.run_hours += dt / 3600
        return chiller.load_kw

    def _mix_header(self, running: list[_Line], dt: float) -> None:
        flow = sum(ln.chiller.flow_ls for ln in running)
        if flow > 0:
            self._chw_c = sum(ln.chiller.leaving_c * ln.chiller.flow_ls for ln in running) / flow
        else:
            self._chw_c += (PLANT_ROOM_C - self._chw_c) * min(1.0, dt / IDLE_LAG_S)

    def _condenser(self, world: World, dt: float) -> None:
        weather = world.weather
        wet_bulb = wet_bulb_c(weather.temp_c, weather.rh_pct)
        reject = 0.0
        flowing = False
        for line in self._lines:
            chiller = line.chiller
            chiller.cw_in_c = self._basin_c
            if line.cw_pump.running:
                flowing = True
                rejected = chiller.load_kw + chiller.power_kw
                reject += rejected
                chiller.cw_out_c = self._basin_c + rejected / (WATER_KJ_PER_L_K * CW_FLOW_LS)
            else:
                chiller.cw_out_c = self._basin_c
        commands = self._tower_commands
        own_setpoint = max(18.0, min(30.0, wet_bulb + 3.0))
        setpoint = commands.number("cw_supply_setpoint", own_setpoint)
        fan_on = commands.flag("fan_command", flowing)
        if fan_on and flowing:
            speed, target = tower_speed(reject, wet_bulb, setpoint)
        elif flowing:
            speed, target = 0.0, natural_draft_c(reject, wet_bulb)
        else:
            speed, target = 0.0, wet_bulb + 2.0
        self._basin_c += (target - self._basin_c) * min(1.0, dt / BASIN_LAG_S)
        fan_kw = 7.5 * speed**3 if fan_on else 0.0
        if fan_kw > 0:
            world.power.draw(fan_kw, "hvac", "roof")
        returned = [ln.chiller.cw_out_c for ln in self._lines if ln.cw_pump.running]
        tower = self._tower
        tower.set("fan_speed", round(100 * speed, 1))
        tower.set("fan_power", round(fan_kw, 2))
        tower.set("basin_temp", round(self._basin_c, 1))
        tower.set(
            "cw_entering_temp",
            round(sum(returned) / len(returned) if returned else self._basin_c, 1),
        )
        tower.set("outside_wet_bulb", round(wet_bulb, 1))
        tower.set("cw_supply_setpoint", round(setpoint, 1))
        tower.set("fan_command", fan_on)
        tower.set("fan_status", fan_on and speed > 0)

    # -- hot water ---------------------------------------------------------------------------

    def _hot_water(self, world: World, load_kw: float, request: bool) -> float:
        dt, weather = world.dt, world.weather
        self._hhw_hold_s = REQUEST_HOLD_S if request else max(0.0, self._hhw_hold_s - dt)
        commands, device = self._heat_pump_commands, self._heat_pump
        enable = commands.flag("enable", self._hhw_hold_s > 0)
        pump = self._hhw_pump
        pump.running = self._hhw_pump_commands.flag("start_stop", enable)
        pump.speed = 1.0 if pump.running else 0.0
        running = enable and pump.running
        local = world.local
        defrost = running and defrosting(
            weather.temp_c, weather.rh_pct, local.hour * 3600 + local.minute * 60 + local.second
        )
        setpoint = commands.number("hhw_supply_setpoint", DEFAULT_HHW_SETPOINT_C)
        capacity = 0.0 if defrost else heat_pump_capacity_kw(weather.temp_c)
        delivered = min(load_kw, capacity) if running else 0.0
        if running:
            short = (load_kw - delivered) / (WATER_KJ_PER_L_K * HHW_FLOW_LS)
            self._hhw_c += (setpoint - short - self._hhw_c) * min(1.0, dt / HHW_LAG_S)
        else:
            self._hhw_c += (PLANT_ROOM_C - self._hhw_c) * min(1.0, dt / IDLE_LAG_S)
        cop = heat_pump_cop(self._hhw_c, weather.temp_c) if delivered > 0 else 0.0
        power = delivered / cop if cop > 0 else 0.0
        if power > 0:
            world.power.draw(power, "hvac", "roof")
        if pump.power_kw > 0:
            world.power.draw(pump.power_kw, "hvac", "b1")
        returned = (
            self._hhw_c - load_kw / (WATER_KJ_PER_L_K * HHW_FLOW_LS) if running else self._hhw_c
        )
        device.set("hhw_supply_temp", round(self._hhw_c, 1))
        device.set("hhw_return_temp", round(returned, 1))
        device.set("heating_output", round(delivered, 1))
        device.set("power", round(power, 1))
        device.set("cop", round(cop, 2))
        device.set("outside_air_temp", round(weather.temp_c, 1))
        device.set("hhw_supply_setpoint", setpoint)
        device.set("enable", enable)
        device.set("running", running and not defrost)
        device.set("defrost", defrost)
        show_pump(self._hhw_pump_device, pump)
        return delivered


def _demand(shared: Shared) -> tuple[float, float, bool, bool]:
    """What the coils ask of the plant: cooling kW, heating kW, and whether they call."""
    keys = WATER_KEYS.values()
    return (
        sum(number(shared, cooling, 0.0) for cooling, _, _, _ in keys),
        sum(number(shared, heating, 0.0) for _, heating, _, _ in keys),
        any(shared.get(chw) is True for _, _, chw, _ in keys),
        any(shared.get(hhw) is True for _, _, _, hhw in keys),
    )


def _available(line: _Line) -> bool:
    """A chiller can run when it has not tripped and both its pumps may run."""
    return (
        not line.chiller.tripped
        and line.chw_pump_commands.flag("start_stop", True)
        and line.cw_pump_commands.flag("start_stop", True)
    )

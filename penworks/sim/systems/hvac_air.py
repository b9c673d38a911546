"""HVAC air side of Building 15 (BACnet/IP): two air-handling units and a VAV box per zone.

AHU-1 (device 15101) serves the ground floor's lobby and hall, AHU-2 (15102) the offices and
meeting rooms of f2-f4; one VAV box with electric reheat per zone (15111-15123, in the order
of layout.ZONES). Each zone is a room of the RC model (hvac_room) heated by people, lights
(the lighting system's '<place>.light_pct'), plug loads and sun through glazing that blinds
shade ('<place>.blinds_pct'), and conditioned by its box. Outdoor air reaches a zone through
its air handler's outdoor-air damper and, on the office floors, from the floor's fresh-air
unit (the ventilation system: 'ventilation.<floor>.fresh_air_ls', spread over the floor's
rooms by their seats): AHU-2 therefore keeps a small minimum outdoor air and economises.
Readings shared: '<place>.temp', '.rh', '.co2' per zone; the coils' loads on the water plant
(see hvac_shared). Loads drawn: the AHU fans ('hvac', roof) and each box's reheat ('hvac',
its floor and tenant). Scenario STUCK_DAMPER (a zone's place): the box's blade stays where it
is; commands are accepted but the airflow no longer follows, and the zone drifts.
With Controls.FIXED the air handlers keep a fixed schedule instead of optimal start: occupied
06:00-20:00 on working days whatever the zones' temperatures (hvac_ahu.fixed_mode), night
cycle as before; a commanded fan start/stop and commanded setpoints still win.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from penworks.sim.controls import Controls
from penworks.sim.devices import SimDevice
from penworks.sim.layout import FLOOR_TENANTS, ZONES
from penworks.sim.people import place
from penworks.sim.physics import MAX_AIRFLOW_LS_PER_M2, OUTDOOR_CO2_PPM
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.hvac_ahu import (
    DESIGN_STATIC_PA,
    Ahu,
    AhuDesign,
    AhuMode,
    AirInputs,
    decide,
    fixed_mode,
    occupied_hours,
    optimal_start_lead_h,
    reset_supply_setpoint,
    run_air,
    scheduled_mode,
)
from penworks.sim.systems.hvac_air_devices import (
    AHU_CONTROLLER,
    DEFAULT_SETPOINTS,
    VAV_CONTROLLER,
    ZoneSetpoints,
    setpoints_in_order,
    show_ahu,
    show_vav,
    zone_setpoints,
)
from penworks.sim.systems.hvac_commands import Commands, commanded_device
from penworks.sim.systems.hvac_psychro import humidity_ratio
from penworks.sim.systems.hvac_room import AirStream, Room, settled_ratio, settled_temp_c
from penworks.sim.systems.hvac_shared import (
    SpaceAir,
    WaterLoad,
    fire_alarm,
    plant_water_c,
)
from penworks.sim.systems.hvac_vav import (
    Vav,
    deliver,
    plan_airflow,
    run_loops,
    stop_loops,
    stroke,
)
from penworks.sim.world import World

VAV_FIRST_INSTANCE = 15111
LOBBY_AND_HALL = ("f1/lobby", "f1/hall")
OFFICES_AND_MEETING_ROOMS = tuple(
    place(z.floor, z.space) for z in ZONES if place(z.floor, z.space) not in LOBBY_AND_HALL
)
DIVERSITY = 0.85  # share of the boxes' summed maximum an air handler is sized for
# The occupancy command's states: follow the schedule, occupied, unoccupied.
OCCUPANCY_BY_SCHEDULE, OCCUPANCY_OCCUPIED, OCCUPANCY_UNOCCUPIED = 1, 2, 3
NIGHT_CYCLE_DIFFERENTIAL_K = 2.0  # a night cycle aims this far inside the unoccupied limits
NIGHT_CYCLE_END_K = 1.0  # and stops once every zone is this far inside


def _design(
    name: str, instance: int, places: tuple[str, ...], min_outdoor: float, heating_kw: float
) -> AhuDesign:
    zones = [z for z in ZONES if place(z.floor, z.space) in places]
    flow = DIVERSITY * MAX_AIRFLOW_LS_PER_M2 * sum(z.area_m2 for z in zones)
    return AhuDesign(
        name=name,
        label=f"AHU-{name[-1]}",
        instance=instance,
        places=places,
        min_outdoor_pct=min_outdoor,
        fan_kw=round(2.0 * flow / 1000),  # 2 kW per m3/s at design
        cooling_kw=round(0.025 * flow, -1),  # about 25 kW per m3/s
        heating_kw=heating_kw,
        design_flow_ls=flow,
    )


AHU_DESIGNS = (
    _design("ahu1", 15101, LOBBY_AND_HALL, 25.0, 100.0),
    _design("ahu2", 15102, OFFICES_AND_MEETING_ROOMS, 10.0, 150.0),
)


@dataclass(slots=True)
class _Box:
    vav: Vav
    air: SpaceAir
    device: SimDevice
    commands: Commands
    sensor_offset_k: float  # the zone sensor's calibration error
    setpoints: ZoneSetpoints = DEFAULT_SETPOINTS  # what the controller works to this step

    @property
    def reading_c(self) -> float:
        return self.vav.room.temp_c + self.sensor_offset_k


@dataclass(slots=True)
class _Unit:
    ahu: Ahu
    device: SimDevice
    commands: Commands
    boxes: list[_Box]


class HvacAir:
    name = "hvac_air"

    def __init__(self, seed: int, controls: Controls = Controls.LOCAL) -> None:
        rng = random.Random(f"{seed}:{self.name}")
        self.controls = controls
        self._boxes = [_box(i, rng) for i in range(len(ZONES))]
        by_place = {b.vav.place: b for b in self._boxes}
        self._units: list[_Unit] = []
        for design in AHU_DESIGNS:
            device, commands = commanded_device(
                design.name, design.label, AHU_CONTROLLER, design.instance, "roof/roof"
            )
            ahu = Ahu(design, filter_loading_pa=rng.uniform(20.0, 150.0))
            boxes = [by_place[p] for p in design.places]
            self._units.append(_Unit(ahu, device, commands, boxes))
        self._settled = False

    def devices(self) -> list[SimDevice]:
        return [u.device for u in self._units] + [b.device for b in self._boxes]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {ScenarioKind.STUCK_DAMPER: [b.vav.place for b in self._boxes]}

    def step(self, world: World) -> None:
        if not self._settled:
            self._settle(world)
        weather = world.weather
        outdoor_ratio = humidity_ratio(weather.temp_c, weather.rh_pct)
        fire = fire_alarm(world.shared)
        water = WaterLoad()
        for unit in self._units:
            self._step_unit(unit, world, fire, outdoor_ratio)
            ahu = unit.ahu
            if ahu.running:
                water.add_loads(
                    ahu.cooling_kw, ahu.cooling_valve, ahu.heating_kw, ahu.heating_valve
                )
            if ahu.fan_kw > 0:
                world.power.draw(ahu.fan_kw, "hvac", "roof")
            show_ahu(unit.device, ahu, unit.commands, weather.temp_c)
            for box in unit.boxes:
                _step_zone(box, ahu, world, outdoor_ratio)
        water.publish(world.shared, self.name)

    def _settle(self, world: World) -> None:
        """Start from rooms as they would be now: conditioned in use, drifted when not."""
        weather = world.weather
        in_use = occupied_hours(world.hour, world.working_day)
        base = settled_temp_c(weather.daily_mean_c, in_use)
        ratio = humidity_ratio(weather.temp_c, weather.rh_pct)
        for box in self._boxes:
            room = box.vav.room
            room.temp_c = base - box.sensor_offset_k
            room.humidity_ratio = settled_ratio(room.temp_c, ratio)
            room.co2_ppm = OUTDOOR_CO2_PPM + 30.0
            box.vav.discharge_c = base
        for unit in self._units:
            unit.ahu.supply_c = unit.ahu.mixed_c = weather.temp_c
            unit.ahu.return_c = base
        self._settled = True

    def _step_unit(self, unit: _Unit, world: World, fire: bool, outdoor_ratio: float) -> None:
        ahu, boxes, dt = unit.ahu, unit.boxes, world.dt
        for box in boxes:
            box.setpoints = zone_setpoints(box.device, box.commands)
        _decide(unit, world, fire, self.controls)
        for box in boxes:
            cooling_sp, heating_sp = _targets(ahu.mode, box.setpoints)
            _control_box(box, world, ahu, cooling_sp, heating_sp)
        warm_up = sum(b.reading_c - b.setpoints.heating for b in boxes) < 0
        own_sat = reset_supply_setpoint(
            ahu, max_cooling_pct=max(b.vav.cooling_pct for b in boxes), warm_up=warm_up, dt=dt
        )
        run_air(ahu, _air_inputs(unit, world, outdoor_ratio, own_sat), dt)
        for box in boxes:
            reheat = box.commands.number("reheat_command", box.vav.heating_pct)
            deliver(
                box.vav, supply_c=ahu.supply_c, flow_share=ahu.flow_share, reheat_pct=reheat, dt=dt
            )


def _decide(unit: _Unit, world: World, fire: bool, controls: Controls) -> None:
    """The unit's mode from its schedule (optimal start or a fixed start), its zones and the
    fire panel."""
    boxes, commands = unit.boxes, unit.commands
    if controls is Controls.FIXED:
        scheduled = fixed_mode(world.hour, world.working_day)
    else:
        worst = max(
            max(b.setpoints.heating - b.reading_c, b.reading_c - b.setpoints.cooling, 0.0)
            for b in boxes
        )
        scheduled = scheduled_mode(world.hour, world.working_day, optimal_start_lead_h(worst))
    occupancy = commands.number("occupancy_command", OCCUPANCY_BY_SCHEDULE)
    if occupancy == OCCUPANCY_OCCUPIED:
        scheduled = AhuMode.OCCUPIED
    elif occupancy == OCCUPANCY_UNOCCUPIED:
        scheduled = AhuMode.UNOCCUPIED
    fan_command = (
        commands.flag("supply_fan_command", True) if commands.held("supply_fan_command") else None
    )
    decide(
        unit.ahu,
        fire=fire,
        fan_command=fan_command,
        scheduled=scheduled,
        zone_outside_limits=any(
            not b.setpoints.night_heating <= b.reading_c <= b.setpoints.night_cooling for b in boxes
        ),
        zones_back_inside=all(
            b.setpoints.night_heating + NIGHT_CYCLE_END_K
            <= b.reading_c
            <= b.setpoints.night_cooling - NIGHT_CYCLE_END_K
            for b in boxes
        ),
    )


def _targets(mode: AhuMode, setpoints: ZoneSetpoints) -> tuple[float, float]:
    """The cooling and heating setpoints a box works to in its air handler's mode."""
    if mode in (AhuMode.OCCUPIED, AhuMode.OPTIMAL_START):
        return setpoints.cooling, setpoints.heating
    # a night cycle (or a fan started by hand) runs a differential inside the limits
    return (
        setpoints.night_cooling - NIGHT_CYCLE_DIFFERENTIAL_K,
        setpoints.night_heating + NIGHT_CYCLE_DIFFERENTIAL_K,
    )


def _box(index: int, rng: random.Random) -> _Box:
    zone = ZONES[index]
    where = place(zone.floor, zone.space)
    room = Room(zone.area_m2, zone.volume_m3, zone.window_m2, 24.0, 0.009)
    vav = Vav(zone, where, FLOOR_TENANTS.get(zone.floor), room)
    device, commands = commanded_device(
        f"vav_{zone.space}",
        f"VAV-{zone.space.upper()}",
        VAV_CONTROLLER,
        VAV_FIRST_INSTANCE + index,
        where,
        check=setpoints_in_order,
    )
    return _Box(vav, SpaceAir(room, zone.floor, zone.space), device, commands, rng.gauss(0.0, 0.15))


def _control_box(box: _Box, world: World, ahu: Ahu, cooling_sp: float, heating_sp: float) -> None:
    vav, reading = box.vav, box.reading_c
    if ahu.running:
        run_loops(vav, reading, cooling_sp=cooling_sp, heating_sp=heating_sp, dt=world.dt)
    else:
        stop_loops(vav)
    plan_airflow(vav, occupied=ahu.mode is AhuMode.OCCUPIED, running=ahu.running)
    command = box.commands.number("damper_command", vav.damper_cmd_pct)
    stuck = world.scenarios.at(ScenarioKind.STUCK_DAMPER, vav.place) is not None
    stroke(vav, command, stuck=stuck, dt=world.dt)
    middle = (cooling_sp + heating_sp) / 2
    box.device.set("effective_setpoint", cooling_sp if reading >= middle else heating_sp)


def _air_inputs(unit: _Unit, world: World, outdoor_ratio: float, own_sat: float) -> AirInputs:
    boxes, commands = unit.boxes, unit.commands
    weights = [b.vav.damper_pct / 100 * b.vav.max_flow_ls for b in boxes]
    demand = sum(weights)
    if demand <= 0:
        weights = [b.vav.zone.area_m2 for b in boxes]
    total = sum(weights)
    rooms = [b.vav.room for b in boxes]

    def mean(values: list[float]) -> float:
        return sum(w * v for w, v in zip(weights, values, strict=True)) / total

    chw_c, hhw_c = plant_water_c(world.shared)
    return AirInputs(
        demand_ls=demand,
        return_c=mean([r.temp_c for r in rooms]),
        return_ratio=mean([r.humidity_ratio for r in rooms]),
        return_co2=mean([r.co2_ppm for r in rooms]),
        outdoor_c=world.weather.temp_c,
        outdoor_ratio=outdoor_ratio,
        sat_setpoint_c=commands.number("supply_air_temp_setpoint", own_sat),
        static_setpoint_pa=commands.number("duct_static_setpoint", DESIGN_STATIC_PA),
        chw_c=chw_c,
        hhw_c=hhw_c,
        outdoor_override=commands.override("outside_air_damper"),
        cooling_override=commands.override("cooling_valve"),
        heating_override=commands.override("heating_valve"),
    )


def _step_zone(box: _Box, ahu: Ahu, world: World, outdoor_ratio: float) -> None:
    vav = box.vav
    supplies = []
    if vav.airflow_ls > 0:
        supplies.append(
            AirStream(
                vav.airflow_ls / 1000, vav.discharge_c, ahu.supply_ratio, ahu.outdoor_pct / 100
            )
        )
    people, rh = box.air.step(world, outdoor_ratio, supplies)
    if vav.reheat_kw > 0:
        world.power.draw(vav.reheat_kw, "hvac", vav.zone.floor, vav.tenant)
    show_vav(box.device, vav, box.commands, box.reading_c, rh, people, box.setpoints)

"""What the energy app controls, found by Brick class and `feeds`, so it runs on any site.

A `Zone` is a space with something that tells whether people are in it (occupancy sensors,
people counts) and something to act on there: the occupied setpoints of the VAV box that
feeds it, a fan-coil unit placed in it, its lights (level command and illuminance), its air
quality (CO2). An `AirUnit` is an air handler or a dedicated outdoor-air unit with a
start/stop command, the zones it serves (following `feeds`, through VAV boxes for an AHU), for
an outdoor-air unit its CO2 setpoint, and for an air handler its outdoor-air damper with the
return-air CO2 and temperatures that say how much outdoor air it needs. Spaces whose class
says people do not work there (plant, server and electrical rooms) are never setback; spaces
people pass through (lobbies, corridors, entrances) are marked `transit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from penworks.apps.api import AppContext, Entity, EntityKind, PointKind

NOT_CONTROLLED = ("Server_Room", "Mechanical_Room", "Electrical_Room", "Telecom_Room")
AIR_UNIT_CLASSES = ("Air_Handling_Unit", "Dedicated_Outdoor_Air_System_Unit")
TRANSIT = ("Lobby", "Corridor", "Entrance", "Circulation_Space")


@dataclass(frozen=True, slots=True)
class Zone:
    """One controllable space and the points the app reads and commands for it."""

    id: str
    name: str
    floor: str | None
    presence: tuple[str, ...] = ()  # bool occupancy sensors
    counts: tuple[str, ...] = ()  # people counts
    temperature: str | None = None
    humidity: str | None = None
    co2: str | None = None
    cooling_setpoint: str | None = None  # occupied cooling setpoint of its VAV
    heating_setpoint: str | None = None
    damper: str | None = None  # its VAV box's damper command (occupied-standby airflow)
    fcu_power: str | None = None  # on/off of a fan-coil unit in the space
    fcu_setpoint: str | None = None  # its room setpoint
    light_level: str | None = None
    illuminance: str | None = None
    booked: str | None = None  # a meeting booking in force now
    free_until: str | None = None  # HH:MM of the next booking while free
    brick: str | None = None  # the space's Brick class (its lighting target follows it)

    @property
    def transit(self) -> bool:
        """People pass through rather than stay (a lobby, a corridor)."""
        return self.brick in TRANSIT

    def inputs(self) -> list[str]:
        found = [*self.presence, *self.counts]
        for point in (
            self.temperature,
            self.humidity,
            self.co2,
            self.light_level,
            self.illuminance,
        ):
            if point is not None:
                found.append(point)
        for point in (self.booked, self.free_until):
            if point is not None:
                found.append(point)
        return found

    def commands(self) -> list[str]:
        points = (
            self.cooling_setpoint,
            self.heating_setpoint,
            self.damper,
            self.fcu_power,
            self.fcu_setpoint,
            self.light_level,
        )
        return [p for p in points if p is not None]


@dataclass(frozen=True, slots=True)
class AirUnit:
    """An air handler or outdoor-air unit: its fan's start/stop and the zones it serves."""

    id: str
    name: str
    start_stop: str
    zones: tuple[str, ...]
    co2_setpoint: str | None = None
    occupancy_command: str | None = None  # schedule / occupied / unoccupied (states 1, 2, 3)
    outdoor_damper: str | None = None  # its outdoor-air damper's position command (%)
    return_co2: str | None = None
    return_temp: str | None = None
    outdoor_temp: str | None = None  # its own outdoor-air temperature sensor

    def inputs(self) -> list[str]:
        points = (self.return_co2, self.return_temp, self.outdoor_temp)
        return [p for p in points if p is not None]


@dataclass(slots=True)
class Plant:
    """Everything the app controls on one site."""

    zones: dict[str, Zone] = field(default_factory=dict)
    air_units: dict[str, AirUnit] = field(default_factory=dict)
    demand: str | None = None  # the main meter's power (kW), for peak limiting
    outdoor: str | None = None  # outdoor air temperature, for the season
    schedule: str | None = None  # the building's own occupancy schedule (on: normal hours)
    chw_setpoints: tuple[str, ...] = ()  # chillers' leaving water setpoints
    cooling_valves: tuple[str, ...] = ()  # the cooling coils the chilled water serves

    def occupancy_points(self) -> list[str]:
        """What tells whether people are in the zones (presence sensors, counts)."""
        return sorted({p for z in self.zones.values() for p in (*z.presence, *z.counts)})

    def inputs(self) -> list[str]:
        points = {p for z in self.zones.values() for p in z.inputs()}
        points.update(p for u in self.air_units.values() for p in u.inputs())
        points.update(self.cooling_valves)
        for point in (self.demand, self.outdoor, self.schedule):
            if point is not None:
                points.add(point)
        return sorted(points)


def find_plant(
    ctx: AppContext, demand: str | None, outdoor: str | None = None, schedule: str | None = None
) -> Plant:
    """The zones, air units and chilled-water plant of the site; `demand` is the power
    point of the main meter, `outdoor` the outdoor air temperature, `schedule` the
    building's occupancy schedule."""
    zones = {}
    for space in ctx.entities(brick="Space"):
        if space.kind is not EntityKind.SPACE or space.brick in NOT_CONTROLLED:
            continue
        zone = _zone(ctx, space)
        if zone is not None:
            zones[zone.id] = zone
    units = {}
    for brick in AIR_UNIT_CLASSES:
        for equipment in ctx.entities(brick=brick):
            unit = _air_unit(ctx, equipment, zones)
            if unit is not None:
                units[unit.id] = unit
    chw = tuple(
        p.id
        for p in ctx.find_points(brick="Leaving_Chilled_Water_Temperature_Setpoint")
        if p.writable
    )
    valves = _cooling_valves(ctx) if chw else ()
    return Plant(zones, units, demand, outdoor, schedule, chw, valves)


def _cooling_valves(ctx: AppContext) -> tuple[str, ...]:
    """Cooling coil valves of air handlers, outdoor-air units and fan-coils."""
    found: list[str] = []
    for brick in (*AIR_UNIT_CLASSES, "Fan_Coil_Unit"):
        for unit in ctx.entities(brick=brick):
            for kind in ("Valve_Position_Command", "Valve_Position_Sensor"):
                found.extend(
                    p.id for p in ctx.find_points(brick=kind, within=unit.id) if "cool" in p.id
                )
    return tuple(sorted(set(found)))


def _zone(ctx: AppContext, space: Entity) -> Zone | None:
    def all_of(brick: str) -> tuple[str, ...]:
        return tuple(p.id for p in ctx.find_points(brick=brick, within=space.id))

    def one(brick: str) -> str | None:
        found = all_of(brick)
        return found[0] if found else None

    presence = tuple(
        p.id
        for p in ctx.find_points(brick="Occupancy_Sensor", within=space.id)
        if p.kind is PointKind.BOOL
    )
    counts = all_of("Occupancy_Count_Sensor")
    if not presence and not counts:
        return None  # nothing tells the app whether anyone is there
    fcu, fcu_setpoint = _fcu(ctx, space)
    cooling_sp = _writable(ctx, space, "Occupied_Cooling_Zone_Air_Temperature_Setpoint")
    zone = Zone(
        id=space.id,
        name=space.name,
        floor=_floor(ctx, space),
        presence=presence,
        counts=counts,
        temperature=one("Zone_Air_Temperature_Sensor"),
        humidity=one("Zone_Air_Humidity_Sensor"),
        co2=one("Zone_CO2_Level_Sensor") or one("CO2_Level_Sensor"),
        cooling_setpoint=cooling_sp,
        heating_setpoint=_writable(ctx, space, "Occupied_Heating_Zone_Air_Temperature_Setpoint"),
        damper=_writable(ctx, space, "Damper_Position_Command") if cooling_sp else None,
        fcu_power=fcu,
        fcu_setpoint=fcu_setpoint,
        light_level=_writable(ctx, space, "Lighting_Level_Command"),
        illuminance=one("Illuminance_Sensor"),
        booked=_booking(ctx, space, "Occupancy_Status", PointKind.BOOL),
        free_until=_named(ctx, space, "free_until"),
        brick=space.brick,
    )
    return zone if zone.commands() else None


def _writable(ctx: AppContext, space: Entity, brick: str) -> str | None:
    found = [p for p in ctx.find_points(brick=brick, within=space.id) if p.writable]
    return found[0].id if found else None


def _fcu(ctx: AppContext, space: Entity) -> tuple[str | None, str | None]:
    """A fan-coil unit's on/off command and room setpoint, if the space has one."""
    for unit in ctx.entities(brick="Fan_Coil_Unit", within=space.id):
        power = [
            p.id
            for p in ctx.find_points(brick="On_Off_Command", within=unit.id)
            if p.writable and p.kind is PointKind.BOOL
        ]
        setpoint = [
            p.id
            for p in ctx.find_points(brick="Zone_Air_Temperature_Setpoint", within=unit.id)
            if p.writable
        ]
        if power:
            return power[0], setpoint[0] if setpoint else None
    return None, None


def _booking(ctx: AppContext, space: Entity, brick: str, kind: PointKind) -> str | None:
    found = [p for p in ctx.find_points(brick=brick, within=space.id) if p.kind is kind]
    return found[0].id if found else None


def _named(ctx: AppContext, space: Entity, local: str) -> str | None:
    """A text point by its local id: booking panels publish the next start as text."""
    found = [
        p
        for p in ctx.find_points(brick="Status", within=space.id)
        if p.kind is PointKind.TEXT and p.id.rsplit(".", 1)[-1] == local
    ]
    return found[0].id if found else None


def _air_unit(ctx: AppContext, equipment: Entity, zones: dict[str, Zone]) -> AirUnit | None:
    starts = [
        p
        for p in ctx.find_points(brick="Start_Stop_Command", within=equipment.id)
        if p.writable and p.kind is PointKind.BOOL
    ]
    if not starts:
        return None
    served = _served_spaces(ctx, equipment)
    mine = tuple(z for z in served if z in zones)
    if not mine:
        return None
    co2 = [p for p in ctx.find_points(brick="CO2_Setpoint", within=equipment.id) if p.writable]
    occupancy = [
        p
        for p in ctx.find_points(brick="Occupancy_Command", within=equipment.id)
        if p.writable and p.kind is PointKind.NUMBER
    ]

    def sensor(brick: str) -> str | None:
        found = ctx.find_points(brick=brick, within=equipment.id)
        return found[0].id if found else None

    return AirUnit(
        id=equipment.id,
        name=equipment.name,
        start_stop=starts[0].id,
        zones=mine,
        co2_setpoint=co2[0].id if co2 else None,
        occupancy_command=occupancy[0].id if occupancy else None,
        outdoor_damper=_outdoor_damper(ctx, equipment),
        return_co2=sensor("Return_Air_CO2_Sensor"),
        return_temp=sensor("Return_Air_Temperature_Sensor"),
        outdoor_temp=sensor("Outside_Air_Temperature_Sensor"),
    )


def _outdoor_damper(ctx: AppContext, equipment: Entity) -> str | None:
    """The writable position command of an air unit's outdoor-air damper."""
    for damper in ctx.entities(brick="Outside_Damper", within=equipment.id):
        for point in ctx.find_points(brick="Damper_Position_Command", within=damper.id):
            if point.writable:
                return point.id
    return None


def _served_spaces(ctx: AppContext, equipment: Entity) -> list[str]:
    """Spaces an air unit feeds directly or through the terminal units it feeds."""
    spaces: list[str] = []
    for fed in ctx.feeds(equipment.id):
        if fed.kind is EntityKind.SPACE:
            spaces.append(fed.id)
        else:
            spaces.extend(e.id for e in ctx.feeds(fed.id) if e.kind is EntityKind.SPACE)
    return spaces


def _floor(ctx: AppContext, entity: Entity) -> str | None:
    parent = entity.parent
    while parent is not None:
        container = ctx.entity(parent)
        if container.kind is EntityKind.FLOOR:
            return container.id
        parent = container.parent
    return None

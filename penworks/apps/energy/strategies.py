"""The energy app's control strategies: pure decisions from what the building reports.

Each strategy turns readings into `Intent`s: a value for a point at the app's priority, or
`None` to let go so the building's own schedule (or an operator above) decides. The
controller sends only what changed. Strategies, in the order their intents are merged:

- occupancy setback: a zone nobody has been in for `vacant_after_min` gets setback
  setpoints (the after-hours ones outside the building's schedule), its fan-coil off and,
  while it needs no cooling, its VAV box at the standby airflow (`standby_damper_pct`: an
  empty room needs no ventilation air); an occupied zone, a meeting room booked within
  `precondition_min`, or a zone within its optimal-start lead before its own learnt first
  arrival is let go to its comfort setpoints;
- lighting: lights off in a vacant zone; in an occupied one, dimmed so the measured
  illuminance meets `target_lux` (or the target of its space class, `target_lux_by_class`:
  a lobby or corridor needs less than a desk) with the daylight there (closed loop on the
  sensor);
- optimal start and stop: an air unit runs while a zone it serves is occupied, within its
  lead before that zone's learnt first arrival (a lead that grows with how far the zone is
  from comfort) or before a booked meeting; it stops when every zone is vacant, or near
  their learnt last departures while they coast within comfort. People after the
  building's hours are served unless `after_hours_service` is off, and not for someone
  passing through a transit space (a lobby, a corridor) then. A unit with an
  occupancy command is put in occupied or unoccupied mode (its own night protection
  stays); one with only a start/stop command is started and stopped, and started for an
  idle zone outside its unoccupied limits;
- demand-controlled ventilation: outdoor-air units work to a CO2 setpoint; an air handler
  in occupied mode whose spaces' CO2 is well below that setpoint (under `co2_setpoint_ppm`
  less `dcv_reduce_below_ppm`) closes its outdoor-air damper to `dcv_min_outdoor_pct`, and
  goes back to its own minimum once the CO2 climbs within `dcv_restore_below_ppm` of the
  setpoint; while outdoor air is cooler than the return air its economiser decides;
- chilled-water reset (trim and respond): while every cooling coil valve is below
  `chw_trim_below_pct` the chillers' leaving water setpoint rises a step, up to
  `chw_max_c`; a valve above `chw_respond_above_pct` (or a humid zone) brings it down,
  one change per `chw_step_min` (chillers dislike a chased setpoint);
- peak limiting: while the main meter's demand is above `peak_limit_kw`, occupied zones'
  cooling setpoints rise by `shed_k` and lights are capped, until demand stays below the
  limit less a margin for `peak_release_min`.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from pydantic import Field, PositiveFloat, model_validator

from penworks.apps.api import Strict, Value
from penworks.apps.energy.readings import number
from penworks.apps.energy.zones import AirUnit, Plant, Zone

STRATEGIES = {
    "setback": "Occupancy-based setback",
    "lighting": "Lighting off when empty, daylight dimming",
    "optimal_start": "Optimal start and stop",
    "dcv": "Demand-controlled ventilation",
    "peak": "Peak-demand limiting",
    "chw_reset": "Chilled-water temperature reset",
}


class ControlSettings(Strict):
    enabled: bool = Field(True, description="Whether the app commands equipment at all")
    period_s: float = Field(300.0, ge=30, le=3600, description="Seconds between decisions")
    strategies: list[str] = Field(
        default_factory=lambda: list(STRATEGIES), description="The strategies that run"
    )
    # Occupancy sensors hold 'occupied' a while themselves; a little more avoids flicker.
    vacant_after_min: float = Field(5.0, ge=0, description="Minutes without anyone: vacant")
    setback_cooling_c: float = Field(28.0, description="Cooling setpoint of a vacant zone")
    setback_heating_c: float = Field(18.0, description="Heating setpoint of a vacant zone")
    # Outside the building's hours nobody is expected back soon: vacant zones float to the
    # unoccupied limits while an air unit runs for someone working late.
    after_hours_cooling_c: float = Field(29.0, description="Vacant zone, after hours: cooling")
    after_hours_heating_c: float = Field(15.0, description="Vacant zone, after hours: heating")
    standby_damper_pct: float = Field(
        10.0, ge=0, le=100, description="VAV damper of an empty zone that needs no cooling"
    )
    comfort_cooling_c: float = Field(25.0, description="Cooling setpoint the zones come back to")
    comfort_heating_c: float = Field(21.0, description="Heating setpoint the zones come back to")
    unoccupied_low_c: float = Field(15.0, description="Below this an idle zone needs the air")
    unoccupied_high_c: float = Field(29.0, description="Above this an idle zone needs the air")
    precondition_min: float = Field(30.0, ge=0, description="Minutes before a booked meeting")
    target_lux: float = Field(500.0, gt=0, description="Illuminance at the desk (EN 12464-1)")
    target_lux_by_class: dict[str, PositiveFloat] = Field(
        default_factory=lambda: {
            "Lobby": 200.0,
            "Entrance": 100.0,
            "Corridor": 100.0,
            "Circulation_Space": 100.0,
        },
        description="Illuminance by the space's Brick class where it is not desk work "
        "(EN 12464-1: entrance halls 100 lx, lounges and waiting 200 lx, corridors 100 lx)",
    )
    lux_per_pct: float = Field(5.0, gt=0, description="Illuminance one % of light level adds")
    min_light_pct: float = Field(10.0, ge=0, le=100, description="Lowest dimmed level")
    default_arrival: time = Field(time(8, 0), description="First arrival before any is learnt")
    arrival_days: int = Field(5, ge=1, description="Working days the first arrival is learnt from")
    start_lead_min: float = Field(45.0, ge=0, description="Optimal start lead in any case")
    start_min_per_k: float = Field(35.0, ge=0, description="More lead per K from comfort")
    start_max_min: float = Field(180.0, ge=0, description="Longest optimal start lead")
    after_hours_service: bool = Field(
        True,
        description="Run an air unit for people in its zones outside the building's hours "
        "(False: after hours, the building's own schedule and night protection only)",
    )
    min_run_min: float = Field(30.0, ge=0, description="An air unit started runs this long")
    stop_early_min: float = Field(
        30.0, ge=0, description="Optimal stop: minutes before the learnt last departure"
    )
    stop_margin_k: float = Field(
        0.5, ge=0, description="Optimal stop: how far above the cooling setpoint zones may coast"
    )
    co2_setpoint_ppm: float = Field(800.0, ge=400, le=1500, description="DCV CO2 setpoint")
    # ASHRAE 62.1's area component and building pressure still need some outdoor air.
    dcv_min_outdoor_pct: float = Field(
        5.0, ge=0, le=100, description="Air handler outdoor-air damper while spaces are empty"
    )
    dcv_reduce_below_ppm: float = Field(
        200.0, ge=0, description="Reduce outdoor air while every space is this far below"
    )
    dcv_restore_below_ppm: float = Field(
        100.0, ge=0, description="Back to the unit's own minimum once a space is this near"
    )
    peak_limit_kw: float | None = Field(None, gt=0, description="Main meter demand limit")
    shed_k: float = Field(1.5, ge=0, le=4, description="Cooling setpoint rise while shedding")
    shed_light_pct: float = Field(70.0, ge=0, le=100, description="Light cap while shedding")
    peak_release_min: float = Field(15.0, ge=0, description="Minutes below the limit to stop")
    chw_min_c: float = Field(7.0, ge=4, le=12, description="Chilled water setpoint: design")
    chw_max_c: float = Field(10.0, ge=4, le=14, description="Highest reset chilled water")
    chw_step_k: float = Field(0.5, gt=0, le=2, description="Change of one reset step")
    chw_step_min: float = Field(20.0, ge=5, description="Minutes between reset steps")
    chw_trim_below_pct: float = Field(85.0, description="All valves below: warmer water")
    chw_respond_above_pct: float = Field(95.0, description="A valve above: colder water")
    humid_above_pct: float = Field(60.0, description="A zone this humid: colder water")
    cooling_season_above_c: float = Field(
        15.0, description="Outdoor daily mean above which fan-coils cool (else heat)"
    )

    @model_validator(mode="after")
    def _dcv_hysteresis(self) -> ControlSettings:
        if self.dcv_restore_below_ppm >= self.dcv_reduce_below_ppm:
            raise ValueError(
                f"dcv_restore_below_ppm ({self.dcv_restore_below_ppm:g}) must be less than "
                f"dcv_reduce_below_ppm ({self.dcv_reduce_below_ppm:g}): the outdoor air would "
                "be cut and restored at the same CO2"
            )
        return self


OCCUPIED, UNOCCUPIED = 2, 3  # states of an air unit's occupancy command (1: its schedule)


@dataclass(frozen=True, slots=True)
class Intent:
    point: str
    value: Value | None  # None: let go of the app's level
    strategy: str


@dataclass(slots=True)
class Memory:
    """What the strategies remember between decisions."""

    last_occupied: dict[str, datetime] = field(default_factory=dict)  # zone -> last seen
    started: datetime | None = None  # when the app began watching (unknown zones: occupied)
    first_arrival: dict[date, time] = field(default_factory=dict)  # local day -> first seen
    zone_arrival: dict[str, dict[date, time]] = field(default_factory=dict)  # per zone
    zone_departure: dict[str, dict[date, time]] = field(default_factory=dict)  # last seen
    unit_on_since: dict[str, datetime] = field(default_factory=dict)
    shedding_since: datetime | None = None
    below_limit_since: datetime | None = None
    outdoor_mean: float | None = None  # a day-long running mean of the outdoor temperature
    outdoor_at: datetime | None = None
    chw_c: float | None = None  # the chilled-water setpoint the reset works to
    chw_changed: datetime | None = None
    reduced_outdoor: set[str] = field(default_factory=set)  # air units on reduced outdoor air


def occupied_now(zone: Zone, values: Mapping[str, Value]) -> bool | None:
    """Whether a zone's sensors say someone is there (None: no reading yet)."""
    readings = [values[p] for p in zone.presence if p in values]
    counts = [values[p] for p in zone.counts if p in values]
    if not readings and not counts:
        return None
    if any(v is True for v in readings):
        return True
    return any(isinstance(c, int | float) and not isinstance(c, bool) and c > 0 for c in counts)


def observe(
    plant: Plant, values: Mapping[str, Value], memory: Memory, now: datetime, tz: tzinfo
) -> None:
    """Update what is remembered of occupancy (call at every decision, and on news)."""
    if memory.started is None:
        memory.started = now
    outdoor = number(values, plant.outdoor)
    if outdoor is not None:
        if memory.outdoor_mean is None or memory.outdoor_at is None:
            memory.outdoor_mean = outdoor
        else:  # exponential mean over about a day: the season, not the afternoon
            weight = min(1.0, (now - memory.outdoor_at).total_seconds() / 86_400)
            memory.outdoor_mean += weight * (outdoor - memory.outdoor_mean)
        memory.outdoor_at = now
    local = now.astimezone(tz)
    for zone in plant.zones.values():
        if occupied_now(zone, values):
            memory.last_occupied[zone.id] = now
            if local.time() >= time(4, 0):  # night security rounds are not arrivals
                memory.first_arrival.setdefault(local.date(), local.time())
                arrivals = memory.zone_arrival.setdefault(zone.id, {})
                arrivals.setdefault(local.date(), local.time())
                memory.zone_departure.setdefault(zone.id, {})[local.date()] = local.time()


def vacant(zone: Zone, memory: Memory, now: datetime, settings: ControlSettings) -> bool:
    seen = memory.last_occupied.get(zone.id, memory.started)
    if seen is None:
        return False
    return now - seen >= timedelta(minutes=settings.vacant_after_min)


def expected_arrival(
    memory: Memory, today: date, settings: ControlSettings, zone: str | None = None
) -> time:
    """Median first arrival (in the building, or in a zone) of the last working days learnt,
    else the default. A day nobody came to a zone counts as the default for it."""
    learnt = memory.first_arrival if zone is None else memory.zone_arrival.get(zone, {})
    days = sorted(d for d in memory.first_arrival if d < today and d.weekday() < 5)
    recent = days[-settings.arrival_days :]
    if not recent:
        return settings.default_arrival
    arrivals = [learnt.get(d, settings.default_arrival) for d in recent]
    minutes = [a.hour * 60 + a.minute for a in arrivals]
    middle = int(statistics.median(minutes))
    return time(middle // 60, middle % 60)


def booked_soon(zone: Zone, values: Mapping[str, Value], local: datetime, lead_min: float) -> bool:
    """A booking in force, or one starting within `lead_min` (free_until is HH:MM today)."""
    if zone.booked is not None and values.get(zone.booked) is True:
        return True
    if zone.free_until is None:
        return False
    text = values.get(zone.free_until)
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        return False
    try:
        hours, minutes = int(text[:2]), int(text[3:])
    except ValueError:
        return False
    if hours >= 24:
        return False
    start = local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    return timedelta(0) <= start - local <= timedelta(minutes=lead_min)


def setback(
    zone: Zone,
    idle: bool,
    ready: bool,
    cooling: bool,
    values: Mapping[str, Value],
    settings: ControlSettings,
    in_hours: bool = True,
) -> list[Intent]:
    """Setback while idle, unless the zone is to be ready (a booking, an arrival) soon. A
    fan-coil is switched, not let go: many keep a written state until the next write."""
    setback_now = idle and not ready
    high = settings.setback_cooling_c if in_hours else settings.after_hours_cooling_c
    low = settings.setback_heating_c if in_hours else settings.after_hours_heating_c
    intents = []
    if zone.cooling_setpoint is not None:
        intents.append(Intent(zone.cooling_setpoint, high if setback_now else None, "setback"))
    if zone.heating_setpoint is not None:
        intents.append(Intent(zone.heating_setpoint, low if setback_now else None, "setback"))
    if zone.damper is not None:
        temp = number(values, zone.temperature)
        standby = setback_now and temp is not None and low + 0.5 < temp < high - 0.5
        value = settings.standby_damper_pct if standby else None
        intents.append(Intent(zone.damper, value, "setback"))
    if zone.fcu_power is not None:
        intents.append(Intent(zone.fcu_power, not setback_now, "setback"))
    if zone.fcu_setpoint is not None:  # the same comfort setpoints as the VAV zones
        value = settings.comfort_cooling_c if cooling else settings.comfort_heating_c
        intents.append(Intent(zone.fcu_setpoint, value, "setback"))
    return intents


def arriving(
    zone: Zone,
    values: Mapping[str, Value],
    memory: Memory,
    local: datetime,
    settings: ControlSettings,
) -> bool:
    """Within the optimal-start lead before the zone's learnt first arrival on a working day
    (or up to half an hour after it, while people are late)."""
    if local.weekday() >= 5:
        return False
    lead = start_lead(comfort_gap(zone, values, settings), settings)
    arrival = datetime.combine(
        local.date(), expected_arrival(memory, local.date(), settings, zone.id), local.tzinfo
    )
    return arrival - lead <= local < arrival + timedelta(minutes=30)


def lighting(
    zone: Zone, idle: bool, values: Mapping[str, Value], settings: ControlSettings
) -> list[Intent]:
    if zone.light_level is None:
        return []
    if idle:
        return [Intent(zone.light_level, 0.0, "lighting")]
    lux, level = number(values, zone.illuminance), number(values, zone.light_level)
    if lux is None or level is None:
        return [Intent(zone.light_level, None, "lighting")]
    if level <= 0:
        level = 100.0  # lights an occupant finds off come back on, then dim
        return [Intent(zone.light_level, level, "lighting")]
    target = settings.target_lux_by_class.get(zone.brick or "", settings.target_lux)
    # Under-relaxed so a wrong lux-per-% figure still converges instead of oscillating.
    wanted = level + 0.7 * (target - lux) / settings.lux_per_pct
    wanted = max(settings.min_light_pct, min(100.0, wanted))
    return [Intent(zone.light_level, round(wanted / 5) * 5, "lighting")]


def start_lead(worst_k: float, settings: ControlSettings) -> timedelta:
    minutes = settings.start_lead_min + settings.start_min_per_k * max(0.0, worst_k)
    return timedelta(minutes=min(settings.start_max_min, minutes))


def comfort_gap(zone: Zone, values: Mapping[str, Value], settings: ControlSettings) -> float:
    """How far (K) a zone is outside its comfort setpoints; 0 inside or unknown."""
    temp = number(values, zone.temperature)
    if temp is None:
        return 0.0
    return max(0.0, temp - settings.comfort_cooling_c, settings.comfort_heating_c - temp)


def air_unit(
    unit: AirUnit,
    plant: Plant,
    values: Mapping[str, Value],
    memory: Memory,
    now: datetime,
    local: datetime,
    settings: ControlSettings,
    use: set[str],
    in_hours: bool = True,
) -> list[Intent]:
    intents = []
    if "dcv" in use and unit.co2_setpoint is not None:
        intents.append(Intent(unit.co2_setpoint, settings.co2_setpoint_ppm, "dcv"))
    occupied = in_hours  # without optimal start the building's hours decide
    if "optimal_start" in use:
        occupied = _optimal_start(unit, plant, values, memory, now, local, settings, in_hours)
        if unit.occupancy_command is not None:
            # Occupied or unoccupied mode by command: the unit's own night protection and
            # its zones' setpoints stay in force, and people after hours are served properly.
            state = OCCUPIED if occupied else UNOCCUPIED
            intents.append(Intent(unit.occupancy_command, state, "optimal_start"))
            intents.append(Intent(unit.start_stop, None, "optimal_start"))
        else:
            intents.append(Intent(unit.start_stop, occupied, "optimal_start"))
    if "dcv" in use and unit.outdoor_damper is not None:
        value = reduced_outdoor_air(unit, plant, values, memory, settings, occupied)
        intents.append(Intent(unit.outdoor_damper, value, "dcv"))
    return intents


def _optimal_start(
    unit: AirUnit,
    plant: Plant,
    values: Mapping[str, Value],
    memory: Memory,
    now: datetime,
    local: datetime,
    settings: ControlSettings,
    in_hours: bool,
) -> bool:
    """Whether the unit runs (occupied) now."""
    zones = [plant.zones[z] for z in unit.zones]
    # A unit with an occupancy command protects its zones at night itself (unoccupied mode).
    protect = unit.occupancy_command is None
    serve = in_hours or settings.after_hours_service
    needed = _unit_needed(zones, values, memory, now, local, settings, protect, serve, in_hours)
    since = memory.unit_on_since.get(unit.id)
    if needed:
        memory.unit_on_since.setdefault(unit.id, now)
    elif since is not None and now - since < timedelta(minutes=settings.min_run_min):
        needed = True  # a fan started runs a while: starts wear motors and belts
    else:
        memory.unit_on_since.pop(unit.id, None)
    return needed


def reduced_outdoor_air(
    unit: AirUnit,
    plant: Plant,
    values: Mapping[str, Value],
    memory: Memory,
    settings: ControlSettings,
    occupied: bool,
) -> float | None:
    """The outdoor-air damper of an air handler in occupied mode: the reduced minimum while
    its spaces' CO2 (else its return air's) is well below the setpoint, with hysteresis;
    None (its own control: minimum and economiser) otherwise."""
    zones = [plant.zones[z] for z in unit.zones]
    readings = [number(values, z.co2) for z in zones if z.co2 is not None]
    if not any(r is not None for r in readings):
        readings = [number(values, unit.return_co2)]
    co2 = [r for r in readings if r is not None]
    outdoor = number(values, unit.outdoor_temp or plant.outdoor)
    ret = number(values, unit.return_temp)
    economising = outdoor is not None and ret is not None and outdoor < ret
    if not occupied or economising or not co2:
        memory.reduced_outdoor.discard(unit.id)
        return None
    below = (
        settings.dcv_restore_below_ppm
        if unit.id in memory.reduced_outdoor
        else settings.dcv_reduce_below_ppm
    )
    if max(co2) < settings.co2_setpoint_ppm - below:
        memory.reduced_outdoor.add(unit.id)
        return settings.dcv_min_outdoor_pct
    memory.reduced_outdoor.discard(unit.id)
    return None


def _unit_needed(
    zones: list[Zone],
    values: Mapping[str, Value],
    memory: Memory,
    now: datetime,
    local: datetime,
    settings: ControlSettings,
    protect: bool,
    serve: bool = True,
    in_hours: bool = True,
) -> bool:
    for zone in zones:
        temp = number(values, zone.temperature)
        low, high = settings.unoccupied_low_c, settings.unoccupied_high_c
        if protect and temp is not None and not low < temp < high:
            return True  # an idle zone outside its limits needs the air
        if (
            serve
            and not (zone.transit and not in_hours)
            and not vacant(zone, memory, now, settings)
            and not coasting(zone, values, memory, local, settings)
        ):
            return True
    for zone in zones:
        lead_min = start_lead(comfort_gap(zone, values, settings), settings).total_seconds() / 60
        if booked_soon(zone, values, local, lead_min):
            return True
    # Each zone's own learnt arrival: an early guard elsewhere does not start every unit.
    return any(arriving(z, values, memory, local, settings) for z in zones)


def expected_departure(
    memory: Memory, zone: str, today: date, settings: ControlSettings
) -> time | None:
    """Median last time a zone was seen occupied on the last working days (None: unknown)."""
    learnt = memory.zone_departure.get(zone, {})
    days = sorted(d for d in learnt if d < today and d.weekday() < 5)[-settings.arrival_days :]
    if not days:
        return None
    middle = int(statistics.median(learnt[d].hour * 60 + learnt[d].minute for d in days))
    return time(middle // 60, middle % 60)


def coasting(
    zone: Zone,
    values: Mapping[str, Value],
    memory: Memory,
    local: datetime,
    settings: ControlSettings,
) -> bool:
    """Optimal stop: an occupied zone lets its air unit stop in the last `stop_early_min`
    before its learnt last departure, while it stays within comfort on its thermal mass."""
    departure = expected_departure(memory, zone.id, local.date(), settings)
    temp = number(values, zone.temperature)
    if departure is None or temp is None or local.weekday() >= 5:
        return False
    leaving = datetime.combine(local.date(), departure, local.tzinfo)
    if local < leaving - timedelta(minutes=settings.stop_early_min) or local.hour < 12:
        return False
    high = settings.comfort_cooling_c + settings.stop_margin_k
    return settings.comfort_heating_c <= temp <= high


def cooling_season(memory: Memory, settings: ControlSettings) -> bool:
    mean = memory.outdoor_mean
    return mean is None or mean >= settings.cooling_season_above_c


def chw_reset(
    plant: Plant,
    values: Mapping[str, Value],
    memory: Memory,
    now: datetime,
    settings: ControlSettings,
) -> list[Intent]:
    """Trim and respond on the cooling valves: warmer chilled water while no coil needs
    the cold, colder again when one does or the air gets humid."""
    if not plant.chw_setpoints:
        return []
    valves = [v for v in (number(values, p) for p in plant.cooling_valves) if v is not None]
    humid = any(
        (rh := number(values, z.humidity)) is not None and rh > settings.humid_above_pct
        for z in plant.zones.values()
    )
    current = memory.chw_c if memory.chw_c is not None else settings.chw_min_c
    target = current
    due = memory.chw_changed is None or now - memory.chw_changed >= timedelta(
        minutes=settings.chw_step_min
    )
    if humid or (valves and max(valves) > settings.chw_respond_above_pct):
        target = max(settings.chw_min_c, current - settings.chw_step_k)
    elif valves and max(valves) < settings.chw_trim_below_pct:
        target = min(settings.chw_max_c, current + settings.chw_step_k)
    if due and target != current:
        memory.chw_c, memory.chw_changed = target, now
    value = memory.chw_c if memory.chw_c is not None else settings.chw_min_c
    return [Intent(p, value, "chw_reset") for p in plant.chw_setpoints]


def peak(
    plant: Plant,
    values: Mapping[str, Value],
    memory: Memory,
    now: datetime,
    settings: ControlSettings,
) -> bool:
    """Whether to shed load now (with hysteresis: release after a quiet spell)."""
    limit, demand = settings.peak_limit_kw, number(values, plant.demand)
    if limit is None or demand is None:
        memory.shedding_since = memory.below_limit_since = None
        return False
    if demand > limit:
        memory.shedding_since = memory.shedding_since or now
        memory.below_limit_since = None
        return True
    if memory.shedding_since is None:
        return False
    if demand > limit * 0.95:
        memory.below_limit_since = None
        return True
    memory.below_limit_since = memory.below_limit_since or now
    if now - memory.below_limit_since < timedelta(minutes=settings.peak_release_min):
        return True
    memory.shedding_since = memory.below_limit_since = None
    return False


def shed(intents: list[Intent], plant: Plant, settings: ControlSettings) -> list[Intent]:
    """Cooling setpoints of occupied zones up, lights capped, while shedding."""
    cooling = {z.cooling_setpoint for z in plant.zones.values() if z.cooling_setpoint}
    lights = {z.light_level for z in plant.zones.values() if z.light_level}
    out = []
    for intent in intents:
        value = intent.value
        if intent.point in cooling and value is None:
            value = settings.comfort_cooling_c + settings.shed_k
            out.append(Intent(intent.point, value, "peak"))
        elif (
            intent.point in lights and isinstance(value, float) and value > settings.shed_light_pct
        ):
            out.append(Intent(intent.point, settings.shed_light_pct, "peak"))
        else:
            out.append(intent)
    return out


def decide(
    plant: Plant,
    values: Mapping[str, Value],
    memory: Memory,
    now: datetime,
    tz: tzinfo,
    settings: ControlSettings,
) -> list[Intent]:
    """Every intent for this moment, one per point."""
    observe(plant, values, memory, now, tz)
    local = now.astimezone(tz)
    use = set(settings.strategies)
    season = cooling_season(memory, settings)
    # Without a schedule point every hour counts as the building's (the shallow setback).
    in_hours = values.get(plant.schedule) is not False if plant.schedule else True
    intents: list[Intent] = []
    for zone in plant.zones.values():
        idle = vacant(zone, memory, now, settings)
        soon = booked_soon(zone, values, local, settings.precondition_min)
        ready = soon or arriving(zone, values, memory, local, settings)
        if "setback" in use:
            intents.extend(setback(zone, idle, ready, season, values, settings, in_hours))
        if "lighting" in use:
            intents.extend(lighting(zone, idle and not soon, values, settings))
    for unit in plant.air_units.values():
        intents.extend(air_unit(unit, plant, values, memory, now, local, settings, use, in_hours))
    if "chw_reset" in use:
        intents.extend(chw_reset(plant, values, memory, now, settings))
    if "peak" in use and peak(plant, values, memory, now, settings):
        intents = shed(intents, plant, settings)
    return intents

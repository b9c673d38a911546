"""The fire alarm system: one addressable panel over BACnet/IP, observed and never overridden.

Each step the detectors sense their room (dust, the room's temperature, car exhaust in the car
park, and what a fire or a nuisance puts there: security_fire_physics), report a
LifeSafetyState, and the panel decides (security_fire_panel): pre-alarm, confirmed fire alarm
on a floor, sounders and evacuation, latching until reset. Other systems read the outcome in
the shared readings: 'fire.alarm', 'fire.floors' (comma-separated), 'fire.<floor>',
'fire.evacuation', and '<place>.smoke' (%obs/m) of every room with a smoke detector ('.co'
where a CO detector is). Detectors fault now and then (dirty chamber, loop fault) and are
serviced hours later.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from penworks.sim.devices import SimDevice
from penworks.sim.people import floor_of
from penworks.sim.scenarios import Injection, ScenarioKind
from penworks.sim.systems.security_fire_catalogue import (
    ALARM,
    CO,
    DETECTORS,
    FAULTED,
    FIRE_PANEL,
    FLOORS,
    HEAT,
    PANEL_INSTANCE,
    PANEL_NAME,
    PANEL_PLACE,
    PRE,
    QUIET,
    SMOKE,
    SMOKE_PLACES,
    Detector,
    call_point_key,
    zone_key,
)
from penworks.sim.systems.security_fire_panel import (
    CONFIRMING_KINDS,
    Panel,
    sensed_state,
)
from penworks.sim.systems.security_fire_physics import (
    NONE,
    PlaceAir,
    Plume,
    fire_plume,
    nuisance_plume,
    spread_plume,
)
from penworks.sim.world import World

PANEL_KW = 0.06
SOUNDERS_KW = 0.8  # sounders and beacons of the whole building
MEAN_FAULT_INTERVAL_S = 5 * 86400.0  # one detector fault in the building every few days
FAULT_HOURS = (1.0, 8.0)
CAR_CO_PPM = 3.0  # what one car moving adds in the car park
CAR_CO_TAU_S = 600.0  # the car park's extract fans clear it
DUST = {"b1/carpark": 0.15, "b1/plant": 0.08}  # %obs/m a clean room reads about 0.03
ROOM_DEFAULT_C = {"b1/plant": 27.0}
CALL_DELAY_S = (60.0, 240.0)  # someone in the room breaks the glass after smoke shows
SMOKE_SHOWS_S = 90.0
DETECTOR_LAG_S = 60.0  # a heat detector's thermal response to its room


class Fire:
    name = "fire"

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rng = random.Random(f"{seed}:fire")
        self.device = SimDevice(
            PANEL_NAME,
            "FACP-1 Building 15 fire alarm panel",
            FIRE_PANEL,
            PANEL_INSTANCE,
            location=PANEL_PLACE,
        )
        self.panel = Panel()
        self._air = {place: PlaceAir() for place in {d.place for d in DETECTORS}}
        self._last_temp: dict[str, float] = {}
        self._room_c: dict[str, float] = {}  # each heat detector's view of its room, lagged
        self._room_known: set[str] = set()  # rooms whose temperature another system shares
        self._faults: dict[str, datetime] = {}  # detector key -> serviced at
        self._draws: dict[Injection, tuple[float, float]] = {}  # strength, call delay
        self._called: set[Injection] = set()
        self._car_co = 0.0

    def devices(self) -> list[SimDevice]:
        return [self.device]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        places = list(SMOKE_PLACES)
        return {ScenarioKind.FIRE: places, ScenarioKind.NUISANCE_SMOKE: list(places)}

    def step(self, world: World) -> None:
        self._advance_air(world)
        self._car_co = self._car_co * math.exp(-world.dt / CAR_CO_TAU_S)
        self._car_co += CAR_CO_PPM * sum(1 for m in world.moves if m.by_car)
        self._fault_and_service(world)
        self._call_points(world)
        rng = world.rng
        sensed = [self._sense(d, world, rng.random() + rng.random() - 1.0) for d in DETECTORS]
        states = [sensed_state(d.kind, *s) for d, s in zip(DETECTORS, sensed, strict=True)]
        alarms: dict[str, str] = {}
        quiet = True
        for d, state in zip(DETECTORS, states, strict=True):
            if d.kind not in CONFIRMING_KINDS:
                continue
            quiet = quiet and state == QUIET
            if state == ALARM and d.key not in self._faults:
                alarms[d.key] = d.floor
        fire_out = not world.scenarios.active(ScenarioKind.FIRE)
        self.panel.update(alarms, fire_out, quiet, world.dt)
        self._show([v for v, _ in sensed], states, world)

    # -- what the detectors sense ---------------------------------------------------------

    def _advance_air(self, world: World) -> None:
        targets = self._targets(world)
        for place, air in self._air.items():
            target = targets.get(place, NONE)
            if target is NONE and air.clear:
                continue
            air.approach(target, world.dt)

    def _targets(self, world: World) -> dict[str, Plume]:
        targets: dict[str, Plume] = {}

        def add(place: str, plume: Plume) -> None:
            targets[place] = targets.get(place, NONE).plus(plume)

        for fire in world.scenarios.active(ScenarioKind.FIRE):
            elapsed, growth = fire.elapsed_s(world.now), self._draw(fire)[0]
            add(fire.target, fire_plume(elapsed, growth))
            for place in SMOKE_PLACES:
                if place != fire.target and floor_of(place) == floor_of(fire.target):
                    add(place, spread_plume(elapsed, growth))
        for nuisance in world.scenarios.active(ScenarioKind.NUISANCE_SMOKE):
            add(
                nuisance.target,
                nuisance_plume(nuisance.elapsed_s(world.now), self._draw(nuisance)[0]),
            )
        return targets

    def _draw(self, injection: Injection) -> tuple[float, float]:
        """How strong a scenario is (fire growth, or nuisance peak %obs/m) and, for a fire,
        how long after smoke shows someone in the room breaks a call point's glass."""
        if injection not in self._draws:
            i = injection
            rng = random.Random(f"{self._seed}:{i.kind.value}:{i.target}:{i.start.isoformat()}")
            strength = (
                rng.uniform(0.7, 1.5)
                if injection.kind is ScenarioKind.FIRE
                else rng.uniform(1.6, 3.6)
            )
            self._draws[injection] = (strength, rng.uniform(*CALL_DELAY_S))
        return self._draws[injection]

    def _sense(self, d: Detector, world: World, noise: float) -> tuple[float, float]:
        """The detector's reading (%obs/m, degC or ppm) and, for heat, its rise (K/min);
        `noise` is in -1..1."""
        air = self._air[d.place]
        if d.kind == SMOKE:
            return max(0.0, DUST.get(d.place, 0.03) + air.smoke + 0.01 * noise), 0.0
        if d.kind == CO:
            base = 2.0 + self._car_co if d.place == "b1/carpark" else 1.0
            return max(0.0, base + air.co_ppm + 0.3 * noise), 0.0
        temp = self._room(d.place, world) + air.heat_k + 0.05 * noise
        last = self._last_temp.get(d.place, temp)
        self._last_temp[d.place] = temp
        rise = (temp - last) / world.dt * 60.0 if world.dt > 0 else 0.0
        return temp, rise

    def _room(self, place: str, world: World) -> float:
        """The room temperature a heat detector follows, through its thermal lag; the first
        sight of the room's shared temperature is taken as it is, never as a rate of rise."""
        room, shared = self._room_temp(place, world)
        lagged = self._room_c.get(place)
        if lagged is None or (shared and place not in self._room_known):
            lagged = room
            self._last_temp.pop(place, None)
            if shared:
                self._room_known.add(place)
        else:
            lagged += (room - lagged) * (1.0 - math.exp(-world.dt / DETECTOR_LAG_S))
        self._room_c[place] = lagged
        return lagged

    @staticmethod
    def _room_temp(place: str, world: World) -> tuple[float, bool]:
        """The room's temperature, and whether another system shares it (else a guess)."""
        shared = world.shared.get(_ROOM_TEMP[place])
        if isinstance(shared, float | int) and not isinstance(shared, bool):
            return float(shared), True
        if place == "b1/carpark":  # half underground: follows the outdoors, damped
            return 0.6 * world.weather.temp_c + 0.4 * 18.0 + 1.5, False
        return ROOM_DEFAULT_C.get(place, 24.0), False

    # -- events ---------------------------------------------------------------------------

    def _fault_and_service(self, world: World) -> None:
        for key in [k for k, until in self._faults.items() if until <= world.now]:
            del self._faults[key]
        if world.dt > 0 and self._rng.random() < world.dt / MEAN_FAULT_INTERVAL_S:
            detector = self._rng.choice(DETECTORS)
            hours = self._rng.uniform(*FAULT_HOURS)
            self._faults[detector.key] = world.now + timedelta(hours=hours)

    def _call_points(self, world: World) -> None:
        active = world.scenarios.active(ScenarioKind.FIRE)
        for fire in active:
            if fire in self._called:
                continue
            if fire.elapsed_s(world.now) >= SMOKE_SHOWS_S + self._draw(fire)[1]:
                self._called.add(fire)
                if world.people.in_place(fire.target) > 0:
                    floor = floor_of(fire.target)
                    self.panel.press(call_point_key(floor), floor)
        live = set(active) | set(world.scenarios.active(ScenarioKind.NUISANCE_SMOKE))
        self._called &= live
        self._draws = {i: d for i, d in self._draws.items() if i in live}

    # -- what the panel shows -------------------------------------------------------------

    def _show(self, readings: list[float], states: list[str], world: World) -> None:
        device, panel, shared = self.device, self.panel, world.shared
        floor_states: dict[str, set[str]] = {floor: set() for floor in FLOORS}
        for d, value, state in zip(DETECTORS, readings, states, strict=True):
            if d.key in self._faults:
                state = FAULTED
            elif d.key in panel.latched:
                state = ALARM
            floor_states[d.floor].add(state)
            device.set(d.key, state)
            shown = round(value, 2 if d.kind == SMOKE else 1)
            device.set(d.reading_key, shown)
            if d.kind != HEAT:
                shared[_SHARED[d.key]] = shown
        for floor, key in _CALL_POINTS:
            pressed = key in panel.pressed
            device.set(key, ALARM if pressed else QUIET)
            if pressed:
                floor_states[floor].add(ALARM)
        investigating = False
        for floor, key, shared_key in _ZONES:
            seen = floor_states[floor]
            if floor in panel.floors:
                zone = ALARM
            elif ALARM in seen or PRE in seen:
                zone, investigating = PRE, True
            else:
                zone = FAULTED if FAULTED in seen else QUIET
            device.set(key, zone)
            shared[shared_key] = floor in panel.floors
        device.set("fire_alarm", panel.fire_alarm)
        device.set("fault", bool(self._faults))
        device.set("silenced", panel.silenced)
        device.set("evacuation", panel.fire_alarm)
        device.set("sounders", panel.sounders)
        device.set("mode", panel.mode(investigating, bool(self._faults)))
        shared["fire.alarm"] = panel.fire_alarm
        shared["fire.evacuation"] = panel.fire_alarm
        shared["fire.floors"] = ",".join(f for f in FLOORS if f in panel.floors)
        world.power.draw(PANEL_KW + (SOUNDERS_KW if panel.sounders else 0.0), "security", "f1")


# '<place>.smoke' of every smoke detector's room, '<place>.co' of every CO detector's
_SHARED = {d.key: f"{d.place}.{'smoke' if d.kind == SMOKE else 'co'}" for d in DETECTORS}
# '<place>.temp' that the HVAC shares, of every heat detector's room
_ROOM_TEMP = {d.place: f"{d.place}.temp" for d in DETECTORS if d.kind == HEAT}
_CALL_POINTS = [(floor, call_point_key(floor)) for floor in FLOORS]
_ZONES = [(floor, zone_key(floor), f"fire.{floor}") for floor in FLOORS]

"""The car park's AC chargers (22 kW, OCPP-style status), reporting over MQTT.

Drivers who own an electric car (a fixed share of those who drive, the same people every
day) plug in when they arrive and a charger is free; otherwise they wait for one to come
free while they are in the building. A session goes preparing -> charging -> finishing
(the car is full but still plugged in) and ends when the driver leaves. Charging current is
the lowest of the charger's current limit (writable, 6-32 A as IEC 61851 allows), what the
car's on-board charger takes, and a taper as the battery fills.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from penworks.core import PointKind
from penworks.sim.devices import DeviceType, PointSpec, SimDevice
from penworks.sim.layout import EV_CHARGERS
from penworks.sim.people import CARPARK, OUTSIDE
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.world import World

EV_OWNER_SHARE = 0.35  # of drivers
PHASE_V = 230.0
MAX_A = 32.0
MIN_A = 6.0  # IEC 61851: below 6 A a car is not charged at all
TAPER_FROM = 0.85  # of the energy a car wants, after which current falls
# On-board chargers of the cars that come: (phases, amps, share of cars)
CARS: tuple[tuple[int, float, float], ...] = ((3, 16.0, 0.6), (1, 32.0, 0.25), (3, 32.0, 0.15))


class Status(StrEnum):
    """OCPP 1.6 connector statuses the chargers report."""

    AVAILABLE = "available"
    PREPARING = "preparing"
    CHARGING = "charging"
    FINISHING = "finishing"
    FAULTED = "faulted"


CHARGER = DeviceType(
    "AC-22 wallbox",
    "mqtt",
    (
        PointSpec(
            "status",
            PointKind.TEXT,
            None,
            "available, preparing, charging, finishing or faulted (OCPP)",
            default=Status.AVAILABLE.value,
        ),
        PointSpec("plugged", PointKind.BOOL, None, "A car is plugged in", default=False),
        PointSpec("power", PointKind.NUMBER, "kW", "Charging power"),
        PointSpec("current", PointKind.NUMBER, "A", "Charging current per phase"),
        PointSpec(
            "current_limit",
            PointKind.NUMBER,
            "A",
            "Most current offered to the car",
            writable=True,
            min=MIN_A,
            max=MAX_A,
            default=MAX_A,
        ),
        PointSpec("session_energy", PointKind.NUMBER, "kWh", "Energy of the current session"),
        PointSpec("energy_total", PointKind.NUMBER, "kWh", "Energy delivered, lifetime"),
    ),
)


@dataclass(slots=True)
class Session:
    person: str
    wants_kwh: float
    phases: int
    car_amps: float
    delivered_kwh: float = 0.0


@dataclass(slots=True)
class Charger:
    device: SimDevice
    total_kwh: float
    session: Session | None = None
    status: Status = Status.AVAILABLE
    just_plugged: bool = False  # preparing for one step before the car draws current


def charger_topic(n: int) -> str:
    return f"b15/b1/carpark/ev{n}"


class Ev:
    """EV chargers ev1..ev6 in the car park (MQTT); their load is 'ev' on b1."""

    name = "ev"

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(f"{seed}:ev")
        self.chargers = [
            Charger(
                SimDevice(
                    name=f"ev_charger{n}",
                    label=f"EV charger {n}",
                    type=CHARGER,
                    address=charger_topic(n),
                    location=CARPARK,
                ),
                total_kwh=round(self._rng.uniform(3000, 12000), 2),
            )
            for n in range(1, EV_CHARGERS + 1)
        ]
        self.waiting: list[str] = []  # EV drivers in the building with no charger yet
        self._owners: dict[str, bool] = {}

    def devices(self) -> list[SimDevice]:
        return [c.device for c in self.chargers]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}

    def owns_ev(self, person: str) -> bool:
        if person not in self._owners:
            draw = random.Random(f"{self.seed}:ev:{person}").random()
            self._owners[person] = draw < EV_OWNER_SHARE
        return self._owners[person]

    def step(self, world: World) -> None:
        for move in world.moves:
            if not move.by_car:
                continue
            if move.to == CARPARK and move.origin == OUTSIDE and self.owns_ev(move.person):
                self.waiting.append(move.person)
            elif move.origin == CARPARK and move.to == OUTSIDE:
                self._leave(move.person)
        self._plug_in_waiting()
        total_kw = 0.0
        for charger in self.chargers:
            total_kw += self._charge(charger, world.dt)
        if total_kw > 0:
            world.power.draw(total_kw, "ev", "b1")
        world.shared["ev.power_kw"] = round(total_kw, 3)

    def _leave(self, person: str) -> None:
        if person in self.waiting:
            self.waiting.remove(person)
        for charger in self.chargers:
            if charger.session is not None and charger.session.person == person:
                charger.session = None
                charger.status = Status.AVAILABLE

    def _plug_in_waiting(self) -> None:
        for charger in self.chargers:
            if not self.waiting:
                return
            if charger.session is None and charger.device.fault is None:
                charger.session = self._new_session(self.waiting.pop(0))
                charger.status = Status.PREPARING
                charger.just_plugged = True
                charger.device.set("session_energy", 0.0)

    def _new_session(self, person: str) -> Session:
        rng = self._rng
        phases, amps = _car(rng)
        return Session(person, wants_kwh=rng.uniform(6.0, 40.0), phases=phases, car_amps=amps)

    def _charge(self, charger: Charger, dt: float) -> float:
        """Advance one charger; the power it draws (kW)."""
        device, session = charger.device, charger.session
        kw = amps = 0.0
        if device.fault is not None:
            charger.status = Status.FAULTED
        elif session is None:
            charger.status = Status.AVAILABLE
        elif charger.status is Status.PREPARING and not charger.just_plugged:
            charger.status = Status.CHARGING  # the car has answered the pilot signal
        charger.just_plugged = False
        if session is not None and charger.status is Status.CHARGING:
            offered = min(float(device.get("current_limit")), session.car_amps)
            amps = max(MIN_A, offered * _taper(session))
            kw = amps * session.phases * PHASE_V / 1000
            if dt > 0:  # the car stops once full: the step's mean power is what it took
                kw = min(kw, (session.wants_kwh - session.delivered_kwh) * 3600 / dt)
            session.delivered_kwh += kw * dt / 3600
            charger.total_kwh += kw * dt / 3600
            if session.delivered_kwh >= session.wants_kwh - 1e-9:
                charger.status = Status.FINISHING
                amps = 0.0  # what the charger shows now, the car having stopped
        device.set("status", charger.status.value)
        device.set("plugged", session is not None)
        device.set("power", round(kw, 2) if amps else 0.0)
        device.set("current", round(amps, 1))
        if session is not None:
            device.set("session_energy", round(session.delivered_kwh, 3))
        device.set("energy_total", round(charger.total_kwh, 3))
        return kw


def _taper(session: Session) -> float:
    """Share of the full current a filling battery still takes."""
    full = session.wants_kwh
    if session.delivered_kwh < TAPER_FROM * full:
        return 1.0
    left = (full - session.delivered_kwh) / ((1 - TAPER_FROM) * full)
    return max(0.0, min(1.0, left))


def _car(rng: random.Random) -> tuple[int, float]:
    draw = rng.random()
    for phases, amps, share in CARS:
        if draw < share:
            return phases, amps
        draw -= share
    return CARS[-1][0], CARS[-1][1]

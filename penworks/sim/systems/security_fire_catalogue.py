"""What the fire alarm panel of Building 15 supervises, and its BACnet object map, as data.

One addressable panel (BACnet device 15900, in the security office) with, on its loops:
a smoke detector in every zone, small room, the plant room, the electrical room and the car
park; heat detectors where smoke is normal or cooking happens (plant room, car park, the
kitchenette of each tenant floor); CO detectors in the car park and the plant room; a manual
call point on every floor. Each detector is a life-safety-point (its LifeSafetyState) and an
analog-input (what it senses, so the platform can trend it); each floor is a
life-safety-zone; the panel itself has binary-inputs and a multi-state mode. Life safety is
observed, never overridden: every object is read-only.
"""

from __future__ import annotations

from dataclasses import dataclass

from penworks.core import PointKind
from penworks.sim.devices import BacnetObject, DeviceType, PointSpec
from penworks.sim.layout import FLOOR_LEVELS, SMALL_ROOMS, ZONES
from penworks.sim.people import floor_of

PANEL_INSTANCE = 15900
PANEL_NAME = "fire_panel"
PANEL_PLACE = "f1/sec"

SMOKE, HEAT, CO = "smoke", "heat", "co"
# The pantry corner of each tenant floor's east office: where people cook and brew.
KITCHENETTES: tuple[str, ...] = ("f2/r203", "f3/r303", "f4/r402")
BASEMENT_ROOMS: tuple[str, ...] = ("b1/plant", "b1/elec", "b1/carpark")
HEAT_PLACES: tuple[str, ...] = ("b1/plant", "b1/carpark", *KITCHENETTES)
CO_PLACES: tuple[str, ...] = ("b1/carpark", "b1/plant")
FLOORS: tuple[str, ...] = tuple(sorted(FLOOR_LEVELS, key=FLOOR_LEVELS.__getitem__))

# Object instances: smoke 1.., heat 101.., CO 201.., call points 301.., zones 1.. per floor.
_FIRST = {SMOKE: 1, HEAT: 101, CO: 201}
CALL_POINT_BASE = 301
_READING = {
    SMOKE: ("obscuration", "%obs/m", 0.1),
    HEAT: ("temp", "degC", 0.5),
    CO: ("level", "ppm", 1.0),
}
_WHAT = {SMOKE: "smoke detector", HEAT: "heat detector", CO: "CO detector"}

# Panel modes (multi-state-value 1, states numbered from 1).
MODES: tuple[str, ...] = ("normal", "pre-alarm", "fire-alarm", "silenced", "fault")
NORMAL, PRE_ALARM, FIRE_ALARM, SILENCED, FAULT = range(1, len(MODES) + 1)

# LifeSafetyState names the panel shows.
QUIET, PRE, ALARM, FAULTED = "quiet", "pre-alarm", "alarm", "fault"


@dataclass(frozen=True, slots=True)
class Detector:
    """An automatic detector on the panel's loop: what it senses, where, its object number."""

    kind: str  # smoke, heat, co
    place: str  # f3/r301
    number: int  # instance of its life-safety-point and of its analog-input
    floor: str
    key: str  # its life-safety-point, e.g. smoke_f3_r301
    reading_key: str  # its analog-input, e.g. smoke_f3_r301_obscuration


def detector(kind: str, place: str, number: int) -> Detector:
    key = f"{kind}_{place.replace('/', '_')}"
    return Detector(kind, place, number, floor_of(place), key, f"{key}_{_READING[kind][0]}")


def _smoke_places() -> list[str]:
    places = [f"{z.floor}/{z.space}" for z in ZONES]
    places += [f"{r.floor}/{r.space}" for r in SMALL_ROOMS]
    places += list(BASEMENT_ROOMS)
    order = {p: i for i, p in enumerate(places)}
    return sorted(places, key=lambda p: (FLOOR_LEVELS[floor_of(p)], order[p]))


def _detectors() -> tuple[Detector, ...]:
    kinds = ((SMOKE, _smoke_places()), (HEAT, list(HEAT_PLACES)), (CO, list(CO_PLACES)))
    return tuple(
        detector(kind, place, _FIRST[kind] + i)
        for kind, places in kinds
        for i, place in enumerate(places)
    )


DETECTORS: tuple[Detector, ...] = _detectors()
SMOKE_PLACES: tuple[str, ...] = tuple(d.place for d in DETECTORS if d.kind == SMOKE)


def call_point_key(floor: str) -> str:
    return f"call_point_{floor}"


def zone_key(floor: str) -> str:
    return f"zone_{floor}"


def _detector_points(d: Detector) -> list[PointSpec]:
    reading, unit, cov = _READING[d.kind]
    where = f"{_WHAT[d.kind]} {d.place}"
    return [
        PointSpec(
            d.key,
            PointKind.TEXT,
            description=f"{where}: quiet, pre-alarm, alarm or fault",
            default=QUIET,
            bacnet=BacnetObject("life-safety-point", d.number),
        ),
        PointSpec(
            d.reading_key,
            unit=unit,
            description=f"{where}: {reading}",
            default=20.0 if d.kind == HEAT else 0.0,
            bacnet=BacnetObject("analog-input", d.number, cov_increment=cov),
        ),
    ]


def _panel_points() -> list[PointSpec]:
    flags = (
        ("fire_alarm", "a fire alarm is confirmed (two detectors or a call point)"),
        ("fault", "a device on the loops is in fault"),
        ("silenced", "the alarm is silenced, awaiting reset"),
        ("evacuation", "evacuation in progress"),
        ("sounders", "sounders and beacons active"),
    )
    points = [
        PointSpec(
            key,
            PointKind.BOOL,
            description=text,
            default=False,
            bacnet=BacnetObject("binary-input", i),
        )
        for i, (key, text) in enumerate(flags, start=1)
    ]
    points.append(
        PointSpec(
            "mode",
            description="panel mode: " + ", ".join(f"{i} {m}" for i, m in enumerate(MODES, 1)),
            default=NORMAL,
            states=len(MODES),
            bacnet=BacnetObject("multi-state-value", 1),
        )
    )
    return points


def _fire_panel_type() -> DeviceType:
    points: list[PointSpec] = []
    for d in DETECTORS:
        points += _detector_points(d)
    for i, floor in enumerate(FLOORS):
        points.append(
            PointSpec(
                call_point_key(floor),
                PointKind.TEXT,
                description=f"manual call point of floor {floor}: quiet or alarm",
                default=QUIET,
                bacnet=BacnetObject("life-safety-point", CALL_POINT_BASE + i),
            )
        )
        points.append(
            PointSpec(
                zone_key(floor),
                PointKind.TEXT,
                description=f"fire zone of floor {floor}: quiet, pre-alarm, alarm or fault",
                default=QUIET,
                bacnet=BacnetObject("life-safety-zone", i + 1),
            )
        )
    points += _panel_points()
    return DeviceType("FACP-2000 addressable fire alarm panel", "bacnet", tuple(points))


FIRE_PANEL = _fire_panel_type()

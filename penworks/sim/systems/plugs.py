"""Plug loads: laptops and screens at the desks, kitchenettes, printers, and the server room.

No devices of its own: the plug loads show on the meters. Each space draws a base load per
m2 (chargers, standby, network gear) and a load per person present; meeting rooms add
their display while in use, the exhibition hall its screens while open, each tenant floor
its kitchenette (fridge always, kettles and the coffee machine with the people, most at
lunch) and its printers. The server room's IT load (about 4 kW, a little more while people
work) is drawn as 'it': it is fed through the UPS, which adds its losses.
"""

from __future__ import annotations

from dataclasses import dataclass

from penworks.sim.devices import SimDevice
from penworks.sim.layout import FLOOR_TENANTS, SMALL_ROOMS, TENANT_FLOORS, ZONES, ZoneUse
from penworks.sim.people import place
from penworks.sim.physics import BASE_PLUG_W_PER_M2, PERSON_PLUG_W
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.world import World

IT_FLOOR = "f1"
IT_KW = 4.0
IT_BUSY_SHARE = 0.06  # servers work harder while people do
MEETING_DISPLAY_KW = 0.25
LOBBY_W_PER_M2 = 2.0  # signage and the reception desk, day and night
HALL_OPEN_W_PER_M2 = 6.0  # exhibition screens and models
HALL_CLOSED_W_PER_M2 = 1.0
HALL_OPEN_HOURS = (9.0, 18.0)
SECURITY_DESK_KW = 0.3  # the guards' monitors
FRIDGE_KW = 0.15
KITCHEN_KW_PER_PERSON = 0.02
LUNCH_HOURS = (11.5, 13.5)
PRINTER_IDLE_KW = 0.06
PRINTER_BUSY_KW = 0.35
PRINTER_FULL_AT = 60  # people on a floor that keep its printers busy


@dataclass(frozen=True, slots=True)
class PlugSpace:
    place: str
    floor: str
    use: str  # office, meeting, lobby, hall, focus, security
    area_m2: float
    tenant: str | None


def plug_spaces() -> list[PlugSpace]:
    spaces = [
        PlugSpace(
            place(z.floor, z.space), z.floor, z.use.value, z.area_m2, FLOOR_TENANTS.get(z.floor)
        )
        for z in ZONES
    ]
    spaces += [
        PlugSpace(place(r.floor, r.space), r.floor, r.use, r.area_m2, FLOOR_TENANTS.get(r.floor))
        for r in SMALL_ROOMS
        if r.use != "server"  # the server room is the IT load
    ]
    return spaces


class Plugs:
    """Plug and IT loads on the ledger; '<place>.plug_kw' for the zones' heat gains."""

    name = "plugs"

    def __init__(self, seed: int) -> None:  # its randomness is the world's: no seed of its own
        self.spaces = plug_spaces()
        self._keys = [f"{space.place}.plug_kw" for space in self.spaces]

    def devices(self) -> list[SimDevice]:
        return []

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}

    def step(self, world: World) -> None:
        on_floor: dict[str, int] = {}
        for space, key in zip(self.spaces, self._keys, strict=True):
            people = world.people.in_place(space.place)
            on_floor[space.floor] = on_floor.get(space.floor, 0) + people
            kw = _space_kw(space, people, world) * world.rng.uniform(0.93, 1.07)
            world.power.draw(kw, "plug", space.floor, space.tenant)
            world.shared[key] = round(kw, 3)
        for tenant, floor in TENANT_FLOORS.items():
            people = on_floor.get(floor, 0)
            kw = _kitchenette_kw(people, world) + _printers_kw(people, world)
            world.power.draw(kw, "plug", floor, tenant)
        busy = min(1.0, world.people.inside() / 200) if world.working_day else 0.0
        it_kw = IT_KW * (1 + IT_BUSY_SHARE * busy) * world.rng.uniform(0.98, 1.02)
        world.power.draw(it_kw, "it", IT_FLOOR)
        world.shared["it.load_kw"] = round(it_kw, 3)


def _space_kw(space: PlugSpace, people: int, world: World) -> float:
    base = BASE_PLUG_W_PER_M2 * space.area_m2 / 1000
    desks = people * PERSON_PLUG_W / 1000
    if space.use == ZoneUse.LOBBY:
        return LOBBY_W_PER_M2 * space.area_m2 / 1000 + desks
    if space.use == ZoneUse.HALL:
        start, end = HALL_OPEN_HOURS
        is_open = world.working_day and start <= world.hour < end
        per_m2 = HALL_OPEN_W_PER_M2 if is_open else HALL_CLOSED_W_PER_M2
        return per_m2 * space.area_m2 / 1000
    if space.use == ZoneUse.MEETING:
        return base + desks + (MEETING_DISPLAY_KW if people else 0.0)
    if space.use == "security":
        return base + desks + SECURITY_DESK_KW
    return base + desks


def _kitchenette_kw(people: int, world: World) -> float:
    start, end = LUNCH_HOURS
    rush = 2.5 if start <= world.hour < end else 1.0
    return FRIDGE_KW + KITCHEN_KW_PER_PERSON * people * rush * world.rng.uniform(0.3, 1.7)


def _printers_kw(people: int, world: World) -> float:
    busy = min(1.0, people / PRINTER_FULL_AT) * world.rng.random()
    return PRINTER_IDLE_KW + PRINTER_BUSY_KW * busy
